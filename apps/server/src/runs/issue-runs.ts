import { ACTIVE_RUN_STATUSES } from "@staple/contracts";
import { sqlList } from "../db/sql-list.js";
import type { Database } from "../db/database.js";
import { notFound } from "../errors.js";
import type { Actor } from "../auth/actor.js";
import { assertCanSee } from "../auth/access.js";
import { findIssue } from "../issues/rows.js";

/** Run columns of the issue run views (active run, live runs), with the agent's name and adapter. */
const ISSUE_RUN_COLUMNS = `r.id, r.status, r.invocation_source, r.trigger_detail, r.context_snapshot->>'commentId' AS context_comment_id,
  r.context_snapshot->>'wakeCommentId' AS context_wake_comment_id, r.started_at, r.finished_at, r.created_at, r.agent_id,
  a.name AS agent_name, a.adapter_type, r.log_bytes, r.liveness_state, r.liveness_reason, r.continuation_attempt,
  r.last_useful_action_at, r.next_action, r.last_output_at, r.last_output_seq, r.last_output_stream, r.last_output_bytes,
  r.process_started_at, r.issue_id`;

/** Runs of one issue as seen from the issue: the live ones and the one holding its execution lock. */
export function createIssueRunViews(db: Database) {
  async function visibleIssue(actor: Actor, ref: string) {
    const issue = await findIssue(db, ref);
    if (!issue) throw notFound("Issue not found");
    assertCanSee(actor, issue.companyId, "Issue");
    return issue;
  }

  return {
    /** Queued and running runs aimed at the issue, newest first. */
    async liveRuns(actor: Actor, ref: string) {
      const issue = await visibleIssue(actor, ref);
      return db.query(
        `SELECT ${ISSUE_RUN_COLUMNS} FROM heartbeat_runs r JOIN agents a ON a.id = r.agent_id
          WHERE r.company_id = $1 AND r.issue_id = $2 AND r.status IN ${sqlList(ACTIVE_RUN_STATUSES)}
          ORDER BY r.created_at DESC, r.id DESC`,
        [issue.companyId, issue.id],
      );
    },

    /**
     * The run working the issue now, or null: the execution-lock run while it is queued or running,
     * else (an in-progress issue) its assignee's running run aimed at this issue.
     */
    async activeRun(actor: Actor, ref: string) {
      const issue = await visibleIssue(actor, ref);
      const [run] = await db.query(
        `SELECT ${ISSUE_RUN_COLUMNS} FROM heartbeat_runs r JOIN agents a ON a.id = r.agent_id
          WHERE r.company_id = $1 AND r.issue_id = $2 AND r.status IN ${sqlList(ACTIVE_RUN_STATUSES)}
            AND (r.id = $3 OR ($4::uuid IS NOT NULL AND $5 = 'in_progress' AND r.agent_id = $4 AND r.status = 'running'))
          ORDER BY (r.id = $3) DESC NULLS LAST, r.created_at DESC LIMIT 1`,
        [issue.companyId, issue.id, issue.executionRunId, issue.assigneeAgentId, issue.status],
      );
      return run ?? null;
    },
  };
}
export type IssueRunViews = ReturnType<typeof createIssueRunViews>;
