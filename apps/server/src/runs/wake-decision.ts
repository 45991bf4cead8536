/**
 * The issue-scoped wake decision (docs/runs.md#issue-scoped-wakes), as a pure function returning a
 * typed outcome.
 * The enqueue transaction gathers the facts (under the issue row lock) and applies the outcome.
 */
export interface IssueWakeFacts {
  /** The live execution-path run holding (or adopted as) the issue's execution lock. */
  activeRun: { id: string; status: string; agentNameKey: string | null } | null;
  /** Name key of the agent being woken. */
  agentNameKey: string;
  /** The issue has blockers that are not done. */
  dependencyBlocked: boolean;
  /** Comment/reopen/mention wake with a comment id. */
  interaction: boolean;
  /** The wake carries new input (a comment, an approval) a running run has not seen. */
  needsFollowup: boolean;
}

export type IssueWakeOutcome =
  | { kind: "skip"; reason: "issue_dependencies_blocked" }
  | { kind: "coalesce"; runId: string; reason: "issue_execution_same_name" }
  | { kind: "defer"; reason: "issue_execution_deferred" }
  | { kind: "queue"; dependencyBlockedInteraction: boolean };

export function decideIssueWake(f: IssueWakeFacts): IssueWakeOutcome {
  if (!f.activeRun) {
    if (f.dependencyBlocked && !f.interaction) return { kind: "skip", reason: "issue_dependencies_blocked" };
    return { kind: "queue", dependencyBlockedInteraction: f.dependencyBlocked };
  }
  const sameAgent = f.activeRun.agentNameKey !== null && f.activeRun.agentNameKey === f.agentNameKey;
  const followupWhileRunning = f.activeRun.status === "running" && f.needsFollowup;
  if (sameAgent && !followupWhileRunning) {
    return { kind: "coalesce", runId: f.activeRun.id, reason: "issue_execution_same_name" };
  }
  return { kind: "defer", reason: "issue_execution_deferred" };
}

/**
 * Non-issue wakes (docs/runs.md#wakeups-and-coalescing): fold into the same task's queued run, else
 * its scheduled retry, else its running run (unless the wake carries input that run has not seen).
 */
export function pickNonIssueCoalesceTarget<T extends { status: string }>(sameTaskRuns: readonly T[], needsFollowup: boolean): T | null {
  const queued = sameTaskRuns.find((r) => r.status === "queued");
  if (queued) return queued;
  const retry = sameTaskRuns.find((r) => r.status === "scheduled_retry");
  if (retry) return retry;
  const running = sameTaskRuns.find((r) => r.status === "running");
  if (running && !needsFollowup) return running;
  return null;
}
