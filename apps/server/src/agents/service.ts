import { normalizeHeartbeatPolicy, isUuid, type AdapterType, type CreateAgentBody, type UpdateAgentBody } from "@staple/contracts";
import { pgConstraint, pgErrorCode, PG_UNIQUE_VIOLATION, type Database, type Queryable } from "../db/database.js";
import { selectList, tableColumns, type Assert, type ColumnsOf, type RowMatches } from "../db/row-columns.js";
import { conflict, type DomainError, forbidden, notFound, ruleViolation } from "../errors.js";
import type { Actor } from "../auth/actor.js";
import { assertCanSee, assertCompanyAccess } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import type { CompanyService } from "../companies/service.js";
import { buildOrgTree, wouldCreateCycle, type OrgMember } from "./org.js";
import { recordConfigRevision, type RevisionMeta } from "./config-revisions.js";
import type { SecretEnv } from "../secrets/secret-env.js";
import { assertSecretRefsExist } from "../secrets/config-refs.js";
import { assertAdapterConfig } from "./adapter-registry.js";

/** The columns an agent row reads (test/row-types.test.ts checks them against the migrated schema). */
export const AGENT_ROW = tableColumns("agents", [
  "id",
  "company_id",
  "name",
  "url_key",
  "role",
  "title",
  "icon",
  "status",
  "reports_to",
  "capabilities",
  "adapter_type",
  "adapter_config",
  "runtime_config",
  "default_environment_id",
  "budget_monthly_cents",
  "spent_monthly_cents",
  "pause_reason",
  "paused_at",
  "error_reason",
  "permissions",
  "last_heartbeat_at",
  "metadata",
  "created_at",
  "updated_at",
]);
export const AGENT_COLUMNS = selectList(AGENT_ROW);

export interface AgentRow {
  id: string;
  companyId: string;
  name: string;
  urlKey: string;
  role: string;
  title: string | null;
  icon: string | null;
  status: string;
  reportsTo: string | null;
  capabilities: string | null;
  adapterType: AdapterType;
  adapterConfig: Record<string, unknown>;
  runtimeConfig: Record<string, unknown>;
  defaultEnvironmentId: string | null;
  budgetMonthlyCents: number;
  spentMonthlyCents: number;
  pauseReason: string | null;
  pausedAt: Date | null;
  errorReason: string | null;
  permissions: Record<string, unknown>;
  lastHeartbeatAt: Date | null;
  metadata: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
}
export type AgentRowCheck = Assert<RowMatches<AgentRow, ColumnsOf<typeof AGENT_ROW>>>;

export function urlKeyFor(name: string): string {
  const key = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return key || "agent";
}

/** Stores the heartbeat policy normalized (defaults filled in, concurrency clamped to 1..10). */
export function normalizeRuntimeConfig(input: Record<string, unknown> | undefined): Record<string, unknown> {
  const runtime = { ...(input ?? {}) };
  const given = (runtime.heartbeat ?? {}) as Record<string, unknown>;
  runtime.heartbeat = { ...given, ...normalizeHeartbeatPolicy(runtime) };
  return runtime;
}

function uniqueNameConflict(error: unknown): DomainError | undefined {
  if (pgErrorCode(error) === PG_UNIQUE_VIOLATION && pgConstraint(error) === "agents_company_name_key_live_idx") {
    return conflict("An agent with this name already exists in the company", undefined, "agent_name_taken");
  }
  return undefined;
}

/**
 * Every agent this service hands out is passed through `secretEnv.maskAgent` (`present`): secret env
 * values never leave it. `find`/`findForUpdate` return stored rows for internal callers only.
 */
