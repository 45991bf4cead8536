import type { ExecutionWorkspacePolicy } from "@staple/contracts";

/** Adapters that edit code in their working directory: isolated by default. */
export const CODING_ADAPTER_TYPES: ReadonlySet<string> = new Set(["claude_local", "codex_local"]);

export type WorkspaceDecision =
  | { mode: "isolated" }
  | { mode: "shared"; reason: "no_issue" | "no_project_workspace" | "policy_disabled" | "policy_shared" | "not_a_coding_adapter" };

export interface WorkspaceDecisionInput {
  /** The run works an issue (timer and on-demand runs without one always share). */
  hasIssue: boolean;
  /** The issue's project has a workspace with a local directory. */
  hasProjectWorkspace: boolean;
  policy: ExecutionWorkspacePolicy | null;
  adapterType: string;
  /** The adapter module declares itself a coding agent (`codingAgent: true`). */
  adapterIsCoding: boolean;
}

/**
 * Pure: does this run get an isolated worktree or the shared project directory? An explicit
 * project mode wins; without one (or `adapter_default`) coding adapters are isolated and the rest
 * share, which keeps today's behaviour for process and http agents. Whether the directory is a git
 * repository is checked afterwards (a non-git directory is always shared).
 */
export function decideWorkspaceMode(input: WorkspaceDecisionInput): WorkspaceDecision {
  if (!input.hasIssue) return { mode: "shared", reason: "no_issue" };
  if (!input.hasProjectWorkspace) return { mode: "shared", reason: "no_project_workspace" };
  const policy = input.policy;
  if (policy?.enabled === false) return { mode: "shared", reason: "policy_disabled" };
  if (policy?.defaultMode === "shared_workspace") return { mode: "shared", reason: "policy_shared" };
  if (policy?.defaultMode === "isolated_workspace") return { mode: "isolated" };
  const coding = input.adapterIsCoding || CODING_ADAPTER_TYPES.has(input.adapterType);
  return coding ? { mode: "isolated" } : { mode: "shared", reason: "not_a_coding_adapter" };
}

/** Whether a closed issue's worktree is removed (default) or kept on disk. */
export function removesOnClose(policy: ExecutionWorkspacePolicy | null): boolean {
  return policy?.cleanupPolicy?.removeOnClose !== false;
}
