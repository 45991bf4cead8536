import { INVOKABLE_AGENT_STATUSES, STOPPED_AGENT_STATUSES } from "@staple/contracts";
import { sqlList } from "../db/sql-list.js";
import type { Database, Queryable } from "../db/database.js";
import { conflict } from "../errors.js";
import type { Actor } from "../auth/actor.js";
import { assertBoard } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import { AGENT_COLUMNS, type AgentRow, type AgentService } from "./service.js";

/**
 * Hooks the run engine registers so that stopping an agent also stops its work (cancel active runs
 * and pending wakes). They run inside the transition's transaction.
 */
export interface AgentLifecycleHooks {
  onStopped?(q: Queryable, agent: AgentRow, reason: "paused" | "terminated", actor: Actor): Promise<void>;
}

/**
 * Pause, resume and terminate. Each is one guarded UPDATE naming the states it may leave, so two
 * concurrent calls cannot both apply; repeating a call that already took effect is a no-op.
 */
export function createAgentLifecycle(db: Database, agents: AgentService, hooks: AgentLifecycleHooks = {}) {
  async function transition(
    actor: Actor,
    id: string,
    spec: { action: string; set: string; from: string; alreadyIn?: readonly string[]; stopReason?: "paused" | "terminated" },
  ): Promise<AgentRow> {
    assertBoard(actor);
    const existing = await agents.get(actor, id);
    return db.tx(async (q) => {
      const [agent] = await q.query<AgentRow>(
        `UPDATE agents SET ${spec.set}, updated_at = now() WHERE id = $1 AND ${spec.from} RETURNING ${AGENT_COLUMNS}`,
        [id],
      );
      if (!agent) {
        const current = (await agents.findForUpdate(q, id))!;
        if (spec.alreadyIn?.includes(current.status)) return agents.present(current);
        throw conflict(`Agent is ${current.status}; cannot ${spec.action}`, { status: current.status }, "agent_invalid_transition");
      }
      if (spec.stopReason) await hooks.onStopped?.(q, agent, spec.stopReason, actor);
      await recordActivity(q, {
        companyId: existing.companyId,
        actor,
        action: `agent.${spec.action === "pause" ? "paused" : spec.action === "resume" ? "resumed" : "terminated"}`,
        entityType: "agent",
        entityId: id,
        agentId: id,
        details: { previousStatus: existing.status },
      });
      return agents.present(agent);
    });
  }

  return {
    pause: (actor: Actor, id: string) =>
      transition(actor, id, {
        action: "pause",
        set: "status = 'paused', pause_reason = 'manual', paused_at = now()",
        from: `status NOT IN ${sqlList(STOPPED_AGENT_STATUSES)}`,
        alreadyIn: ["paused"],
        stopReason: "paused",
      }),
    resume: (actor: Actor, id: string) =>
      transition(actor, id, {
        action: "resume",
        set: "status = 'idle', pause_reason = NULL, paused_at = NULL",
        from: "status = 'paused'",
        alreadyIn: INVOKABLE_AGENT_STATUSES,
      }),
    terminate: (actor: Actor, id: string) =>
      transition(actor, id, {
        action: "terminate",
        set: "status = 'terminated', pause_reason = NULL, paused_at = NULL",
        from: "status <> 'terminated'",
        alreadyIn: ["terminated"],
        stopReason: "terminated",
      }),
  };
}
export type AgentLifecycle = ReturnType<typeof createAgentLifecycle>;
