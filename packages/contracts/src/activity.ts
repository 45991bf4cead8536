import { z } from "zod";
import { ACTOR_TYPES, AGENT_STATUSES, ISSUE_STATUSES } from "./enums.js";
import { JsonObject, Timestamp, Uuid } from "./common.js";

export const ACTIVITY_LIMIT_DEFAULT = 100;
export const ACTIVITY_LIMIT_MAX = 500;

export const ActivityEntry = z
  .object({
    id: Uuid,
    companyId: Uuid,
    actorType: z.enum(ACTOR_TYPES),
    actorId: z.string(),
    action: z.string(),
    entityType: z.string(),
    entityId: z.string(),
    agentId: Uuid.nullable(),
    runId: Uuid.nullable(),
    details: JsonObject.nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: "ActivityEntry" });

/**
 * `limit` is clamped to 1..500 rather than rejected (docs/api-compatibility.md#lists-and-limits); a
 * non-number is a 400.
 */
export const ActivityQuery = z.strictObject({
  agentId: Uuid.optional(),
  entityType: z.string().min(1).max(100).optional(),
  entityId: z.string().min(1).max(200).optional(),
  limit: z
    .string()
    .regex(/^-?\d+$/, "Expected an integer")
    .transform((v) => Number(v))
    .optional(),
});

export const Dashboard = z
  .object({
    companyId: Uuid,
    agents: z.object({ total: z.number().int(), byStatus: z.record(z.enum(AGENT_STATUSES), z.number().int()) }),
    issues: z.object({ total: z.number().int(), byStatus: z.record(z.enum(ISSUE_STATUSES), z.number().int()) }),
    costs: z.object({ monthSpendCents: z.number().int(), monthBudgetCents: z.number().int() }),
    pendingApprovals: z.number().int(),
  })
  .meta({ id: "Dashboard" });

export const Health = z
  .object({ status: z.enum(["ok", "degraded"]), version: z.string(), deploymentMode: z.string(), database: z.string() })
  .meta({ id: "Health" });
