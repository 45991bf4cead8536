import { z } from "zod";
import { JsonObject, NullableTimestamp, Timestamp, Uuid } from "./common.js";

export const EXECUTION_WORKSPACE_MODES = Object.freeze(["shared_workspace", "isolated_workspace", "adapter_default"] as const);
export const EXECUTION_WORKSPACE_STATUSES = Object.freeze(["active", "idle", "in_review", "archived", "cleanup_failed"] as const);

const Command = z.string().trim().min(1).max(4000).nullable().optional();

/**
 * A project's execution-workspace policy (docs/workspaces.md). Unknown keys are dropped, so a
 * Paperclip client sending fields Staple does not implement is not refused.
 */
export const ExecutionWorkspacePolicy = z
  .object({
    enabled: z.boolean().optional(),
    defaultMode: z.enum(EXECUTION_WORKSPACE_MODES).optional(),
    workspaceStrategy: z
      .object({
        type: z.enum(["git_worktree", "project_primary"]).optional(),
        baseRef: z.string().trim().min(1).max(500).nullable().optional(),
        branchTemplate: z.string().trim().min(1).max(200).nullable().optional(),
        /** Runs in the new worktree before the agent (install dependencies…); a failure fails the run. */
        provisionCommand: Command,
        /** Runs in the worktree before it is removed. */
        teardownCommand: Command,
      })
      .nullable()
      .optional(),
    cleanupPolicy: z.object({ removeOnClose: z.boolean().optional() }).nullable().optional(),
  })
  .meta({ id: "ExecutionWorkspacePolicy" });
export type ExecutionWorkspacePolicy = z.infer<typeof ExecutionWorkspacePolicy>;

export const ExecutionWorkspace = z
  .object({
    id: Uuid,
    companyId: Uuid,
    projectId: Uuid.nullable(),
    projectWorkspaceId: Uuid.nullable(),
    sourceIssueId: Uuid.nullable(),
    mode: z.literal("isolated_workspace"),
    strategyType: z.literal("git_worktree"),
    name: z.string(),
    status: z.enum(EXECUTION_WORKSPACE_STATUSES),
    cwd: z.string(),
    /** The repository the worktree belongs to (the project workspace's top-level directory). */
    repoRoot: z.string(),
    repoUrl: z.string().nullable(),
    baseRef: z.string().nullable(),
    /** The commit the branch started from (the run's commits are counted from here). */
    baseCommit: z.string().nullable(),
    branchName: z.string(),
    providerType: z.string(),
    /** The run that works in it right now, if any. */
    holderRunId: Uuid.nullable(),
    heldAt: NullableTimestamp,
    lastUsedAt: Timestamp,
    openedAt: Timestamp,
    closedAt: NullableTimestamp,
    cleanupEligibleAt: NullableTimestamp,
    cleanupReason: z.string().nullable(),
    metadata: JsonObject.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "ExecutionWorkspace" });

export const ListExecutionWorkspacesQuery = z.strictObject({
  issueId: Uuid.optional(),
  projectId: Uuid.optional(),
  status: z.enum(EXECUTION_WORKSPACE_STATUSES).optional(),
});

/** Staple implements closing (status `archived`) through PATCH; other changes are refused. */
export const UpdateExecutionWorkspaceBody = z.strictObject({
  status: z.literal("archived"),
  cleanupReason: z.string().trim().min(1).max(500).nullable().optional(),
});
export type UpdateExecutionWorkspaceBody = z.infer<typeof UpdateExecutionWorkspaceBody>;
