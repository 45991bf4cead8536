import { isTransientFailure } from "../retry-policy.js";
import { scheduleBoundedRetry } from "../transient-retry.js";
import type { FinalizeStep } from "./pipeline.js";

/**
 * A run that failed with a transient upstream error (rate limit, overload, provider 5xx…) gets a
 * bounded retry: 2 min, 10 min, 30 min, 2 h with jitter, or later when the provider said when.
 * Runs before the release step so the lock moves to the retry instead of being freed.
 */
export function transientRetryStep(clock: { now(): Date; random(): number }): FinalizeStep {
  return {
    name: "bounded_transient_retry",
    onlyIfTransitioned: true,
    async run(ctx) {
      const run = ctx.finalRun;
      if (!run || !isTransientFailure(run)) return;
      await scheduleBoundedRetry(ctx.q, { ...run, adapterType: ctx.agent.adapterType }, { now: clock.now(), random: clock.random });
    },
  };
}
