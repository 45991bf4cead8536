import { quotaResetAt, recordQuotaHold } from "../quota-holds.js";
import type { FinalizeStep } from "./pipeline.js";

/**
 * A run that failed on a provider usage limit with a reset time holds its credential until then
 * (docs/runs.md#quota-breaker): other agents on the same API key or CLI login are not started
 * meanwhile. The failed run's own bounded retry is scheduled by the transient retry step.
 */
export function quotaHoldStep(clock: { now(): Date }): FinalizeStep {
  return {
    name: "provider_quota_hold",
    onlyIfTransitioned: true,
    async run(ctx) {
      const run = ctx.finalRun;
      if (!run) return;
      const now = clock.now();
      const resetAt = quotaResetAt(run, ctx.result, now);
      if (!resetAt) return;
      const [agent] = await ctx.q.query<{ adapterConfig: unknown }>("SELECT adapter_config FROM agents WHERE id = $1", [run.agentId]);
      await recordQuotaHold(ctx.q, {
        companyId: run.companyId,
        agentId: run.agentId,
        runId: run.id,
        adapterType: ctx.agent.adapterType,
        adapterConfig: agent?.adapterConfig ?? {},
        errorCode: run.errorCode,
        resetAt,
        now,
      });
    },
  };
}
