import { releaseRunLeases } from "../environment-leases.js";
import type { FinalizeStep } from "./pipeline.js";

/**
 * Releases the run's environment leases, last, whatever the outcome
 * (docs/runs.md#environment-leases).
 */
export const environmentLeaseStep: FinalizeStep = {
  name: "release_environment_leases",
  onlyIfTransitioned: true,
  async run(ctx) {
    const run = ctx.finalRun;
    if (!run) return;
    await releaseRunLeases(ctx.q, run, run.status, run.errorCode);
  },
};
