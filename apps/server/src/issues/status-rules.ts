import { ruleViolation } from "../errors.js";
import { forceReleaseColumns } from "./execution-lock.js";

export interface AssignmentState {
  status: string;
  assigneeAgentId: string | null;
  assigneeUserId: string | null;
}

/**
 * Rules every create and update must satisfy (docs/issues.md#assignment-rules): one assignee at
 * most; in_progress needs one.
 */
export function assertAssignmentRules(next: AssignmentState): void {
  if (next.assigneeAgentId && next.assigneeUserId) {
    throw ruleViolation("An issue has at most one assignee: set assigneeAgentId or assigneeUserId, not both", undefined, "two_assignees");
  }
  if (next.status === "in_progress" && !next.assigneeAgentId && !next.assigneeUserId) {
    throw ruleViolation("An issue can only be in_progress with an assignee", undefined, "in_progress_without_assignee");
  }
}

export interface StatusEffects {
  /** Column -> SQL expression to set. */
  set: Record<string, string>;
  /** Leaving in_progress or changing the assignee releases execution rights. */
  clearLocks: boolean;
}

/**
 * Side effects of a status/assignee change (docs/issues.md#statuses): entering in_progress stamps
 * startedAt; done stamps completedAt and cancelled stamps cancelledAt (cleared again when the
 * issue reopens); leaving in_progress or changing the assignee clears the four execution-lock
 * columns (docs/issues.md#the-execution-lock).
 */
export function statusEffects(prev: AssignmentState, next: AssignmentState): StatusEffects {
  const set: Record<string, string> = {};
  if (next.status !== prev.status) {
    if (next.status === "in_progress") set.started_at = "now()";
    if (next.status === "done") set.completed_at = "now()";
    else if (prev.status === "done") set.completed_at = "NULL";
    if (next.status === "cancelled") set.cancelled_at = "now()";
    else if (prev.status === "cancelled") set.cancelled_at = "NULL";
  }
  const assigneeChanged = prev.assigneeAgentId !== next.assigneeAgentId || prev.assigneeUserId !== next.assigneeUserId;
  const leftInProgress = prev.status === "in_progress" && next.status !== "in_progress";
  const clearLocks = assigneeChanged || leftInProgress;
  if (clearLocks) Object.assign(set, forceReleaseColumns());
  return { set, clearLocks };
}

/** Timestamps for a freshly created issue in `status`. */
export function initialStatusTimestamps(status: string): Record<string, string> {
  return statusEffects(
    { status: "__new__", assigneeAgentId: null, assigneeUserId: null },
    {
      status,
      assigneeAgentId: null,
      assigneeUserId: null,
    },
  ).set;
}
