import { ISSUE_IDENTIFIER_RE, isUuid } from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import { selectList, tableColumns, type Assert, type ColumnsOf, type RowMatches } from "../db/row-columns.js";

/** Explicit projection of the issue columns the API returns (no SELECT *). */
export const ISSUE_ROW = tableColumns("issues", [
  "id",
  "company_id",
  "project_id",
  "project_workspace_id",
  "goal_id",
  "parent_id",
  "title",
  "description",
  "status",
  "work_mode",
  "priority",
  "assignee_agent_id",
  "assignee_user_id",
  "checkout_run_id",
  "execution_run_id",
  "execution_agent_name_key",
  "execution_locked_at",
  "created_by_agent_id",
  "created_by_user_id",
  "issue_number",
  "identifier",
  "origin_kind",
  "origin_id",
  "origin_run_id",
  "origin_fingerprint",
  "request_depth",
  "billing_code",
  "execution_state",
  "started_at",
  "completed_at",
  "cancelled_at",
  "hidden_at",
  "created_at",
  "updated_at",
]);
export const ISSUE_COLUMNS = selectList(ISSUE_ROW);

export interface IssueRow {
  id: string;
  companyId: string;
  projectId: string | null;
  projectWorkspaceId: string | null;
  goalId: string | null;
  parentId: string | null;
  title: string;
  description: string | null;
  status: string;
  priority: string;
  assigneeAgentId: string | null;
  assigneeUserId: string | null;
  checkoutRunId: string | null;
  executionRunId: string | null;
  executionAgentNameKey: string | null;
  executionLockedAt: Date | null;
  createdByAgentId: string | null;
  createdByUserId: string | null;
  identifier: string;
  issueNumber: number;
  workMode: string;
  originKind: string;
  originId: string | null;
  originRunId: string | null;
  originFingerprint: string;
  requestDepth: number;
  billingCode: string | null;
  executionState: Record<string, unknown> | null;
  startedAt: Date | null;
  completedAt: Date | null;
  cancelledAt: Date | null;
  hiddenAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}
export type IssueRowCheck = Assert<RowMatches<IssueRow, ColumnsOf<typeof ISSUE_ROW>>>;

export interface IssueRef {
  id: string;
  identifier: string;
  title: string;
  status: string;
  priority: string;
  assigneeAgentId: string | null;
}
export const ISSUE_REF_COLUMNS = "i.id, i.identifier, i.title, i.status, i.priority, i.assignee_agent_id";

/**
 * Loads an issue by uuid or by identifier (`TRA-1`, case-insensitive). Anything else finds nothing
 * (the caller answers 404), never a database error.
 */
export async function findIssue(q: Queryable, idOrIdentifier: string, lock = false): Promise<IssueRow | undefined> {
  const forUpdate = lock ? " FOR NO KEY UPDATE" : "";
  if (isUuid(idOrIdentifier)) {
    const [row] = await q.query<IssueRow>(`SELECT ${ISSUE_COLUMNS} FROM issues WHERE id = $1${forUpdate}`, [idOrIdentifier]);
    return row;
  }
  if (ISSUE_IDENTIFIER_RE.test(idOrIdentifier)) {
    const [row] = await q.query<IssueRow>(`SELECT ${ISSUE_COLUMNS} FROM issues WHERE identifier = $1${forUpdate}`, [
      idOrIdentifier.toUpperCase(),
    ]);
    return row;
  }
  return undefined;
}

export async function blockerRefs(q: Queryable, issueId: string): Promise<{ blockedBy: IssueRef[]; blocks: IssueRef[] }> {
  const rows = await q.query<IssueRef & { direction: "blocked_by" | "blocks" }>(
    `SELECT 'blocked_by' AS direction, ${ISSUE_REF_COLUMNS}, i.issue_number
       FROM issue_relations r JOIN issues i ON i.id = r.issue_id
      WHERE r.related_issue_id = $1 AND r.type = 'blocks'
     UNION ALL
     SELECT 'blocks' AS direction, ${ISSUE_REF_COLUMNS}, i.issue_number
       FROM issue_relations r JOIN issues i ON i.id = r.related_issue_id
      WHERE r.issue_id = $1 AND r.type = 'blocks'
     ORDER BY issue_number`,
    [issueId],
  );
  const strip = ({ direction: _d, issueNumber: _n, ...ref }: IssueRef & { direction: string; issueNumber?: number }) => ref;
  return {
    blockedBy: rows.filter((r) => r.direction === "blocked_by").map(strip),
    blocks: rows.filter((r) => r.direction === "blocks").map(strip),
  };
}
