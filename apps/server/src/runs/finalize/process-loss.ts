import type { WakeupEnqueuer } from "../enqueue.js";
import { enqueueProcessLossRetry } from "../process-loss-retry.js";
import type { FinalizeStep } from "./pipeline.js";

/** Error codes meaning "the run's process was lost, not that the agent failed". */
export const PROCESS_LOSS_CODES: readonly string[] = ["process_lost", "server_shutdown", "runner_shutdown"];

/**
 * A run that ended because its process was lost (the server shut down or crashed under it) gets
 * exactly one retry, which takes over the issue lock before the release step runs.
 */
export function processLossRetryStep(enqueuer: WakeupEnqueuer): FinalizeStep {
  return {
    name: "process_loss_retry",
    onlyIfTransitioned: true,
    async run(ctx) {
      if (!ctx.outcome.errorCode || !PROCESS_LOSS_CODES.includes(ctx.outcome.errorCode)) return;
      const retryId = await enqueueProcessLossRetry(ctx.q, enqueuer, ctx.finalRun ?? ctx.run, ctx.outcome.error ?? "Process lost");
      if (retryId) ctx.pokes.add(ctx.run.agentId);
    },
  };
}
