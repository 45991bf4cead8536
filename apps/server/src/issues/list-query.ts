import { ISSUE_LIST_LIMIT_DEFAULT, ISSUE_LIST_LIMIT_MAX, ISSUE_PRIORITIES, ISSUE_STATUSES, type ListIssuesQuery } from "@staple/contracts";
import { validationError } from "../errors.js";
import { ISSUE_COLUMNS } from "./rows.js";

/** Parses `status=todo,in_progress`; an unknown status is a 400 naming it. */
export function parseStatusList(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const statuses = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = statuses.filter((s) => !(ISSUE_STATUSES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw validationError(`Unknown issue status: ${unknown.join(", ")}`, [
      { path: ["status"], message: `Expected a comma list of ${ISSUE_STATUSES.join(", ")}` },
    ]);
  }
  return statuses.length ? statuses : undefined;
}

const orderBySql = (values: readonly string[], column: string) =>
  `CASE ${column} ${values.map((v, i) => `WHEN '${v}' THEN ${i}`).join(" ")} END`;

const SORT_COLUMNS: Record<NonNullable<ListIssuesQuery["sortField"]>, string> = {
  updated: "updated_at",
  created: "created_at",
  priority: orderBySql(ISSUE_PRIORITIES, "priority"),
  status: orderBySql(ISSUE_STATUSES, "status"),
  title: "lower(title)",
  identifier: "issue_number",
};

export interface IssueListFilter extends Omit<ListIssuesQuery, "status"> {
  statuses?: string[];
  /** Resolved `assigneeUserId` (`me` already replaced by the caller's user id). */
  assigneeUser?: string;
}

/**
 * Builds the company issue list as one parameterised statement. Hidden issues are never listed.
 * Sorting always ends with `id` so pages are stable.
 */
export function buildIssueListQuery(companyId: string, f: IssueListFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [companyId];
  const where = ["company_id = $1", "hidden_at IS NULL"];
  if (f.statuses) where.push(`status = ANY($${params.push(f.statuses)}::text[])`);
  if (f.assigneeAgentId === "null") where.push("assignee_agent_id IS NULL");
  else if (f.assigneeAgentId) where.push(`assignee_agent_id = $${params.push(f.assigneeAgentId)}`);
  if (f.assigneeUser) where.push(`assignee_user_id = $${params.push(f.assigneeUser)}`);
  if (f.projectId) where.push(`project_id = $${params.push(f.projectId)}`);
  if (f.goalId) where.push(`goal_id = $${params.push(f.goalId)}`);
  if (f.labelId)
    where.push(`EXISTS (SELECT 1 FROM issue_labels il WHERE il.issue_id = issues.id AND il.label_id = $${params.push(f.labelId)})`);
  if (f.parentId === "null") where.push("parent_id IS NULL");
  else if (f.parentId) where.push(`parent_id = $${params.push(f.parentId)}`);
  if (f.originKind) where.push(`origin_kind = $${params.push(f.originKind)}`);
  if (f.originId) where.push(`origin_id = $${params.push(f.originId)}`);
  if (f.q?.trim()) {
    const p = params.push(`%${f.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(title ILIKE $${p} OR identifier ILIKE $${p} OR description ILIKE $${p})`);
  }
  const field = f.sortField ?? "updated";
  const dir = (f.sortDir ?? (field === "updated" || field === "created" ? "desc" : "asc")).toUpperCase();
  const limit = Math.min(f.limit ?? ISSUE_LIST_LIMIT_DEFAULT, ISSUE_LIST_LIMIT_MAX);
  // Past the end is an empty page; a huge offset must not become an out-of-range SQL literal (500).
  const offset = Math.min(f.offset ?? 0, Number.MAX_SAFE_INTEGER);
  return {
    sql: `SELECT ${ISSUE_COLUMNS} FROM issues WHERE ${where.join(" AND ")}
          ORDER BY ${SORT_COLUMNS[field]} ${dir}, id ${dir} LIMIT ${limit} OFFSET ${offset}`,
    params,
  };
}