export function createAgentService(db: Database, companies: CompanyService, secretEnv: SecretEnv) {
  const present = <T extends AgentRow>(row: T): T => secretEnv.maskAgent(row);

  async function find(q: Queryable, id: string, lock = false): Promise<AgentRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await q.query<AgentRow>(`SELECT ${AGENT_COLUMNS} FROM agents WHERE id = $1${lock ? " FOR NO KEY UPDATE" : ""}`, [id]);
    return row;
  }

  async function getStored(actor: Actor, id: string): Promise<AgentRow> {
    const agent = await find(db, id);
    if (!agent) throw notFound("Agent not found");
    assertCanSee(actor, agent.companyId, "Agent");
    return agent;
  }

  const get = async (actor: Actor, id: string): Promise<AgentRow> => present(await getStored(actor, id));

  async function managerMap(q: Queryable, companyId: string): Promise<Map<string, string | null>> {
    const rows = await q.query<{ id: string; reportsTo: string | null }>("SELECT id, reports_to FROM agents WHERE company_id = $1", [
      companyId,
    ]);
    return new Map(rows.map((r) => [r.id, r.reportsTo]));
  }

  /** `reportsTo` must be a live agent of the same company and must not close a reporting loop. */
  async function checkReportsTo(q: Queryable, companyId: string, agentId: string | null, reportsTo: string) {
    // Serialise reporting-line changes per company: two concurrent edits (A->B, B->A) must not both
    // pass the cycle check against the same old tree.
    await q.query("SELECT pg_advisory_xact_lock(hashtextextended('staple.org:' || $1::text, 0))", [companyId]);
    const manager = await find(q, reportsTo);
    if (!manager || manager.companyId !== companyId) {
      throw ruleViolation("reportsTo must be an agent of the same company", { reportsTo }, "reports_to_invalid");
    }
    if (manager.status === "terminated") throw ruleViolation("reportsTo names a terminated agent", { reportsTo }, "reports_to_invalid");
    if (agentId && wouldCreateCycle(agentId, reportsTo, await managerMap(q, companyId))) {
      throw ruleViolation("reportsTo would create a reporting cycle", { reportsTo }, "reports_to_cycle");
    }
  }

  function assertMayManageAgents(actor: Actor, companyId: string, permissions?: Record<string, unknown>) {
    assertCompanyAccess(actor, companyId);
    if (actor.kind === "agent" && permissions?.canCreateAgents !== true) {
      throw forbidden("Agent lacks permission to create agents", "agent_create_forbidden");
    }
  }

  return {
    find: (id: string) => find(db, id),
    findForUpdate: (q: Queryable, id: string) => find(q, id, true),
    get,
    /** The API shape of a stored row (secret env values masked). */
    present,

    async list(actor: Actor, companyId: string, filter: { status?: string[]; includeTerminated?: boolean }) {
      assertCompanyAccess(actor, companyId);
      const params: unknown[] = [companyId];
      const where = ["company_id = $1"];
      if (filter.status?.length) where.push(`status = ANY($${params.push(filter.status)}::text[])`);
      else if (filter.includeTerminated === false) where.push("status <> 'terminated'");
      const rows = await db.query<AgentRow>(
        `SELECT ${AGENT_COLUMNS} FROM agents WHERE ${where.join(" AND ")} ORDER BY created_at, id`,
        params,
      );
      return rows.map(present);
    },

    /**
     * `hire.pendingApproval`: the company requires board approval, so the agent starts as
     * `pending_approval` (never woken) and `hire.inTx` records its approval in the same transaction.
     */
    async create(
      actor: Actor,
      companyId: string,
      body: CreateAgentBody,
      hire: { pendingApproval?: boolean; inTx?: (q: Queryable, agent: AgentRow) => Promise<void> } = {},
    ): Promise<AgentRow> {
      const adapterType = body.adapterType ?? "process";
      // A masked entry has nothing to stand for on create: refused with a 400 naming the entry.
      const adapterConfig = secretEnv.unmaskForWrite(null, body.adapterConfig ?? {}, null);
      assertAdapterConfig(adapterType, adapterConfig);
      const company = await companies.require(companyId);
      let creatorPermissions: Record<string, unknown> | undefined;
      if (actor.kind === "agent") creatorPermissions = (await find(db, actor.agentId))?.permissions;
      assertMayManageAgents(actor, companyId, creatorPermissions);
      if (company.status === "archived") throw conflict("Company is archived", undefined, "company_archived");
      if (company.requireBoardApprovalForNewAgents && !hire.pendingApproval) {
        throw conflict("This company requires board approval for new agents", undefined, "hire_approval_required");
      }
      await assertSecretRefsExist(db, companyId, adapterConfig);
      try {
        return await db.tx(async (q) => {
          if (body.reportsTo) await checkReportsTo(q, companyId, null, body.reportsTo);
          const [agent] = await q.query<AgentRow>(
            `INSERT INTO agents (company_id, name, url_key, role, title, icon, capabilities, reports_to, adapter_type,
               adapter_config, runtime_config, budget_monthly_cents, permissions, metadata, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $13::jsonb, $14::jsonb, $15)
             RETURNING ${AGENT_COLUMNS}`,
            [
              companyId,
              body.name,
              urlKeyFor(body.name),
              body.role ?? "general",
              body.title ?? null,
              body.icon ?? null,
              body.capabilities ?? null,
              body.reportsTo ?? null,
              adapterType,
              JSON.stringify(adapterConfig),
              JSON.stringify(normalizeRuntimeConfig(body.runtimeConfig)),
              body.budgetMonthlyCents ?? 0,
              JSON.stringify({ canCreateAgents: false, ...(body.permissions ?? {}) }),
              body.metadata ? JSON.stringify(body.metadata) : null,
              hire.pendingApproval ? "pending_approval" : "idle",
            ],
          );
          await recordActivity(q, {
            companyId,
            actor,
            action: "agent.created",
            entityType: "agent",
            entityId: agent!.id,
            agentId: agent!.id,
            details: { name: agent!.name, role: agent!.role, adapterType, status: agent!.status },
          });
          await hire.inTx?.(q, present(agent!));
          return present(agent!);
        });
      } catch (error) {
        throw uniqueNameConflict(error) ?? error;
      }
    },

    async update(actor: Actor, id: string, body: UpdateAgentBody, revision: RevisionMeta = { source: "patch" }): Promise<AgentRow> {
      const existing = await getStored(actor, id);
      if (actor.kind === "agent") throw forbidden("Only the board can change an agent's configuration", "board_only");
      if (existing.status === "terminated") throw conflict("Agent is terminated", undefined, "agent_terminated");
      // Changing the adapter type re-validates the stored config against the new type's schema.
      if (body.adapterType && body.adapterType !== existing.adapterType && body.adapterConfig === undefined) {
        assertAdapterConfig(
          body.adapterType,
          existing.adapterConfig,
          `adapterConfig must be given when switching to adapter type ${body.adapterType}`,
        );
      }
      try {
        return await db.tx(async (q) => {
          const before = (await find(q, id, true)) ?? existing;
          if (body.reportsTo) await checkReportsTo(q, existing.companyId, id, body.reportsTo);
          const sets: string[] = [];
          const params: unknown[] = [id];
          const set = (column: string, value: unknown, cast = "") => sets.push(`${column} = $${params.push(value)}${cast}`);
          if (body.name !== undefined) {
            set("name", body.name);
            set("url_key", urlKeyFor(body.name));
          }
          if (body.role !== undefined) set("role", body.role);
          if (body.title !== undefined) set("title", body.title);
          if (body.icon !== undefined) set("icon", body.icon);
          if (body.capabilities !== undefined) set("capabilities", body.capabilities);
          if (body.reportsTo !== undefined) set("reports_to", body.reportsTo);
          if (body.adapterType !== undefined) set("adapter_type", body.adapterType);
          if (body.adapterConfig !== undefined) {
            // Masked secrets sent back unchanged keep the value stored now (read under the row lock).
            const stored = (await find(q, id, true))?.adapterConfig ?? existing.adapterConfig;
            const adapterConfig = secretEnv.unmaskForWrite(id, body.adapterConfig, stored);
            // Checked as a run will read it: with the stored values behind masked entries.
            assertAdapterConfig(body.adapterType ?? existing.adapterType, adapterConfig);
            await assertSecretRefsExist(q, existing.companyId, adapterConfig);
            set("adapter_config", JSON.stringify(adapterConfig), "::jsonb");
          }
          if (body.runtimeConfig !== undefined)
            set("runtime_config", JSON.stringify(normalizeRuntimeConfig(body.runtimeConfig)), "::jsonb");
          if (body.budgetMonthlyCents !== undefined) set("budget_monthly_cents", body.budgetMonthlyCents);
          if (body.permissions !== undefined)
            set("permissions", JSON.stringify({ ...existing.permissions, ...body.permissions }), "::jsonb");
          if (body.metadata !== undefined) set("metadata", body.metadata ? JSON.stringify(body.metadata) : null, "::jsonb");
          const [agent] = await q.query<AgentRow>(
            `UPDATE agents SET ${[...sets, "updated_at = now()"].join(", ")} WHERE id = $1 AND status <> 'terminated'
             RETURNING ${AGENT_COLUMNS}`,
            params,
          );
          if (!agent) throw conflict("Agent is terminated", undefined, "agent_terminated");
          await recordConfigRevision(q, before, agent, actor, revision);
          await recordActivity(q, {
            companyId: agent.companyId,
            actor,
            action: "agent.updated",
            entityType: "agent",
            entityId: id,
            agentId: id,
            details: { changedFields: Object.keys(body) },
          });
          return present(agent);
        });
      } catch (error) {
        throw uniqueNameConflict(error) ?? error;
      }
    },

    async org(actor: Actor, companyId: string) {
      assertCompanyAccess(actor, companyId);
      const members = await db.query<OrgMember>(
        `SELECT id, name, role, title, status, icon, reports_to FROM agents
          WHERE company_id = $1 AND status <> 'terminated' ORDER BY created_at, id`,
        [companyId],
      );
      return buildOrgTree(members);
    },

    /** The agent's managers, nearest first (bounded walk: a broken chain cannot loop). */
    async chainOfCommand(agent: AgentRow) {
      const rows = await db.query<{ id: string; name: string; role: string; title: string | null; depth: number }>(
        `WITH RECURSIVE chain AS (
           SELECT a.id, a.name, a.role, a.title, a.reports_to, 1 AS depth FROM agents a WHERE a.id = $1
           UNION ALL
           SELECT m.id, m.name, m.role, m.title, m.reports_to, chain.depth + 1
             FROM agents m JOIN chain ON m.id = chain.reports_to
            WHERE chain.depth < 100
         ) SELECT id, name, role, title, depth FROM chain ORDER BY depth`,
        [agent.reportsTo],
      );
      return rows.filter((r) => r.id !== agent.id).map(({ depth: _d, ...rest }) => rest);
    },
  };
}
export type AgentService = ReturnType<typeof createAgentService>;
