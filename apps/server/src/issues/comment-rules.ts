import { CLOSED_ISSUE_STATUSES } from "@staple/contracts";
/**
 * Whether a comment moves its issue back to `todo` (docs/issues.md#reopening-by-comment). Pure.
 * - `reopen: true` reopens a closed issue, unless the author is the assignee agent itself;
 * - a human comment on an agent-assigned closed issue, or on a blocked one whose blockers are all
 *   done, reopens it — except when posted from the run that holds the issue's execution lock;
 * - an assignee agent's own comment on a closed issue never reopens it.
 */
export function commentReopensIssue(input: {
  status: string;
  assigneeAgentId: string | null;
  executionRunId: string | null;
  authorAgentId: string | null;
  authorIsUser: boolean;
  authorRunId: string | null;
  explicitReopen: boolean;
  hasOpenBlockers: boolean;
}): boolean {
  const closed = (CLOSED_ISSUE_STATUSES as readonly string[]).includes(input.status);
  if (input.assigneeAgentId !== null && input.authorAgentId === input.assigneeAgentId) return false;
  if (input.authorRunId !== null && input.authorRunId === input.executionRunId) return false;
  if (input.explicitReopen) return closed;
  if (!input.authorIsUser || input.assigneeAgentId === null) return false;
  return closed || (input.status === "blocked" && !input.hasOpenBlockers);
}
