import { recordActivity } from "../../activity/record.js";
import type { WakeupEnqueuer } from "../enqueue.js";
import { appendRunEvent } from "../run-events.js";
import { str } from "../wake-context.js";
import type { FinalizeStep } from "./pipeline.js";

/** Wakes whose run must leave a comment on the issue (docs/runs.md#missing-comment-policy). */
export function wakeRequiresComment(context: Record<string, unknown> | null): boolean {
  const reason = str(context?.wakeReason);
  return reason === "issue_assigned" || Boolean(reason?.startsWith("execution_"));
}

/**
 * A successful run that says nothing on its issue posts its own summary as the comment
 * (docs/runs.md#missing-comment-policy), authored by the agent and tied to the run, so the humans
 * see what happened.
 */
export const summaryCommentStep: FinalizeStep = {
  name: "summary_comment",
  onlyIfTransitioned: true,
  async run(ctx) {
    const run = ctx.finalRun;
    const summary = ctx.result?.summary?.trim();
    if (run?.status !== "succeeded" || !run.issueId || !summary) return;
    const [existing] = await ctx.q.query("SELECT id FROM issue_comments WHERE created_by_run_id = $1 AND issue_id = $2 LIMIT 1", [
      run.id,
      run.issueId,
    ]);
    if (existing) return;
    const [comment] = await ctx.q.query<{ id: string }>(
      `INSERT INTO issue_comments (company_id, issue_id, author_agent_id, author_type, created_by_run_id, body)
       VALUES ($1, $2, $3, 'agent', $4, $5) RETURNING id`,
      [run.companyId, run.issueId, run.agentId, run.id, ctx.redact(summary).slice(0, 100_000)],
    );
    await recordActivity(ctx.q, {
      companyId: run.companyId,
      actor: { kind: "agent", agentId: run.agentId, companyId: run.companyId, via: "run_jwt", keyId: null, runId: run.id },
      action: "issue.comment_added",
      entityType: "issue",
      entityId: run.issueId,
      details: { commentId: comment!.id, source: "run_summary" },
    });
  },
};

/**
 * Missing-comment policy (docs/runs.md#missing-comment-policy): an assignment run that ends without
 * a comment on its issue gets one follow-up wake asking for it; the follow-up itself is never
 * retried.
 */
export function issueCommentPolicyStep(enqueuer: WakeupEnqueuer): FinalizeStep {
  return {
    name: "missing_comment_policy",
    onlyIfTransitioned: true,
    async run(ctx) {
      const run = ctx.finalRun;
      if (!run?.issueId || run.status !== "succeeded") return;
      const setStatus = (status: string, commentId: string | null = null) =>
        ctx.q.query(
          `UPDATE heartbeat_runs SET issue_comment_status = $2, issue_comment_satisfied_by_comment_id = $3,
                  issue_comment_retry_queued_at = CASE WHEN $2 = 'retry_queued' THEN now() ELSE NULL END WHERE id = $1`,
          [run.id, status, commentId],
        );
      const [comment] = await ctx.q.query<{ id: string }>(
        "SELECT id FROM issue_comments WHERE created_by_run_id = $1 AND issue_id = $2 ORDER BY created_at LIMIT 1",
        [run.id, run.issueId],
      );
      if (comment) return void (await setStatus("satisfied", comment.id));
      const context = run.contextSnapshot ?? {};
      if (str(context.retryReason) === "missing_issue_comment") {
        await setStatus("retry_exhausted");
        await appendRunEvent(ctx.q, run.id, {
          eventType: "lifecycle",
          level: "warn",
          message: "Run ended without an issue comment after one retry; no further comment wake will be queued",
        });
        return;
      }
      if (!wakeRequiresComment(context)) return;
      const [deferred] = await ctx.q.query(
        "SELECT id FROM agent_wakeup_requests WHERE issue_id = $1 AND agent_id = $2 AND status = 'deferred_issue_execution' LIMIT 1",
        [run.issueId, run.agentId],
      );
      if (deferred) {
        await appendRunEvent(ctx.q, run.id, {
          eventType: "lifecycle",
          message: "Run ended without an issue comment; a deferred comment wake already exists for this issue",
        });
        return;
      }
      const [issue] = await ctx.q.query<{ executionRunId: string | null }>("SELECT execution_run_id FROM issues WHERE id = $1", [
        run.issueId,
      ]);
      if (issue?.executionRunId !== run.id) return; // the agent moved the issue on (released, closed) itself
      const outcome = await enqueuer
        .enqueue(
          {
            agentId: run.agentId,
            source: "automation",
            triggerDetail: "system",
            reason: "missing_issue_comment",
            payload: { issueId: run.issueId, retryOfRunId: run.id },
            context: { retryReason: "missing_issue_comment", retryOfRunId: run.id, wakeReason: "missing_issue_comment" },
            requestedBy: { type: "system", id: "issue_comment_policy" },
            run: { retryOfRunId: run.id },
          },
          ctx.q,
        )
        .catch(() => null);
      if (outcome?.kind === "queued") {
        await setStatus("retry_queued");
        await appendRunEvent(ctx.q, run.id, {
          eventType: "lifecycle",
          level: "warn",
          message: "Run ended without an issue comment; queued one follow-up wake to require a comment",
        });
        ctx.pokes.add(run.agentId);
      } else {
        await setStatus("retry_exhausted");
      }
    },
  };
}
