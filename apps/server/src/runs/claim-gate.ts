import { CLOSED_ISSUE_STATUSES } from "@staple/contracts";
import { deriveCommentId, isInteractionWake, type WakeContext } from "./wake-context.js";

/** What the claim pass knows about a queued run's issue. */
export interface ClaimFacts {
  runAgentId: string;
  context: WakeContext | null;
  /** The run targets an issue. */
  hasIssue: boolean;
  issue: { status: string; assigneeAgentId: string | null; blocked: boolean } | null;
  /** The issue is under an active pause hold (itself or an ancestor). */
  held?: boolean;
}

export type ClaimGate =
  | { action: "claim" }
  | {
      action: "cancel";
      errorCode:
        | "issue_not_found"
        | "issue_tree_hold_active"
        | "issue_dependencies_blocked"
        | "issue_assignee_changed"
        | "issue_terminal_status";
      reason: string;
    };

/**
 * Claim-time gate (docs/runs.md#claim-time-gate), pure. A queued run whose issue vanished, became
 * blocked, changed hands or closed is cancelled instead of started; comment interactions still
 * reach the agent.
 */
export function claimGate(f: ClaimFacts): ClaimGate {
  if (!f.hasIssue) return { action: "claim" };
  if (!f.issue) return { action: "cancel", errorCode: "issue_not_found", reason: "Cancelled because the target issue no longer exists" };
  const interaction = isInteractionWake(f.context);
  if (f.held && !(interaction && f.context?.treeHoldInteraction === true)) {
    return {
      action: "cancel",
      errorCode: "issue_tree_hold_active",
      reason: "Cancelled because the issue is held by an active subtree pause",
    };
  }
  if (f.issue.blocked && !interaction) {
    return {
      action: "cancel",
      errorCode: "issue_dependencies_blocked",
      reason: "Cancelled because issue dependencies are still blocked; the assignee is woken when blockers resolve",
    };
  }
  if (f.issue.assigneeAgentId !== f.runAgentId && !interaction) {
    return {
      action: "cancel",
      errorCode: "issue_assignee_changed",
      reason: "Cancelled because the issue assignee changed before the queued run could start; the new owner is woken instead",
    };
  }
  const resumeIntent = f.context?.resumeIntent === true || f.context?.followUpRequested === true;
  if ((CLOSED_ISSUE_STATUSES as readonly string[]).includes(f.issue.status) && !resumeIntent && !deriveCommentId(f.context)) {
    return {
      action: "cancel",
      errorCode: "issue_terminal_status",
      reason: `Cancelled because the issue reached terminal status (${f.issue.status}) before the queued run could start`,
    };
  }
  return { action: "claim" };
}
