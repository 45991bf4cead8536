/** A registered runner's state (docs/runners.md): taking runs, finishing its runs before it stops, or gone. */
export const RUNNER_STATUSES = Object.freeze(["online", "draining", "offline"] as const);
export type RunnerStatus = (typeof RUNNER_STATUSES)[number];
