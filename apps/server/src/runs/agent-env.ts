import { str, wakeCommentIds, type WakeContext } from "./wake-context.js";

export interface AgentEnvInput {
  agent: { id: string; companyId: string };
  runId: string;
  apiUrl: string;
  /** Run-scoped JWT, handed to the agent as PAPERCLIP_API_KEY (and redacted everywhere). */
  token: string;
  context: WakeContext | null;
  agentHome: string;
  /** Project env (merged into the run env; the agent's own config env goes on top in the adapter). */
  projectEnv?: Record<string, string> | null;
  /** PAPERCLIP_WORKSPACE_* of the run's isolated worktree (docs/workspaces.md#agent-environment). */
  workspaceEnv?: Record<string, string> | null;
}

/**
 * The environment every agent process receives (docs/runs.md#agent-environment). Staple gives
 * process agents the run id and a run token too, so a plain script can call the API as itself.
 * Secrets travel only here, never on a command line.
 */
export function buildAgentEnv(input: AgentEnvInput): Record<string, string> {
  const ctx = input.context ?? {};
  const env: Record<string, string> = { ...(input.projectEnv ?? {}) };
  env.PAPERCLIP_AGENT_ID = input.agent.id;
  env.PAPERCLIP_COMPANY_ID = input.agent.companyId;
  env.PAPERCLIP_API_URL = input.apiUrl;
  env.PAPERCLIP_RUN_ID = input.runId;
  env.PAPERCLIP_API_KEY = input.token;
  env.AGENT_HOME = input.agentHome;
  Object.assign(env, input.workspaceEnv ?? {});
  const issueId = str(ctx.issueId) ?? str(ctx.taskId);
  if (issueId) env.PAPERCLIP_TASK_ID = issueId;
  const reason = str(ctx.wakeReason);
  if (reason) env.PAPERCLIP_WAKE_REASON = reason;
  const commentId = wakeCommentIds(ctx).at(-1) ?? str(ctx.wakeCommentId) ?? str(ctx.commentId);
  if (commentId) env.PAPERCLIP_WAKE_COMMENT_ID = commentId;
  // A board decision on an approval this agent requested (approvals/decide.ts puts these in the context).
  const approvalId = str(ctx.approvalId);
  const linkedIssueIds = Array.isArray(ctx.issueIds) ? ctx.issueIds.filter((id): id is string => typeof id === "string" && id !== "") : [];
  if (approvalId) {
    env.PAPERCLIP_APPROVAL_ID = approvalId;
    const approvalStatus = str(ctx.approvalStatus);
    if (approvalStatus) env.PAPERCLIP_APPROVAL_STATUS = approvalStatus;
    env.PAPERCLIP_LINKED_ISSUE_IDS = linkedIssueIds.join(",");
  }
  env.PAPERCLIP_WAKE_PAYLOAD_JSON = JSON.stringify({
    reason: reason ?? null,
    source: str(ctx.wakeSource),
    issueId: issueId ?? null,
    taskKey: str(ctx.taskKey),
    commentIds: wakeCommentIds(ctx),
    retryReason: str(ctx.retryReason),
    ...(approvalId ? { approvalId, approvalStatus: str(ctx.approvalStatus), issueIds: linkedIssueIds } : {}),
  });
  return env;
}
