import { z } from "zod";
import { JsonObject, NullableTimestamp, Timestamp, Uuid } from "./common.js";
import {
  ISSUE_PRIORITIES,
  ROUTINE_CATCH_UP_POLICIES,
  ROUTINE_CONCURRENCY_POLICIES,
  ROUTINE_RUN_SOURCES,
  ROUTINE_RUN_STATUSES,
  ROUTINE_SIGNING_MODES,
  ROUTINE_STATUSES,
  ROUTINE_TRIGGER_KINDS,
} from "./enums.js";

/** Catch-up fires enqueued for one trigger after downtime (`enqueue_missed_with_cap`). */
export const ROUTINE_CATCH_UP_CAP = 25;
export const ROUTINE_TITLE_MAX = 200;
export const ROUTINE_TRIGGER_LABEL_MAX = 120;
export const ROUTINE_REPLAY_WINDOW_DEFAULT_SEC = 300;

export const RoutineTrigger = z
  .object({
    id: Uuid,
    companyId: Uuid,
    routineId: Uuid,
    kind: z.enum(ROUTINE_TRIGGER_KINDS),
    label: z.string().nullable(),
    enabled: z.boolean(),
    cronExpression: z.string().nullable(),
    timezone: z.string().nullable(),
    nextRunAt: NullableTimestamp,
    lastFiredAt: NullableTimestamp,
    publicId: z.string().nullable(),
    signingMode: z.enum(ROUTINE_SIGNING_MODES).nullable(),
    replayWindowSec: z.number().int().nullable(),
    lastRotatedAt: NullableTimestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "RoutineTrigger" });
export type RoutineTrigger = z.infer<typeof RoutineTrigger>;

export const Routine = z
  .object({
    id: Uuid,
    companyId: Uuid,
    projectId: Uuid.nullable(),
    goalId: Uuid.nullable(),
    parentIssueId: Uuid.nullable(),
    title: z.string(),
    description: z.string().nullable(),
    assigneeAgentId: Uuid.nullable(),
    priority: z.enum(ISSUE_PRIORITIES),
    status: z.enum(ROUTINE_STATUSES),
    concurrencyPolicy: z.enum(ROUTINE_CONCURRENCY_POLICIES),
    catchUpPolicy: z.enum(ROUTINE_CATCH_UP_POLICIES),
    createdByAgentId: Uuid.nullable(),
    createdByUserId: z.string().nullable(),
    updatedByAgentId: Uuid.nullable(),
    updatedByUserId: z.string().nullable(),
    lastTriggeredAt: NullableTimestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    triggers: z.array(RoutineTrigger),
  })
  .meta({ id: "Routine" });
export type Routine = z.infer<typeof Routine>;

export const RoutineRun = z
  .object({
    id: Uuid,
    companyId: Uuid,
    routineId: Uuid,
    triggerId: Uuid.nullable(),
    source: z.enum(ROUTINE_RUN_SOURCES),
    status: z.enum(ROUTINE_RUN_STATUSES),
    /** The cron tick a schedule fire stands for (null for manual, API and webhook fires). */
    scheduledFor: NullableTimestamp,
    triggeredAt: Timestamp,
    idempotencyKey: z.string().nullable(),
    triggerPayload: JsonObject.nullable(),
    linkedIssueId: Uuid.nullable(),
    coalescedIntoRunId: Uuid.nullable(),
    /** Why a fire created no issue (set when its status is skipped, coalesced or failed). */
    failureReason: z.string().nullable(),
    completedAt: NullableTimestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    linkedIssue: z
      .object({ id: Uuid, identifier: z.string().nullable(), title: z.string(), status: z.string(), priority: z.string() })
      .nullable(),
    trigger: z.object({ id: Uuid, kind: z.enum(ROUTINE_TRIGGER_KINDS), label: z.string().nullable() }).nullable(),
  })
  .meta({ id: "RoutineRun" });
export type RoutineRun = z.infer<typeof RoutineRun>;

const Title = z.string().trim().min(1).max(ROUTINE_TITLE_MAX);
const Label = z.string().max(ROUTINE_TRIGGER_LABEL_MAX).nullable();

