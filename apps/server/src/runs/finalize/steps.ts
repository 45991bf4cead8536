import type { WakeupEnqueuer } from "../enqueue.js";
import type { FinalizeStep } from "./pipeline.js";
import { persistOutcome } from "./persist-outcome.js";
import { processLossRetryStep } from "./process-loss.js";
import { transientRetryStep } from "./transient-retry.js";
import { livenessClassifyStep } from "./liveness.js";
import { releaseIssueStep } from "./release-issue.js";
import { runtimeTotalsStep } from "./runtime-totals.js";
import { taskSessionStep } from "./task-session.js";
import { agentStatusStep } from "./agent-status.js";

/**
 * The finalization order of spec C.4 step 11. Recovery steps slot in where the spec puts them:
 * liveness classification and the run-summary comment after `persist_outcome`; the bounded
 * transient retry and the missing-comment policy beside `process_loss_retry` (each may move the
 * issue lock to a retry before `release_issue_execution_and_promote`); the liveness continuation
 * right after the release.
 */
export function buildFinalizeSteps(enqueuer: WakeupEnqueuer, clock: { now(): Date; random(): number }): readonly FinalizeStep[] {
  return Object.freeze([
    persistOutcome,
    livenessClassifyStep,
    transientRetryStep(clock),
    processLossRetryStep(enqueuer),
    releaseIssueStep,
    runtimeTotalsStep,
    taskSessionStep,
    agentStatusStep,
  ]);
}
