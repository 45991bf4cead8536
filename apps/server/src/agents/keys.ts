import { isUuid } from "@staple/contracts";
import type { Database } from "../db/database.js";
import { conflict, notFound } from "../errors.js";
import type { Actor } from "../auth/actor.js";
import { assertBoard } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import { generateAgentKey } from "../auth/agent-api-keys.js";
import type { AgentService } from "./service.js";

const KEY_COLUMNS = "id, agent_id, name, created_at, last_used_at, revoked_at";

/** Agent API keys: board-managed; the plaintext token is returned once and stored only as sha256. */
export function createAgentKeyService(db: Database, agents: AgentService) {
  return {
    async list(actor: Actor, agentId: string) {
      assertBoard(actor);
      await agents.get(actor, agentId);
      return db.query(`SELECT ${KEY_COLUMNS} FROM agent_api_keys WHERE agent_id = $1 ORDER BY created_at, id`, [agentId]);
    },

    async create(actor: Actor, agentId: string, name: string) {
      assertBoard(actor);
      const agent = await agents.get(actor, agentId);
      if (agent.status === "terminated") throw conflict("Agent is terminated", undefined, "agent_terminated");
      const { token, hash } = generateAgentKey();
      return db.tx(async (q) => {
        const [key] = await q.query<{ id: string; agentId: string; name: string; createdAt: Date }>(
          `INSERT INTO agent_api_keys (company_id, agent_id, name, key_hash) VALUES ($1, $2, $3, $4)
           RETURNING id, agent_id, name, created_at`,
          [agent.companyId, agentId, name, hash],
        );
        await recordActivity(q, {
          companyId: agent.companyId,
          actor,
          action: "agent.key_created",
          entityType: "agent",
          entityId: agentId,
          agentId,
          details: { keyId: key!.id, name },
        });
        return { ...key!, token };
      });
    },

    async revoke(actor: Actor, agentId: string, keyId: string) {
      assertBoard(actor);
      const agent = await agents.get(actor, agentId);
      if (!isUuid(keyId)) throw notFound("API key not found");
      return db.tx(async (q) => {
        const [key] = await q.query<{ id: string; revokedAt: Date | null }>(
          "SELECT id, revoked_at FROM agent_api_keys WHERE id = $1 AND agent_id = $2 FOR UPDATE",
          [keyId, agentId],
        );
        if (!key) throw notFound("API key not found");
        if (key.revokedAt) return { ok: true as const };
        await q.query("UPDATE agent_api_keys SET revoked_at = now(), updated_at = now() WHERE id = $1 AND revoked_at IS NULL", [keyId]);
        await recordActivity(q, {
          companyId: agent.companyId,
          actor,
          action: "agent.key_revoked",
          entityType: "agent",
          entityId: agentId,
          agentId,
          details: { keyId },
        });
        return { ok: true as const };
      });
    },
  };
}
export type AgentKeyService = ReturnType<typeof createAgentKeyService>;
