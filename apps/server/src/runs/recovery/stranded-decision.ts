import { UNSUCCESSFUL_RUN_STATUSES } from "@staple/contracts";
import { RECOVERY_ORIGIN_KIND, type LatestRun, type StrandedIssue } from "./escalation.js";

export interface StrandedFacts {
  issue: StrandedIssue & { checkoutRunId: string | null; executionRunId: string | null };
  agentInvokable: boolean;
  hasActiveRun: boolean;
  hasDeferredWake: boolean;
  hasQueuedWake: boolean;
  latestRun: (LatestRun & { retryReason: string | null; livenessState: string | null }) | null;
}

export type StrandedAction =
  | { kind: "skip"; why: string }
  | { kind: "dispatch" }
  | { kind: "requeue_dispatch" }
  | { kind: "requeue_continuation" }
  | { kind: "escalate"; retried: "dispatch" | "continuation"; retryReason: string }
  | { kind: "block_recovery_in_place"; retryReason: string }
  | { kind: "observed_productive" }
  | { kind: "observed_successful" };

const FAILED: readonly string[] = UNSUCCESSFUL_RUN_STATUSES;
const PRODUCTIVE = ["advanced", "completed", "blocked", "needs_followup"];

/**
 * What the reconciliation pass does with one assigned, open issue (the table in
 * docs/runs.md#stranded-issue-reconciliation). Pure:
 * the pass gathers the facts for every candidate in one query and applies the outcomes.
 */
export function decideStranded(f: StrandedFacts): StrandedAction {
  if (!f.agentInvokable) return { kind: "skip", why: "agent_not_invokable" };
  if (f.hasActiveRun || f.hasDeferredWake) return { kind: "skip", why: "work_pending" };
  const run = f.latestRun;
  const isRecovery = f.issue.originKind === RECOVERY_ORIGIN_KIND;
  if (isRecovery && run && FAILED.includes(run.status)) {
    return {
      kind: "block_recovery_in_place",
      retryReason: run.retryReason ?? (f.issue.status === "todo" ? "assignment_recovery" : "issue_continuation_needed"),
    };
  }
  if (f.issue.status === "todo") {
    if (!run) return f.hasQueuedWake ? { kind: "skip", why: "queued_wake" } : { kind: "dispatch" };
    if (run.status === "succeeded") return { kind: "skip", why: "succeeded" };
    if (!FAILED.includes(run.status)) return { kind: "skip", why: "run_pending" };
    if (run.retryReason === "assignment_recovery") return { kind: "escalate", retried: "dispatch", retryReason: "assignment_recovery" };
    return { kind: "requeue_dispatch" };
  }
  // in_progress
  if (!run) {
    return f.issue.checkoutRunId || f.issue.executionRunId ? { kind: "requeue_continuation" } : { kind: "skip", why: "no_run_linkage" };
  }
  if (run.status === "succeeded") {
    return run.livenessState && PRODUCTIVE.includes(run.livenessState) ? { kind: "observed_productive" } : { kind: "observed_successful" };
  }
  if (!FAILED.includes(run.status)) return { kind: "skip", why: "run_pending" };
  if (run.retryReason === "issue_continuation_needed")
    return { kind: "escalate", retried: "continuation", retryReason: "issue_continuation_needed" };
  return { kind: "requeue_continuation" };
}
