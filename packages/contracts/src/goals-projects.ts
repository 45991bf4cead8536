import { z } from "zod";
import { GOAL_LEVELS, GOAL_STATUSES, PROJECT_STATUSES } from "./enums.js";
import { NonEmptyTrimmed, NullableTimestamp, Timestamp, Uuid } from "./common.js";
import { ExecutionWorkspacePolicy } from "./execution-workspaces.js";

export const Goal = z
  .object({
    id: Uuid,
    companyId: Uuid,
    title: z.string(),
    description: z.string().nullable(),
    level: z.enum(GOAL_LEVELS),
    status: z.enum(GOAL_STATUSES),
    parentId: Uuid.nullable(),
    ownerAgentId: Uuid.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "Goal" });

const goalFields = {
  title: NonEmptyTrimmed.max(500),
  description: z.string().max(50_000).nullable().optional(),
  level: z.enum(GOAL_LEVELS).optional(),
  status: z.enum(GOAL_STATUSES).optional(),
  parentId: Uuid.nullable().optional(),
  ownerAgentId: Uuid.nullable().optional(),
};
export const CreateGoalBody = z.strictObject(goalFields);
export const UpdateGoalBody = z.strictObject({ ...goalFields, title: goalFields.title.optional() });
export type CreateGoalBody = z.infer<typeof CreateGoalBody>;
export type UpdateGoalBody = z.infer<typeof UpdateGoalBody>;

export const ProjectWorkspace = z
  .object({
    id: Uuid,
    companyId: Uuid,
    projectId: Uuid,
    name: z.string(),
    cwd: z.string().nullable(),
    repoUrl: z.string().nullable(),
    repoRef: z.string().nullable(),
    isPrimary: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "ProjectWorkspace" });

const workspaceFields = {
  name: NonEmptyTrimmed.max(200),
  cwd: z
    .string()
    .min(1)
    .refine((p) => p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p), "cwd must be an absolute path")
    .nullable()
    .optional(),
  repoUrl: z.string().min(1).max(2000).nullable().optional(),
  repoRef: z.string().min(1).max(500).nullable().optional(),
  isPrimary: z.boolean().optional(),
};
export const CreateWorkspaceBody = z
  .strictObject(workspaceFields)
  .refine((b) => Boolean(b.cwd || b.repoUrl), { message: "A workspace needs a cwd or a repoUrl", path: ["cwd"] });
export const UpdateWorkspaceBody = z.strictObject({ ...workspaceFields, name: workspaceFields.name.optional() });
export type CreateWorkspaceBody = z.infer<typeof CreateWorkspaceBody>;
export type UpdateWorkspaceBody = z.infer<typeof UpdateWorkspaceBody>;

export const Project = z
  .object({
    id: Uuid,
    companyId: Uuid,
    goalId: Uuid.nullable(),
    name: z.string(),
    description: z.string().nullable(),
    status: z.enum(PROJECT_STATUSES),
    leadAgentId: Uuid.nullable(),
    targetDate: z.string().nullable(),
    color: z.string().nullable(),
    env: z.record(z.string(), z.string()).nullable(),
    executionWorkspacePolicy: ExecutionWorkspacePolicy.nullable(),
    pausedAt: NullableTimestamp,
    archivedAt: NullableTimestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    workspaces: z.array(ProjectWorkspace),
  })
  .meta({ id: "Project" });

const projectFields = {
  name: NonEmptyTrimmed.max(200),
  description: z.string().max(50_000).nullable().optional(),
  status: z.enum(PROJECT_STATUSES).optional(),
  goalId: Uuid.nullable().optional(),
  leadAgentId: Uuid.nullable().optional(),
  targetDate: z.iso.date().nullable().optional(),
  color: z.string().max(50).nullable().optional(),
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "Invalid environment variable name"), z.string())
    .nullable()
    .optional(),
  executionWorkspacePolicy: ExecutionWorkspacePolicy.nullable().optional(),
};
export const CreateProjectBody = z.strictObject({
  ...projectFields,
  workspaces: z.array(CreateWorkspaceBody).max(20).optional(),
});
export const UpdateProjectBody = z.strictObject({
  ...projectFields,
  name: projectFields.name.optional(),
  archived: z.boolean().optional(),
});
export type CreateProjectBody = z.infer<typeof CreateProjectBody>;
export type UpdateProjectBody = z.infer<typeof UpdateProjectBody>;

/** `DELETE /projects/:id`: the project as it was, without its (deleted) workspaces. */
export const DeletedProject = Project.omit({ workspaces: true }).meta({ id: "DeletedProject" });
