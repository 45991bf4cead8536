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
