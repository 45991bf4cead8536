/**
 * What the command palette offers for a query: pages, agents and issues, best first. An exact
 * identifier (ACM-12, any case) comes first; then issues whose identifier or title contains every
 * word typed, then agents and pages by name. Empty query: actions and pages.
 */
export interface PaletteItem {
  id: string;
  kind: "action" | "page" | "agent" | "issue";
  label: string;
  hint?: string;
  to: string;
}

export interface PaletteSource {
  base: string;
  pages: readonly { path: string; label: string }[];
  agents: readonly { id: string; name: string; status?: string }[];
  issues: readonly { id: string; identifier: string; title: string; status: string }[];
}

const words = (q: string) => q.toLowerCase().split(/\s+/).filter(Boolean);
const matches = (text: string, ws: string[]) => {
  const t = text.toLowerCase();
  return ws.every((w) => t.includes(w));
};

export function paletteItems(src: PaletteSource, query: string, limit = 12): PaletteItem[] {
  const ws = words(query);
  const actions: PaletteItem[] = [{ id: "new-issue", kind: "action", label: "New issue", hint: "c", to: `${src.base}/issues/new` }];
  const pages: PaletteItem[] = src.pages.map((p) => ({ id: `page:${p.path}`, kind: "page", label: p.label, to: src.base + p.path }));
  if (!ws.length) return [...actions, ...pages].slice(0, limit);
  const q = query.trim().toUpperCase();
  const exact = src.issues.filter((i) => i.identifier.toUpperCase() === q);
  const issues = src.issues.filter((i) => !exact.includes(i) && matches(`${i.identifier} ${i.title}`, ws));
  const toItem = (i: PaletteSource["issues"][number]): PaletteItem => ({
    id: `issue:${i.id}`,
    kind: "issue",
    label: `${i.identifier} ${i.title}`,
    hint: i.status,
    to: `${src.base}/issues/${i.identifier}`,
  });
  const agents: PaletteItem[] = src.agents
    .filter((a) => a.status !== "terminated" && matches(a.name, ws))
    .map((a) => ({ id: `agent:${a.id}`, kind: "agent", label: a.name, hint: "agent", to: `${src.base}/agents/${a.id}` }));
  return [
    ...exact.map(toItem),
    ...actions.filter((a) => matches(a.label, ws)),
    ...pages.filter((p) => matches(p.label, ws)),
    ...agents,
    ...issues.map(toItem),
  ].slice(0, limit);
}
