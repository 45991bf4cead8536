import type { Queryable } from "../db/database.js";
import type { RunRow } from "./rows.js";
import type { WakeupEnqueuer } from "./enqueue.js";
import { appendRunEvent } from "./run-events.js";
import { NON_INVOKABLE_AGENT_STATUSES } from "@staple/contracts";
import { transferToRetry } from "../issues/execution-lock.js";

/** A run whose process was lost (server stopped or crashed under it) is retried exactly once. */
export const PROCESS_LOSS_MAX_RETRIES = 1;

/**
 * Queues the single process-loss retry for `run` inside the caller's transaction and moves the
 * issue's execution lock to it (compare-and-set on the old run), so the work is neither lost nor
 * run twice. Returns the new run id, or null when the retry budget is spent.
 */
export async function enqueueProcessLossRetry(q: Queryable, enqueuer: WakeupEnqueuer, run: RunRow, cause: string): Promise<string | null> {
  if (run.processLossRetryCount >= PROCESS_LOSS_MAX_RETRIES) return null;
  const context = { ...(run.contextSnapshot ?? {}), retryReason: "process_lost", retryOfRunId: run.id, wakeReason: "process_lost_retry" };
  const [agent] = await q.query<{ status: string }>("SELECT status FROM agents WHERE id = $1", [run.agentId]);
  if (!agent || (NON_INVOKABLE_AGENT_STATUSES as readonly string[]).includes(agent.status)) return null;
  const outcome = await enqueuer.enqueue(
    {
      agentId: run.agentId,
      source: "automation",
      triggerDetail: "system",
      reason: "process_lost_retry",
      payload: { issueId: run.issueId, retryOfRunId: run.id },
      context,
      requestedBy: { type: "system", id: "process_loss_recovery" },
      run: { retryOfRunId: run.id, processLossRetryCount: run.processLossRetryCount + 1 },
    },
    q,
  );
  const retryId = outcome.kind === "queued" || outcome.kind === "coalesced" ? outcome.run.id : null;
  if (retryId && run.issueId) await transferToRetry(q, run.issueId, run.id, retryId, run.agentId);
  await appendRunEvent(q, run.id, {
    eventType: "lifecycle",
    level: "warn",
    message: retryId ? `${cause}; retrying once` : `${cause}; no retry queued (${outcome.kind})`,
    payload: { retryRunId: retryId },
  });
  return retryId;
}
