import { z } from "zod";
import { RUN_STATUSES, WAKE_SOURCES, WAKE_TRIGGER_DETAILS } from "./enums.js";
import { JsonObject, NullableTimestamp, QueryInt, Timestamp, Uuid } from "./common.js";

export const WakeupBody = z.strictObject({
  source: z.enum(WAKE_SOURCES).default("on_demand"),
  triggerDetail: z.enum(WAKE_TRIGGER_DETAILS).optional(),
  reason: z.string().trim().min(1).max(200).nullable().optional(),
  payload: JsonObject.nullable().optional(),
  idempotencyKey: z.string().trim().min(1).max(200).nullable().optional(),
  forceFreshSession: z.boolean().optional(),
});
export type WakeupBody = z.infer<typeof WakeupBody>;

export const HeartbeatRun = z
  .object({
    id: Uuid,
    companyId: Uuid,
    agentId: Uuid,
    invocationSource: z.enum(WAKE_SOURCES),
    triggerDetail: z.string().nullable(),
    status: z.enum(RUN_STATUSES),
    wakeupRequestId: Uuid.nullable(),
    startedAt: NullableTimestamp,
    finishedAt: NullableTimestamp,
    error: z.string().nullable(),
    errorCode: z.string().nullable(),
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable(),
    usageJson: JsonObject.nullable(),
    resultJson: JsonObject.nullable(),
    sessionIdBefore: z.string().nullable(),
    sessionIdAfter: z.string().nullable(),
    logBytes: z.number().nullable(),
    retryOfRunId: Uuid.nullable(),
    processLossRetryCount: z.number().int(),
    scheduledRetryAt: NullableTimestamp,
    scheduledRetryAttempt: z.number().int(),
    livenessState: z.string().nullable(),
    contextSnapshot: JsonObject.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "HeartbeatRun" });

export const WakeupSkipped = z
  .object({ status: z.enum(["skipped", "deferred"]), reason: z.string(), wakeupRequestId: Uuid })
  .meta({ id: "WakeupSkipped" });

export const RunEvent = z
  .object({
    id: z.number().int(),
    companyId: Uuid,
    runId: Uuid,
    agentId: Uuid,
    seq: z.number().int(),
    eventType: z.string(),
    stream: z.string(),
    level: z.string(),
    message: z.string().nullable(),
    payload: z.unknown(),
    createdAt: Timestamp,
  })
  .meta({ id: "RunEvent" });

export const RunLog = z
  .object({
    runId: Uuid,
    store: z.string(),
    logRef: z.string(),
    content: z.string(),
    nextOffset: z.number().int().optional(),
    /** Older output was dropped to keep the log under the per-run cap (STAPLE_RUN_LOG_MAX_BYTES); the newest output is kept. */
    truncated: z.boolean().optional(),
    /** How many log bytes were dropped (known once the run has closed its log). */
    droppedBytes: z.number().int().optional(),
  })
  .meta({ id: "RunLog" });

export const ListRunsQuery = z.strictObject({
  agentId: Uuid.optional(),
  status: z.string().optional(),
  limit: QueryInt.pipe(z.number().int().min(1).max(1000)).optional(),
  /** `true` (or `1`): compact rows, the heavy fields (usage, sessions, log location, result) null. */
  summary: z.enum(["true", "false", "1", "0"]).optional(),
});
export const RunEventsQuery = z.strictObject({
  afterSeq: QueryInt.optional(),
  limit: QueryInt.pipe(z.number().int().min(1).max(1000)).optional(),
});
export const RunLogQuery = z.strictObject({
  offset: QueryInt.optional(),
  limitBytes: QueryInt.pipe(z.number().int().min(1).max(1024 * 1024)).optional(),
});
