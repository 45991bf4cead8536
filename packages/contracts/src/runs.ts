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

/** A row of the company's run list: the run with the issue it worked on and what it cost (the cost ledger's sum). */
export const HeartbeatRunListRow = HeartbeatRun.extend({
  issueId: Uuid.nullable(),
  issueIdentifier: z.string().nullable(),
  issueTitle: z.string().nullable(),
  costCents: z.number().int(),
}).meta({ id: "HeartbeatRunListRow" });

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
    /** Offset of the first byte of `content`: later than asked when older output was dropped. */
    offset: z.number().int().optional(),
    nextOffset: z.number().int().optional(),
    /** Older output was dropped to keep the log under the per-run cap (STAPLE_RUN_LOG_MAX_BYTES); the newest output is kept. */
    truncated: z.boolean().optional(),
    /** How many log bytes were dropped (known once the run has closed its log). */
    droppedBytes: z.number().int().optional(),
  })
  .meta({ id: "RunLog" });

/**
 * `issueId` takes the issue's id or its identifier (ACM-4): the runs aimed at that issue. `cursor` is
 * the id of the previous page's last run (the list continues with older runs).
 */
export const ListRunsQuery = z.strictObject({
  agentId: Uuid.optional(),
  status: z.string().optional(),
  issueId: z.string().min(1).max(200).optional(),
  cursor: Uuid.optional(),
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
  limitBytes: QueryInt.pipe(
    z
      .number()
      .int()
      .min(1)
      .max(1024 * 1024),
  ).optional(),
});

/** A row of `GET /issues/:id/runs`: the runs aimed at the issue or that wrote activity on it (result trimmed). */
export const IssueRunHistoryRow = z
  .object({
    runId: Uuid,
    status: z.enum(RUN_STATUSES),
    agentId: Uuid,
    adapterType: z.string(),
    startedAt: NullableTimestamp,
    finishedAt: NullableTimestamp,
    createdAt: Timestamp,
    invocationSource: z.enum(WAKE_SOURCES),
    errorCode: z.string().nullable(),
    usageJson: JsonObject.nullable(),
    /** stopReason, timeout facts and the first 500 characters of the summary only. */
    resultJson: JsonObject.nullable(),
    logBytes: z.number().nullable(),
    retryOfRunId: Uuid.nullable(),
    scheduledRetryAt: NullableTimestamp,
    scheduledRetryAttempt: z.number().int(),
    scheduledRetryReason: z.string().nullable(),
    livenessState: z.string().nullable(),
    livenessReason: z.string().nullable(),
    continuationAttempt: z.number().int(),
    lastUsefulActionAt: NullableTimestamp,
    nextAction: z.string().nullable(),
    retryExhaustedReason: z.string().nullable(),
  })
  .meta({ id: "IssueRunHistoryRow" });

/** A run as the issue views show it (`/issues/:id/live-runs`, `/issues/:id/active-run`), with its agent's name and adapter. */
export const IssueRunView = z
  .object({
    id: Uuid,
    status: z.enum(RUN_STATUSES),
    invocationSource: z.enum(WAKE_SOURCES),
    triggerDetail: z.string().nullable(),
    contextCommentId: z.string().nullable(),
    contextWakeCommentId: z.string().nullable(),
    startedAt: NullableTimestamp,
    finishedAt: NullableTimestamp,
    createdAt: Timestamp,
    agentId: Uuid,
    agentName: z.string(),
    adapterType: z.string(),
    logBytes: z.number().nullable(),
    livenessState: z.string().nullable(),
    livenessReason: z.string().nullable(),
    continuationAttempt: z.number().int(),
    lastUsefulActionAt: NullableTimestamp,
    nextAction: z.string().nullable(),
    lastOutputAt: NullableTimestamp,
    lastOutputSeq: z.number().int(),
    lastOutputStream: z.string().nullable(),
    lastOutputBytes: z.number().nullable(),
    processStartedAt: NullableTimestamp,
    issueId: Uuid.nullable(),
  })
  .meta({ id: "IssueRunView" });

/** An issue a run worked on (`GET /heartbeat-runs/:id/issues`). */
export const RunIssueRef = z
  .object({ issueId: Uuid, identifier: z.string(), title: z.string(), status: z.string(), priority: z.string() })
  .meta({ id: "RunIssueRef" });

/** An agent's runtime totals and last run; all zero/null before its first run. */
export const AgentRuntimeState = z
  .object({
    agentId: Uuid,
    adapterType: z.string().nullable(),
    sessionId: z.string().nullable(),
    lastRunId: Uuid.nullable(),
    lastRunStatus: z.string().nullable(),
    lastError: z.string().nullable(),
    totalInputTokens: z.number(),
    totalOutputTokens: z.number(),
    totalCachedInputTokens: z.number(),
    totalCostCents: z.number(),
    totalRuns: z.number().int(),
    updatedAt: NullableTimestamp,
  })
  .meta({ id: "AgentRuntimeState" });

/** A saved adapter session of an agent for one task. */
export const AgentTaskSession = z
  .object({
    id: Uuid,
    agentId: Uuid,
    adapterType: z.string(),
    taskKey: z.string(),
    sessionParamsJson: JsonObject.nullable(),
    sessionDisplayId: z.string().nullable(),
    lastRunId: Uuid.nullable(),
    lastError: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "AgentTaskSession" });
