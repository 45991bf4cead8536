import type { WakeupEnqueuer } from "../enqueue.js";
import type { FinalizeStep } from "./pipeline.js";
import { persistOutcome } from "./persist-outcome.js";
import { processLossRetryStep } from "./process-loss.js";
import { transientRetryStep } from "./transient-retry.js";
import { quotaHoldStep } from "./quota-hold.js";
import { livenessClassifyStep, livenessContinuationStep } from "./liveness.js";
import { issueCommentPolicyStep, summaryCommentStep } from "./issue-comment-policy.js";
import { immediateRecoveryStep } from "./immediate-recovery.js";
import { releaseIssueStep } from "./release-issue.js";
import { runtimeTotalsStep } from "./runtime-totals.js";
import { taskSessionStep } from "./task-session.js";
import { agentStatusStep } from "./agent-status.js";

/**
 * The finalization order (docs/runs.md#finalization). Recovery steps slot in between the core steps:
 * liveness classification and the run-summary comment after `persist_outcome`; the bounded
 * transient retry and the missing-comment policy beside `process_loss_retry` (each may move the
 * issue lock to a retry before `release_issue_execution_and_promote`); the liveness continuation
 * right after the release.
 */
/** Recovery behaviours that can be switched off (tests of plain wake semantics do; production never). */
export interface RecoveryToggles {
  missingComment?: boolean;
  immediateRecovery?: boolean;
  livenessContinuation?: boolean;
  strandedReconciliation?: boolean;
}

export function buildFinalizeSteps(
  enqueuer: WakeupEnqueuer,
  clock: { now(): Date; random(): number },
  toggles: RecoveryToggles = {},
): readonly FinalizeStep[] {
  const on = (flag: keyof RecoveryToggles) => toggles[flag] !== false;
  return Object.freeze([
    livenessClassifyStep,
    persistOutcome,
    summaryCommentStep,
    transientRetryStep(clock),
    quotaHoldStep(clock),
    processLossRetryStep(enqueuer),
    ...(on("missingComment") ? [issueCommentPolicyStep(enqueuer)] : []),
    releaseIssueStep,
    ...(on("immediateRecovery") ? [immediateRecoveryStep(enqueuer)] : []),
    ...(on("livenessContinuation") ? [livenessContinuationStep(enqueuer)] : []),
    runtimeTotalsStep,
    taskSessionStep,
    // The agent's status and the end of the run's environment leases: one statement.
    agentStatusStep,
  ]);
}
