import { z } from "zod";
import { NullableTimestamp, Timestamp, Uuid } from "./common.js";

/** A registered runner's state (docs/runners.md): taking runs, finishing its runs before it stops, or gone. */
export const RUNNER_STATUSES = Object.freeze(["online", "draining", "offline"] as const);
export type RunnerStatus = (typeof RUNNER_STATUSES)[number];

/** A runner token as listed (never the token itself). `companyId` null: an instance token. */
export const RunnerToken = z
  .object({
    id: Uuid,
    companyId: Uuid.nullable(),
    name: z.string(),
    tokenPrefix: z.string(),
    createdByUserId: z.string().nullable(),
    createdAt: Timestamp,
    lastUsedAt: NullableTimestamp,
    revokedAt: NullableTimestamp,
  })
  .meta({ id: "RunnerToken" });
/** The answer of a token creation: the only time the token is shown. */
export const CreatedRunnerToken = RunnerToken.extend({ token: z.string() }).meta({ id: "CreatedRunnerToken" });
export const CreateRunnerTokenBody = z.strictObject({ name: z.string().trim().min(1).max(100) });

const RunnerLabel = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,31}$/, "a label is 1-32 characters of a-z, 0-9, '.', '_' or '-'");

export const RegisterRunnerBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  hostname: z.string().max(255).nullable().optional(),
  labels: z.array(RunnerLabel).max(32).default([]),
  adapterTypes: z.array(z.string().min(1).max(64)).min(1).max(32),
  version: z.string().max(64).nullable().optional(),
});
export const Runner = z
  .object({
    id: Uuid,
    tokenId: Uuid,
    companyId: Uuid.nullable(),
    name: z.string(),
    hostname: z.string().nullable(),
    labels: z.array(z.string()),
    adapterTypes: z.array(z.string()),
    status: z.enum(RUNNER_STATUSES),
    version: z.string().nullable(),
    registeredAt: Timestamp,
    lastSeenAt: Timestamp,
  })
  .meta({ id: "Runner" });
export const RegisteredRunner = Runner.extend({ leaseMs: z.number().int(), heartbeatMs: z.number().int() }).meta({
  id: "RegisteredRunner",
});
/** The runs the runner is executing; the answer names those it must stop. */
export const RunnerHeartbeatBody = z.strictObject({ runIds: z.array(Uuid).max(1000).default([]) });
export const RunnerHeartbeat = z.object({ status: z.enum(RUNNER_STATUSES), stopRunIds: z.array(Uuid) }).meta({ id: "RunnerHeartbeat" });

/**
 * A runner asks for work (docs/runners.md#claim-and-execution): at most `max` runs, waiting up to
 * `waitMs` for one (long poll, woken by the dispatch notification). `home` is the runner's own
 * directory: the run's cwd is `<home>/agents/<agent id>/workspace` unless the adapter config names one.
 */
export const RunnerClaimBody = z.strictObject({
  max: z.number().int().min(1).max(32).default(1),
  waitMs: z.number().int().min(0).max(25_000).default(0),
  home: z.string().min(1).max(1024),
});

/** What a runner needs to execute one claimed run with its adapter (secrets included: runner token only). */
export const RunnerExecutionPacket = z
  .object({
    run: z.object({ id: Uuid, agentId: Uuid, companyId: Uuid, issueId: Uuid.nullable(), taskKey: z.string().nullable() }),
    agent: z.object({
      id: Uuid,
      companyId: Uuid,
      name: z.string(),
      adapterType: z.string(),
      adapterConfig: z.record(z.string(), z.unknown()),
    }),
    adapterType: z.string(),
    runtime: z.object({
      sessionId: z.string().nullable(),
      sessionParams: z.record(z.string(), z.unknown()).nullable(),
      sessionDisplayId: z.string().nullable(),
      taskKey: z.string().nullable(),
    }),
    env: z.record(z.string(), z.string()),
    /** Values the runner redacts from everything it sends back (the run token first). */
    secrets: z.array(z.string()),
    prompt: z.string().nullable(),
    context: z.record(z.string(), z.unknown()),
    cwd: z.string(),
    timeoutSec: z.number(),
    outboundAllow: z.array(z.string()),
  })
  .meta({ id: "RunnerExecutionPacket" });
export const RunnerClaim = z.object({ status: z.enum(RUNNER_STATUSES), runs: z.array(RunnerExecutionPacket) }).meta({ id: "RunnerClaim" });

const RunnerLogPiece = z.strictObject({
  seq: z.number().int().min(0),
  byteOffset: z.number().int().min(0),
  stream: z.enum(["stdout", "stderr", "system"]),
  /** One NDJSON line `{ts, stream, chunk}` (as a server stores it). */
  content: z.string().min(1).max(400_000),
  createdAt: z.iso.datetime({ offset: true }),
});
/** A batch of log pieces; idempotent on (run, seq). `dropBelowOffset`: the runner's cap dropped older output. */
export const RunnerLogBody = z.strictObject({
  pieces: z.array(RunnerLogPiece).max(2000),
  dropBelowOffset: z.number().int().min(0).optional(),
});
export const RunnerLogAck = z.object({ pieces: z.number().int() }).meta({ id: "RunnerLogAck" });

export const RunnerEventsBody = z.strictObject({
  events: z
    .array(
      z.strictObject({
        eventType: z.string().min(1).max(64),
        level: z.enum(["info", "warn", "error"]).optional(),
        message: z.string().max(16_000).nullable().optional(),
        payload: z.unknown().optional(),
      }),
    )
    .max(200)
    .default([]),
  /** The spawn record on the runner's machine (recorded as an event, never as this server's pid). */
  spawn: z
    .strictObject({
      pid: z.number().int().positive(),
      processGroupId: z.number().int().positive().nullable(),
      startedAt: z.string().max(64),
      hostname: z.string().max(255).optional(),
    })
    .optional(),
});
export const RunnerEventsAck = z.object({ events: z.number().int() }).meta({ id: "RunnerEventsAck" });

/** How a run ended on the runner: the adapter's result, or the error it threw, or the runner's shutdown. */
export const RunnerFinishBody = z.strictObject({
  result: z
    .looseObject({ exitCode: z.number().int().nullable(), signal: z.string().nullable(), timedOut: z.boolean() })
    .nullable()
    .default(null),
  error: z.string().max(16_000).nullable().optional(),
  /** `runner_shutdown`: the runner drained past its grace and aborted the run (one retry, as a server shutdown). */
  stop: z.enum(["runner_shutdown"]).optional(),
  stdoutExcerpt: z.string().max(65_536).nullable().optional(),
  stderrExcerpt: z.string().max(65_536).nullable().optional(),
  log: z
    .strictObject({ bytes: z.number().int().min(0), sha256: z.string().max(64).nullable(), droppedBytes: z.number().int().min(0) })
    .optional(),
  timeoutSec: z.number().min(0).optional(),
});
/** `accepted` false: the run was no longer running under this runner's lease; nothing changed. */
export const RunnerFinish = z.object({ accepted: z.boolean(), status: z.string().nullable() }).meta({ id: "RunnerFinish" });
