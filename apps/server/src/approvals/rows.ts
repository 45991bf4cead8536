import { isUuid, OPEN_APPROVAL_STATUSES } from "@staple/contracts";
import type { Queryable } from "../db/database.js";

/** The approval columns the API returns; a missing payload reads as `{}` (Paperclip's shape). */
export function approvalColumns(alias = ""): string {
  const p = alias ? `${alias}.` : "";
  return `${p}id, ${p}company_id, ${p}type, ${p}requested_by_agent_id, ${p}requested_by_user_id, ${p}status,
    coalesce(${p}payload, '{}'::jsonb) AS payload, ${p}decision_note, ${p}decided_by_user_id, ${p}decided_at, ${p}created_at, ${p}updated_at`;
}
export const APPROVAL_COLUMNS = approvalColumns();

export const COMMENT_COLUMNS = "id, company_id, approval_id, author_agent_id, author_user_id, body, created_at, updated_at";

export interface ApprovalRow {
  id: string;
  companyId: string;
  type: string;
  requestedByAgentId: string | null;
  requestedByUserId: string | null;
  status: string;
  payload: Record<string, unknown>;
  decisionNote: string | null;
  decidedByUserId: string | null;
  decidedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** States a decision may leave (a decision is a guarded UPDATE naming them). */
export { OPEN_APPROVAL_STATUSES };

export async function findApproval(q: Queryable, id: string, lock = false): Promise<ApprovalRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await q.query<ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE id = $1${lock ? " FOR UPDATE" : ""}`, [id]);
  return row;
}

/** Ids of the issues linked to an approval, oldest link first (the first is the "primary" issue). */
export async function linkedIssueIds(q: Queryable, approvalId: string): Promise<string[]> {
  const rows = await q.query<{ issueId: string }>(
    "SELECT issue_id FROM issue_approvals WHERE approval_id = $1 ORDER BY created_at, issue_id",
    [approvalId],
  );
  return rows.map((r) => r.issueId);
}
