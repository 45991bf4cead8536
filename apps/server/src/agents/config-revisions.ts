import { CONFIG_REVISION_FIELDS, UpdateAgentBody, isUuid, type ConfigRevisionSource } from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { notFound, ruleViolation } from "../errors.js";
import { actorStamp, type Actor } from "../auth/actor.js";
import { assertBoard } from "../auth/access.js";
import type { AgentRow, AgentService } from "./service.js";

export interface RevisionMeta {
  source: ConfigRevisionSource;
  rolledBackFromRevisionId?: string | null;
}

type Snapshot = Record<(typeof CONFIG_REVISION_FIELDS)[number], unknown>;

const REVISION_COLUMNS = `id, company_id, agent_id, created_by_agent_id, created_by_user_id, source, rolled_back_from_revision_id,
  changed_keys, before_config, after_config, created_at`;

interface RevisionRow {
  id: string;
  agentId: string;
  beforeConfig: Snapshot;
  afterConfig: Snapshot;
  [key: string]: unknown;
}

export function configSnapshot(row: AgentRow): Snapshot {
  const snapshot = {} as Snapshot;
  for (const field of CONFIG_REVISION_FIELDS) snapshot[field] = row[field] ?? null;
  return snapshot;
}

/**
 * Writes a revision row when an agent update changed any configuration field; called inside the
 * update's transaction, so a revision exists exactly when its change committed.
 */
export async function recordConfigRevision(q: Queryable, before: AgentRow, after: AgentRow, actor: Actor, meta: RevisionMeta) {
  const beforeConfig = configSnapshot(before);
  const afterConfig = configSnapshot(after);
  const changedKeys = CONFIG_REVISION_FIELDS.filter((f) => JSON.stringify(beforeConfig[f]) !== JSON.stringify(afterConfig[f]));
  if (changedKeys.length === 0) return;
  const stamp = actorStamp(actor);
  await q.query(
    `INSERT INTO agent_config_revisions (company_id, agent_id, created_by_agent_id, created_by_user_id, source, rolled_back_from_revision_id,
       changed_keys, before_config, after_config)
     VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8::jsonb, $9::jsonb)`,
    [
      after.companyId,
      after.id,
      stamp.agentId,
      actor.kind === "board" ? actor.userId : null,
      meta.source,
      meta.rolledBackFromRevisionId ?? null,
      changedKeys,
      JSON.stringify(beforeConfig),
      JSON.stringify(afterConfig),
    ],
  );
}

/**
 * Reading and rolling back an agent's configuration revisions. Snapshots store the adapter config
 * as stored (secret env values included); every read masks them exactly like an agent read, and a
 * rollback writes the stored values back, so secrets survive a rollback without ever being shown.
 */
export function createConfigRevisionService(db: Database, agents: AgentService) {
  /** The revision as the API returns it: both snapshots' secret env values masked. */
  function present(row: RevisionRow) {
    const mask = (snapshot: Snapshot) => {
      const masked = agents.present({ ...snapshot, id: row.agentId } as unknown as AgentRow);
      const { id: _id, ...rest } = masked as unknown as Snapshot & { id: string };
      return rest;
    };
    return { ...row, beforeConfig: mask(row.beforeConfig), afterConfig: mask(row.afterConfig) };
  }

  async function find(agentId: string, revisionId: string): Promise<RevisionRow> {
    const [row] = isUuid(revisionId)
      ? await db.query<RevisionRow>(`SELECT ${REVISION_COLUMNS} FROM agent_config_revisions WHERE id = $1 AND agent_id = $2`, [
          revisionId,
          agentId,
        ])
      : [];
    if (!row) throw notFound("Revision not found");
    return row;
  }

  return {
    async list(actor: Actor, agentId: string) {
      const agent = await agents.get(actor, agentId);
      const rows = await db.query<RevisionRow>(
        `SELECT ${REVISION_COLUMNS} FROM agent_config_revisions WHERE agent_id = $1 ORDER BY created_at DESC, id DESC LIMIT 500`,
        [agent.id],
      );
      return rows.map(present);
    },

    async get(actor: Actor, agentId: string, revisionId: string) {
      const agent = await agents.get(actor, agentId);
      return present(await find(agent.id, revisionId));
    },

    /**
     * Board only. Applies the revision's `afterConfig` through the ordinary agent update (the same
     * checks: adapter config schema, reporting line, unique name), recording a `rollback` revision.
     */
    async rollback(actor: Actor, agentId: string, revisionId: string) {
      assertBoard(actor);
      const agent = await agents.get(actor, agentId);
      const revision = await find(agent.id, revisionId);
      const parsed = UpdateAgentBody.safeParse(revision.afterConfig);
      if (!parsed.success) {
        throw ruleViolation("The revision's configuration is no longer valid", parsed.error.issues, "revision_invalid");
      }
      // The update writes its activity row and the `rollback` revision (naming this one) in one transaction.
      return agents.update(actor, agent.id, parsed.data, { source: "rollback", rolledBackFromRevisionId: revision.id });
    },
  };
}
export type ConfigRevisionService = ReturnType<typeof createConfigRevisionService>;