const routineFields = {
  title: Title,
  description: z.string().max(100_000).nullable(),
  assigneeAgentId: Uuid,
  projectId: Uuid.nullable(),
  goalId: Uuid.nullable(),
  parentIssueId: Uuid.nullable(),
  priority: z.enum(ISSUE_PRIORITIES),
  status: z.enum(ROUTINE_STATUSES),
  concurrencyPolicy: z.enum(ROUTINE_CONCURRENCY_POLICIES),
  catchUpPolicy: z.enum(ROUTINE_CATCH_UP_POLICIES),
};

export const CreateRoutineBody = z.strictObject({
  title: routineFields.title,
  assigneeAgentId: routineFields.assigneeAgentId,
  description: routineFields.description.optional(),
  projectId: routineFields.projectId.optional(),
  goalId: routineFields.goalId.optional(),
  parentIssueId: routineFields.parentIssueId.optional(),
  priority: routineFields.priority.optional(),
  status: routineFields.status.optional(),
  concurrencyPolicy: routineFields.concurrencyPolicy.optional(),
  catchUpPolicy: routineFields.catchUpPolicy.optional(),
});
export type CreateRoutineBody = z.infer<typeof CreateRoutineBody>;

export const UpdateRoutineBody = z.strictObject({
  title: routineFields.title.optional(),
  assigneeAgentId: routineFields.assigneeAgentId.optional(),
  description: routineFields.description.optional(),
  projectId: routineFields.projectId.optional(),
  goalId: routineFields.goalId.optional(),
  parentIssueId: routineFields.parentIssueId.optional(),
  priority: routineFields.priority.optional(),
  status: routineFields.status.optional(),
  concurrencyPolicy: routineFields.concurrencyPolicy.optional(),
  catchUpPolicy: routineFields.catchUpPolicy.optional(),
});
export type UpdateRoutineBody = z.infer<typeof UpdateRoutineBody>;

const ReplayWindowSec = z.number().int().min(30).max(86_400);

export const CreateRoutineTriggerBody = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("schedule"),
    label: Label.optional(),
    enabled: z.boolean().optional(),
    /** Five fields: minute hour day-of-month month day-of-week. */
    cronExpression: z.string().trim().min(1).max(200),
    /** IANA time zone; UTC when absent. */
    timezone: z.string().trim().min(1).max(64).optional(),
  }),
  z.strictObject({
    kind: z.literal("webhook"),
    label: Label.optional(),
    enabled: z.boolean().optional(),
    signingMode: z.enum(ROUTINE_SIGNING_MODES).optional(),
    replayWindowSec: ReplayWindowSec.optional(),
  }),
  z.strictObject({ kind: z.literal("api"), label: Label.optional(), enabled: z.boolean().optional() }),
]);
export type CreateRoutineTriggerBody = z.infer<typeof CreateRoutineTriggerBody>;

export const UpdateRoutineTriggerBody = z.strictObject({
  label: Label.optional(),
  enabled: z.boolean().optional(),
  cronExpression: z.string().trim().min(1).max(200).optional(),
  timezone: z.string().trim().min(1).max(64).optional(),
  signingMode: z.enum(ROUTINE_SIGNING_MODES).optional(),
  replayWindowSec: ReplayWindowSec.optional(),
});
export type UpdateRoutineTriggerBody = z.infer<typeof UpdateRoutineTriggerBody>;

/** Returned once, when a webhook trigger is created or its secret rotated; never readable again. */
export const RoutineSecretMaterial = z.object({ webhookUrl: z.string(), webhookSecret: z.string() });

export const RoutineTriggerWithSecret = z
  .object({ trigger: RoutineTrigger, secretMaterial: RoutineSecretMaterial.nullable() })
  .meta({ id: "RoutineTriggerWithSecret" });
export type RoutineTriggerWithSecret = z.infer<typeof RoutineTriggerWithSecret>;

export const RunRoutineBody = z.strictObject({
  source: z.enum(["manual", "api"]).optional(),
  triggerId: Uuid.nullable().optional(),
  payload: JsonObject.nullable().optional(),
  idempotencyKey: z.string().min(1).max(255).nullable().optional(),
});
export type RunRoutineBody = z.infer<typeof RunRoutineBody>;

export const ListRoutineRunsQuery = z.object({
  limit: z.string().regex(/^\d+$/, "Expected a positive integer").transform(Number).pipe(z.number().int().min(1).max(500)).optional(),
});
