import { z } from "zod";
import { ADAPTER_TYPES, AGENT_ROLES, AGENT_STATUSES, PAUSE_REASONS } from "./enums.js";
import { JsonObject, NonEmptyTrimmed, NonNegativeInt4, NullableTimestamp, Timestamp, Uuid } from "./common.js";

/**
 * Per-agent concurrency bounds; values outside are clamped, not rejected
 * (docs/agents-and-auth.md#heartbeat-policy).
 */
export const MAX_CONCURRENT_RUNS_MIN = 1;
export const MAX_CONCURRENT_RUNS_MAX = 10;
/**
 * Staple defaults to one run at a time per agent: a coding agent shares one workspace, and
 * parallel runs multiply spend (Paperclip's default of 20 is a known source of budget overshoot).
 */
export const MAX_CONCURRENT_RUNS_DEFAULT = 1;

export const HeartbeatPolicyInput = z.looseObject({
  enabled: z.boolean().optional(),
  intervalSec: z.number().int().min(0).max(31_536_000).optional(),
  wakeOnDemand: z.boolean().optional(),
  maxConcurrentRuns: z.number().int().optional(),
});

export const RuntimeConfigInput = z.looseObject({ heartbeat: HeartbeatPolicyInput.optional() });

/** The normalized heartbeat policy the run engine reads (defaults applied, concurrency clamped). */
export interface HeartbeatPolicy {
  enabled: boolean;
  intervalSec: number;
  wakeOnDemand: boolean;
  maxConcurrentRuns: number;
}

export function clampMaxConcurrentRuns(value: number | undefined | null): number {
  if (value === undefined || value === null || !Number.isFinite(value)) return MAX_CONCURRENT_RUNS_DEFAULT;
  return Math.max(MAX_CONCURRENT_RUNS_MIN, Math.min(MAX_CONCURRENT_RUNS_MAX, Math.floor(value)));
}

export function normalizeHeartbeatPolicy(runtimeConfig: unknown): HeartbeatPolicy {
  const heartbeat =
    runtimeConfig && typeof runtimeConfig === "object"
      ? ((runtimeConfig as Record<string, unknown>).heartbeat as Record<string, unknown> | undefined)
      : undefined;
  const h = heartbeat && typeof heartbeat === "object" ? heartbeat : {};
  return {
    enabled: h.enabled === true,
    intervalSec: typeof h.intervalSec === "number" && h.intervalSec > 0 ? Math.floor(h.intervalSec) : 0,
    wakeOnDemand: h.wakeOnDemand !== false,
    maxConcurrentRuns: clampMaxConcurrentRuns(typeof h.maxConcurrentRuns === "number" ? h.maxConcurrentRuns : undefined),
  };
}

export const AgentPermissions = z.looseObject({ canCreateAgents: z.boolean().optional() });

export const Agent = z
  .object({
    id: Uuid,
    companyId: Uuid,
    name: z.string(),
    urlKey: z.string(),
    role: z.enum(AGENT_ROLES),
    title: z.string().nullable(),
    icon: z.string().nullable(),
    status: z.enum(AGENT_STATUSES),
    reportsTo: Uuid.nullable(),
    capabilities: z.string().nullable(),
    adapterType: z.enum(ADAPTER_TYPES),
    adapterConfig: JsonObject,
    runtimeConfig: JsonObject,
    defaultEnvironmentId: Uuid.nullable(),
    budgetMonthlyCents: z.number().int(),
    spentMonthlyCents: z.number().int(),
    pauseReason: z.enum(PAUSE_REASONS).nullable(),
    pausedAt: NullableTimestamp,
    errorReason: z.string().nullable(),
    permissions: JsonObject,
    lastHeartbeatAt: NullableTimestamp,
    metadata: JsonObject.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "Agent" });
export type Agent = z.infer<typeof Agent>;

export const AgentMe = Agent.extend({
  chainOfCommand: z.array(z.object({ id: Uuid, name: z.string(), role: z.string(), title: z.string().nullable() })),
}).meta({ id: "AgentMe" });

const agentFields = {
  name: NonEmptyTrimmed.max(100),
  role: z.enum(AGENT_ROLES).optional(),
  title: z.string().max(200).nullable().optional(),
  icon: z.string().max(100).nullable().optional(),
  capabilities: z.string().max(10_000).nullable().optional(),
  reportsTo: Uuid.nullable().optional(),
  adapterType: z.enum(ADAPTER_TYPES).optional(),
  adapterConfig: JsonObject.optional(),
  runtimeConfig: RuntimeConfigInput.optional(),
  budgetMonthlyCents: NonNegativeInt4.optional(),
  permissions: AgentPermissions.optional(),
  metadata: JsonObject.nullable().optional(),
};

/**
 * `adapterConfig` is adapter-specific: each adapter package owns its config schema, and the server
 * checks it at save time through its adapter registry (apps/server/src/agents/adapter-registry.ts),
 * after masked secret env entries are resolved. Here it is any JSON object.
 */
export const CreateAgentBody = z.strictObject(agentFields);
export type CreateAgentBody = z.infer<typeof CreateAgentBody>;

export const UpdateAgentBody = z.strictObject({ ...agentFields, name: agentFields.name.optional() });
export type UpdateAgentBody = z.infer<typeof UpdateAgentBody>;

export const AgentConfiguration = Agent.pick({
  id: true,
  companyId: true,
  name: true,
  role: true,
  title: true,
  status: true,
  reportsTo: true,
  adapterType: true,
  adapterConfig: true,
  runtimeConfig: true,
  permissions: true,
  updatedAt: true,
}).meta({ id: "AgentConfiguration" });

export interface OrgNode {
  id: string;
  name: string;
  role: string;
  title: string | null;
  status: string;
  icon: string | null;
  reportsTo: string | null;
  reports: OrgNode[];
}
export const OrgNodeSchema: z.ZodType<OrgNode> = z
  .object({
    id: Uuid,
    name: z.string(),
    role: z.string(),
    title: z.string().nullable(),
    status: z.string(),
    icon: z.string().nullable(),
    reportsTo: Uuid.nullable(),
    get reports() {
      return z.array(OrgNodeSchema);
    },
  })
  .meta({ id: "OrgNode" });

export const AgentKey = z
  .object({ id: Uuid, agentId: Uuid, name: z.string(), createdAt: Timestamp, lastUsedAt: NullableTimestamp, revokedAt: NullableTimestamp })
  .meta({ id: "AgentKey" });
export const CreatedAgentKey = z
  .object({ id: Uuid, agentId: Uuid, name: z.string(), token: z.string(), createdAt: Timestamp })
  .meta({ id: "CreatedAgentKey" });
export const CreateAgentKeyBody = z.strictObject({
  name: NonEmptyTrimmed.max(100).default("default"),
  /**
   * Paperclip's CLI always sends `{kind: "standard"}`: a full agent key, the only kind Staple issues.
   * Narrower scopes (task bridge, skill test) are refused (400), never widened to a full key.
   */
  scope: z.strictObject({ kind: z.literal("standard") }).optional(),
});

export const ListAgentsQuery = z.strictObject({
  status: z.string().optional(),
  includeTerminated: z.enum(["true", "false"]).optional(),
});
