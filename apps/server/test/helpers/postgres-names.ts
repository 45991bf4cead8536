export const POSTGRES_TEMPLATE_DB = "staple_test_template";

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
