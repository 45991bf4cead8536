import { UNCLAIMED_WAKEUP_STATUSES } from "@staple/contracts";
import { sqlList } from "../db/sql-list.js";
import type { Database } from "../db/database.js";
import { conflict, notFound } from "../errors.js";
import type { Actor } from "../auth/actor.js";
import { assertBoard } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import { EXECUTION_PATH_SQL } from "../runs/states.js";
import { findIssue, ISSUE_COLUMNS, type IssueRow } from "./rows.js";

/**
 * Deletes an issue for good (board only). What goes with it, in one transaction:
 * - its comments, blocker edges (both directions), work products, tree holds, inbox archives and
 *   document links (foreign keys cascade), and the documents it owned;
 * - its pending wakeups (queued or deferred) are cancelled, so nothing wakes for a missing issue;
 * - its children stay, as top-level issues (parent_id is set null);
 * - its finished runs, their logs and cost events stay (history and spend are not rewritten).
 * While a run of the issue is queued, running or waiting to retry, the delete is refused (409):
 * cancel the run first, so no live process writes to an issue that no longer exists.
 * The activity row `issue.deleted` (identifier and title) outlives the issue.
 */
export async function removeIssue(db: Database, actor: Actor, ref: string): Promise<IssueRow> {
  assertBoard(actor);
  return db.tx(async (q) => {
    const issue = await findIssue(q, ref, true);
    if (!issue || (actor.companyIds !== "all" && !actor.companyIds.includes(issue.companyId))) throw notFound("Issue not found");
    const live = await q.query<{ id: string }>(`SELECT id FROM heartbeat_runs WHERE issue_id = $1 AND status IN ${EXECUTION_PATH_SQL}`, [
      issue.id,
    ]);
    if (live.length) {
      throw conflict(
        "Issue has a queued or running run; cancel it before deleting the issue",
        { runIds: live.map((r) => r.id) },
        "issue_run_live",
      );
    }
    await q.query(
      `UPDATE agent_wakeup_requests SET status = 'cancelled', finished_at = now(), updated_at = now(), error = 'issue deleted'
        WHERE issue_id = $1 AND status IN ${sqlList(UNCLAIMED_WAKEUP_STATUSES)}`,
      [issue.id],
    );
    const owned = await q.query<{ documentId: string }>("SELECT document_id FROM issue_documents WHERE issue_id = $1", [issue.id]);
    const [deleted] = await q.query<IssueRow>(`DELETE FROM issues WHERE id = $1 RETURNING ${ISSUE_COLUMNS}`, [issue.id]);
    if (owned.length) {
      await q.query("DELETE FROM documents WHERE id = ANY($1::uuid[])", [owned.map((d) => d.documentId)]);
    }
    await recordActivity(q, {
      companyId: issue.companyId,
      actor,
      action: "issue.deleted",
      entityType: "issue",
      entityId: issue.id,
      details: { identifier: issue.identifier, title: issue.title },
    });
    return deleted!;
  });
}
