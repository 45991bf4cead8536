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
 * Lease and claim bookkeeping: one or two rows per run, so they drown the rest of a busy company's
 * activity. `hideNoise=true` leaves them out of a list; the rows stay in the trail.
 */
export const ACTIVITY_NOISE_ACTIONS = [
  "environment.lease_acquired",
  "environment.lease_released",
  "issue.checked_out",
  "issue.released",
  "issue.checkout_lock_adopted",
] as const;

/** Largest CSV export of company activity (rows, newest first); a longer trail is exported in date ranges. */
export const ACTIVITY_CSV_MAX_ROWS = 10_000;

const ActivityInstant = z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
  error: "Expected an ISO date-time (2026-01-31T12:00:00Z) or a date (2026-01-31)",
});

/**
 * `limit` is clamped to 1..500 rather than rejected (docs/api-compatibility.md#lists-and-limits); a
 * non-number is a 400. Filters carry the names of Paperclip's audit list (agentId, actorType,
 * action, entityType, entityId, runId, from, to, cursor). `cursor` is the id of the last entry of the
 * previous page (the list continues after it); `from` is inclusive and `to` exclusive, a bare date
 * meaning its midnight UTC (from later than to is a 400).
 */
export const ActivityQuery = z.strictObject({
  agentId: Uuid.optional(),
  actorType: z.enum(ACTOR_TYPES).optional(),
  action: z.string().min(1).max(100).optional(),
  entityType: z.string().min(1).max(100).optional(),
  entityId: z.string().min(1).max(200).optional(),
  runId: Uuid.optional(),
  from: ActivityInstant.optional(),
  to: ActivityInstant.optional(),
  cursor: Uuid.optional(),
  hideNoise: z.enum(["true", "false"]).optional(),
  limit: z
    .string()
    .regex(/^-?\d+$/, "Expected an integer")
    .transform((v) => Number(v))
    .optional(),
});
export type ActivityQuery = z.output<typeof ActivityQuery>;

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
