import type { Queryable } from "../db/database.js";
import { actorStamp, type Actor } from "../auth/actor.js";

export const SYSTEM_ACTOR_ID = "system";

export interface ActivityInput {
  companyId: string;
  /** The actor who caused the change; `"system"` for the scheduler and recovery passes. */
  actor: Actor | "system";
  action: string;
  entityType: string;
  entityId: string;
  /** Overrides the agent id taken from the actor (e.g. a board action about an agent). */
  agentId?: string | null;
  runId?: string | null;
  details?: Record<string, unknown> | null;
}

/** The columns of an activity row, in the order of `activityValues`. */
export const ACTIVITY_COLUMNS = "company_id, actor_type, actor_id, action, entity_type, entity_id, agent_id, run_id, details";

/** The values of one activity row (details as JSON text, for a `::jsonb` parameter). */
export function activityValues(input: ActivityInput): unknown[] {
  const stamp =
    input.actor === "system"
      ? { actorType: "system" as const, actorId: SYSTEM_ACTOR_ID, agentId: null, runId: null }
      : actorStamp(input.actor);
  return [
    input.companyId,
    stamp.actorType,
    stamp.actorId,
    input.action,
    input.entityType,
    input.entityId,
    input.agentId !== undefined ? input.agentId : stamp.agentId,
    input.runId !== undefined ? input.runId : stamp.runId,
    input.details ? JSON.stringify(input.details) : null,
  ];
}

/**
 * Appends one activity row. Callers pass the transaction of the change itself, so the audit trail
 * and the change commit or roll back together.
 */
export async function recordActivity(q: Queryable, input: ActivityInput): Promise<void> {
  await q.query(`INSERT INTO activity_log (${ACTIVITY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`, activityValues(input));
}
