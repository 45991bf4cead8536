import type { Issue } from "../api/types.js";
import type { IssueListFilters } from "./query-keys.js";
import { ALL_ISSUE_STATUSES, BOARD_COLUMNS, OPEN_ISSUE_STATUSES } from "./status.js";

/**
 * The issue list's view, all of it in the URL so a view can be shared, bookmarked and survives a
 * reload: `status` (a comma list, or the presets `open` (default) and `all`) is sent to the server;
 * `assignee`, `priority`, `project`, `label` (comma lists of ids; `none` for "not set"), `q`, `sort`
 * and `group` are applied here over the fetched page, so typing and clicking answer at once.
 */
export interface IssueView {
  status: string;
  assignee: string[];
  priority: string[];
  project: string[];
  label: string[];
  q: string;
  sort: SortKey;
  group: GroupKey;
}

export const SORT_KEYS = ["updated", "created", "priority", "identifier", "title", "status"] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export const GROUP_KEYS = ["none", "status", "assignee", "project", "priority"] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];
/** The multi-select filters applied in the browser. */
export const LIST_FILTERS = ["assignee", "priority", "project", "label"] as const;
export type ListFilter = (typeof LIST_FILTERS)[number];
export const NONE = "none";

const list = (v: string | null) => (v ? v.split(",").filter(Boolean) : []);

export function readIssueView(params: URLSearchParams): IssueView {
  const sort = params.get("sort");
  const group = params.get("group");
  return {
    status: params.get("status") ?? "open",
    assignee: list(params.get("assignee")),
    priority: list(params.get("priority")),
    project: list(params.get("project")),
    label: list(params.get("label")),
    q: params.get("q") ?? "",
    sort: (SORT_KEYS as readonly string[]).includes(sort ?? "") ? (sort as SortKey) : "updated",
    group: (GROUP_KEYS as readonly string[]).includes(group ?? "") ? (group as GroupKey) : "none",
  };
}

/** Issues fetched per list request; paging, folding and the browser-side filters work over them. */
export const ISSUE_FETCH_LIMIT = 1000;

/**
 * What the list asks of the server for a view: the statuses, and a single assignee or label (fewer
 * rows over the wire); several are filtered in the browser, as the server takes one value each.
 * The issues page and the boot prefetch (lib/boot-prefetch.ts) both use it, so their query keys match.
 */
export function issueListFilters(view: IssueView): IssueListFilters {
  const one = (values: string[]) => (values.length === 1 ? values[0] : undefined);
  const assignee = one(view.assignee);
  const label = one(view.label);
  return {
    status: statusFilterValues(view.status).join(",") || undefined,
    assigneeAgentId: assignee === NONE ? "null" : assignee,
    labelId: label === NONE ? undefined : label,
    limit: ISSUE_FETCH_LIMIT,
  };
}

/** The statuses a `status` parameter stands for (empty: every status). */
export function statusFilterValues(filter: string): string[] {
  if (filter === "open") return [...OPEN_ISSUE_STATUSES];
  if (filter === "all" || !filter) return [];
  return filter.split(",").filter((s) => (ALL_ISSUE_STATUSES as readonly string[]).includes(s));
}

/** Toggles one value of a comma-list parameter; returns the new parameter value (null: removed). */
export function toggleValue(current: readonly string[], value: string): string | null {
  const next = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
  return next.length ? next.join(",") : null;
}

/** Toggles one status; the `open` and `all` presets expand to their statuses first. */
export function toggleStatus(filter: string, status: string): string {
  const current = filter === "all" || !filter ? [...ALL_ISSUE_STATUSES] : statusFilterValues(filter);
  const next = current.includes(status) ? current.filter((s) => s !== status) : [...current, status];
  if (!next.length || next.length === ALL_ISSUE_STATUSES.length) return "all";
  return ALL_ISSUE_STATUSES.filter((s) => next.includes(s)).join(",");
}

const PRIORITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };
const STATUS_RANK = new Map<string, number>(BOARD_COLUMNS.map((s, i) => [s, i]));

function matchesAny(values: readonly string[], actual: string | null | undefined): boolean {
  if (!values.length) return true;
  return values.includes(actual ?? NONE);
}

export function applyIssueView(issues: readonly Issue[], view: IssueView): Issue[] {
  const words = view.q.toLowerCase().split(/\s+/).filter(Boolean);
  const out = issues.filter((i) => {
    if (!matchesAny(view.assignee, i.assigneeAgentId)) return false;
    if (!matchesAny(view.priority, i.priority)) return false;
    if (!matchesAny(view.project, i.projectId)) return false;
    if (view.label.length) {
      const ids = i.labelIds ?? i.labels?.map((l) => l.id) ?? [];
      if (!view.label.some((l) => (l === NONE ? ids.length === 0 : ids.includes(l)))) return false;
    }
    if (words.length) {
      const text = `${i.identifier} ${i.title}`.toLowerCase();
      if (!words.every((w) => text.includes(w))) return false;
    }
    return true;
  });
  // The server already answers newest-updated first: that order is kept as it is.
  if (view.sort === "updated") return out;
  const by: Record<Exclude<SortKey, "updated">, (a: Issue, b: Issue) => number> = {
    created: (a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? ""),
    priority: (a, b) => (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) || b.updatedAt.localeCompare(a.updatedAt),
    identifier: (a, b) => (b.issueNumber ?? 0) - (a.issueNumber ?? 0),
    title: (a, b) => a.title.localeCompare(b.title),
    status: (a, b) => (STATUS_RANK.get(a.status) ?? 99) - (STATUS_RANK.get(b.status) ?? 99) || b.updatedAt.localeCompare(a.updatedAt),
  };
  return out.sort(by[view.sort]);
}

/** Rows split into groups, in the group key's natural order (statuses in working order, unset last). */
export function groupIssues(issues: readonly Issue[], group: GroupKey): { key: string; items: Issue[] }[] {
  if (group === "none") return [{ key: "", items: [...issues] }];
  const keyOf = (i: Issue) =>
    (group === "status" ? i.status : group === "assignee" ? i.assigneeAgentId : group === "project" ? i.projectId : i.priority) ?? NONE;
  const groups = new Map<string, Issue[]>();
  for (const i of issues) {
    const k = keyOf(i);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(i);
  }
  const rank = (k: string) =>
    k === NONE ? 1e9 : group === "status" ? (STATUS_RANK.get(k) ?? 99) : group === "priority" ? (PRIORITY_RANK[k] ?? 9) : 0;
  return [...groups].map(([key, items]) => ({ key, items })).sort((a, b) => rank(a.key) - rank(b.key));
}
