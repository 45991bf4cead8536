import { ACTIVE_WORK_ISSUE_STATUSES, NON_INVOKABLE_AGENT_STATUSES } from "@staple/contracts";
import { liveRunSql } from "../../db/predicates.js";
import type { WakeupEnqueuer } from "../enqueue.js";
import { escalateStrandedIssue, blockRecoveryIssueInPlace, RECOVERY_ORIGIN_KIND, type StrandedIssue } from "../recovery/escalation.js";
import { str } from "../wake-context.js";
import { activePauseHold } from "../../issues/tree-holds.js";
import { getInvocationBlock } from "../../budgets/invocation-block.js";
import type { FinalizeStep } from "./pipeline.js";

/** Cancels a person or the system asked for: never answered with automatic recovery. */
const DELIBERATE_CANCEL_CODES = ["cancelled", "issue_cancelled", "agent_not_invokable"];

/**
 * Immediate recovery (docs/runs.md#immediate-recovery): when an agent's run on its own open issue
 * fails, queue one recovery run at once (instead of waiting for the reconciliation pass); if that
 * recovery run fails too, escalate. Skipped when another run already covers the issue (a retry just
 * queued).
 */
export function immediateRecoveryStep(enqueuer: WakeupEnqueuer): FinalizeStep {
  return {
    name: "immediate_recovery",
    onlyIfTransitioned: true,
    async run(ctx) {
      const run = ctx.finalRun;
      if (!run?.issueId || run.status === "succeeded") return;
      if (run.status === "cancelled" && DELIBERATE_CANCEL_CODES.includes(run.errorCode ?? "")) return;
      const [issue] = await ctx.q.query<StrandedIssue & { assigneeUserId: string | null; agentStatus: string }>(
        `SELECT i.id, i.company_id, i.identifier, i.status, i.priority, i.project_id, i.goal_id, i.assignee_agent_id,
                i.assignee_user_id, i.created_by_agent_id, i.origin_kind, a.status AS agent_status
           FROM issues i JOIN agents a ON a.id = $2 WHERE i.id = $1 FOR NO KEY UPDATE OF i`,
        [run.issueId, run.agentId],
      );
      if (
        !issue ||
        !(ACTIVE_WORK_ISSUE_STATUSES as readonly string[]).includes(issue.status) ||
        issue.assigneeAgentId !== run.agentId ||
        issue.assigneeUserId
      )
        return;
      const [active] = await ctx.q.query(`SELECT id FROM heartbeat_runs WHERE issue_id = $1 AND ${liveRunSql()} LIMIT 1`, [issue.id]);
      if (active) return;
      if (await activePauseHold(ctx.q, issue.id)) return; // held work is left as it is, no comment
      if (await getInvocationBlock(ctx.q, { companyId: issue.companyId, agentId: run.agentId, projectId: issue.projectId })) return;
      if ((NON_INVOKABLE_AGENT_STATUSES as readonly string[]).includes(issue.agentStatus)) return; // resumes later; the reconciler picks it up
      const retryReason = issue.status === "todo" ? "assignment_recovery" : "issue_continuation_needed";
      const latestRun = { id: run.id, status: run.status, error: run.error, errorCode: run.errorCode };
      if (issue.originKind === RECOVERY_ORIGIN_KIND) {
        await blockRecoveryIssueInPlace(ctx.q, { issue, latestRun, retryReason });
        return;
      }
      if (str(run.contextSnapshot?.retryReason) === retryReason) {
        await escalateStrandedIssue(ctx.q, enqueuer, {
          issue,
          latestRun,
          retryReason,
          retried: retryReason === "assignment_recovery" ? "dispatch" : "continuation",
        });
        return;
      }
      const outcome = await enqueuer
        .enqueue(
          {
            agentId: run.agentId,
            source: "automation",
            triggerDetail: "system",
            reason: retryReason === "assignment_recovery" ? "issue_assignment_recovery" : "issue_continuation_needed",
            payload: { issueId: issue.id, retryOfRunId: run.id },
            context: {
              retryReason,
              retryOfRunId: run.id,
              source: retryReason === "assignment_recovery" ? "issue.assignment_recovery" : "issue.continuation_recovery",
            },
            requestedBy: { type: "system", id: "immediate_recovery" },
            run: { retryOfRunId: run.id },
          },
          ctx.q,
        )
        .catch(() => null);
      if (outcome?.kind === "queued") ctx.pokes.add(run.agentId);
    },
  };
}
