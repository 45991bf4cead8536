/**
 * Builds SQL that returns a whole result set as one JSON text (`json_agg`), with camelCase keys
 * and ISO-8601 UTC timestamps ("…Z", like the rest of the API). Large lists use it so the rows are
 * never parsed into JS objects and serialized again: the database text goes to the client as is.
 */
const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** `columns` is a comma list of plain column names (as in ISSUE_COLUMNS); `*_at` columns are timestamps. */
export function jsonObjectSql(columns: string, alias = ""): string {
  const prefix = alias ? `${alias}.` : "";
  const parts = columns
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean)
    .map((c) => {
      const value = c.endsWith("_at") ? `to_char(${prefix}${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` : `${prefix}${c}`;
      return `'${camel(c)}', ${value}`;
    });
  // json_build_object takes at most 100 arguments (50 pairs); larger objects are concatenated.
  const chunks: string[] = [];
  for (let i = 0; i < parts.length; i += 50) chunks.push(`jsonb_build_object(${parts.slice(i, i + 50).join(", ")})`);
  return chunks.length === 1 ? chunks[0]!.replace("jsonb_build_object", "json_build_object") : `(${chunks.join(" || ")})::json`;
}

/** Wraps a row query (whose select list includes `columns`) so it returns `{ body: "<json array>" }`, order kept. */
export function jsonArraySql(rowQuery: string, columns: string): string {
  return `SELECT coalesce(json_agg(${jsonObjectSql(columns, "t")} ORDER BY t.__ord), '[]')::text AS body
            FROM (SELECT q.*, row_number() OVER () AS __ord FROM (${rowQuery}) q) t`;
}
