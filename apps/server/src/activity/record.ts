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

/**
 * Appends one activity row. Callers pass the transaction of the change itself, so the audit trail
 * and the change commit or roll back together.
 */
export async function recordActivity(q: Queryable, input: ActivityInput): Promise<void> {
  const stamp =
    input.actor === "system"
      ? { actorType: "system" as const, actorId: SYSTEM_ACTOR_ID, agentId: null, runId: null }
      : actorStamp(input.actor);
  await q.query(
    `INSERT INTO activity_log (company_id, actor_type, actor_id, action, entity_type, entity_id, agent_id, run_id, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`,
    [
      input.companyId,
      stamp.actorType,
      stamp.actorId,
      input.action,
      input.entityType,
      input.entityId,
      input.agentId !== undefined ? input.agentId : stamp.agentId,
      input.runId !== undefined ? input.runId : stamp.runId,
      input.details ? JSON.stringify(input.details) : null,
    ],
  );
}
