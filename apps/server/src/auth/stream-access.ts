import { EXECUTION_PATH_RUN_STATUSES, NON_INVOKABLE_AGENT_STATUSES } from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import { DomainError } from "../errors.js";
import type { Logger } from "../logger.js";
import { assertCompanyAccess } from "./access.js";
import type { Actor, AgentActor } from "./actor.js";
import type { Authenticate, Credentials } from "./authenticate.js";

/**
 * Why an open live stream lost its access. Sent to the client as the stream's last message.
 */
export type StreamRevocation =
  | "credential_revoked" // the API key, board key or session was revoked, or the agent is gone
  | "credential_expired" // the run token's own expiry passed
  | "run_finished" // the run behind a run token is no longer live
  | "agent_paused"
  | "agent_terminated"
  | "agent_pending_approval"
  | "access_revoked"; // the credential is fine but no longer reaches this company

/** What a stream was opened with: the actor it resolved to and the credentials that produced it. */
export interface StreamPrincipal {
  companyId: string;
  actor: Actor;
  credentials: Credentials;
  /** Run tokens carry their own expiry (ms since epoch). */
  expiresAtMs?: number;
}

export interface StreamAccessDeps {
  db: Queryable;
  authenticate: Authenticate;
  logger: Logger;
}

const LIVE_RUN_STATUSES: readonly string[] = EXECUTION_PATH_RUN_STATUSES;
const BLOCKED_AGENT_STATUSES: readonly string[] = NON_INVOKABLE_AGENT_STATUSES;

/**
 * Re-validates the principals of open streams. It applies the same rules as `authenticate` to the
 * credential a stream was opened with, but reads the database as one batch:
 * - agent principals (API keys, run tokens): one query for all of them, whatever their number;
 * - board principals with a credential (board key, session): `authenticate` is re-run once per
 *   distinct credential, so whatever revokes a board credential for requests also ends its streams
 *   (board streams are few: one per open board tab);
 * - the implicit local board has no credential to revoke and is always valid.
 * A database failure leaves every stream open (logged); the next pass tries again.
 */
export function createStreamAccessCheck(deps: StreamAccessDeps) {
  async function checkAgents(
    items: { index: number; actor: AgentActor; expiresAtMs?: number; companyId: string }[],
    out: (StreamRevocation | null)[],
  ) {
    if (items.length === 0) return;
    const rows = await deps.db.query<{
      i: number;
      agentStatus: string | null;
      agentCompanyId: string | null;
      keyLive: boolean | null;
      runStatus: string | null;
      runAgentId: string | null;
    }>(
      `SELECT s.i, a.status AS agent_status, a.company_id AS agent_company_id,
              (k.id IS NOT NULL AND k.revoked_at IS NULL) AS key_live,
              r.status AS run_status, r.agent_id AS run_agent_id
         FROM jsonb_to_recordset($1::jsonb) AS s(i int, agent_id uuid, key_id uuid, run_id uuid)
         LEFT JOIN agents a ON a.id = s.agent_id
         LEFT JOIN agent_api_keys k ON k.id = s.key_id AND k.agent_id = s.agent_id
         LEFT JOIN heartbeat_runs r ON r.id = s.run_id`,
      [
        JSON.stringify(
          items.map(({ index, actor }) => ({
            i: index,
            agent_id: actor.agentId,
            key_id: actor.via === "api_key" ? actor.keyId : null,
            run_id: actor.via === "run_jwt" ? actor.runId : null,
          })),
        ),
      ],
    );
    const byIndex = new Map(rows.map((row) => [row.i, row]));
    const now = Date.now();
    for (const { index, actor, expiresAtMs, companyId } of items) {
      const row = byIndex.get(index);
      let verdict: StreamRevocation | null = null;
      if (!row || row.agentStatus === null || row.agentCompanyId !== actor.companyId) verdict = "credential_revoked";
      else if (actor.via === "api_key" && !row.keyLive) verdict = "credential_revoked";
      else if (actor.via === "run_jwt" && expiresAtMs !== undefined && expiresAtMs <= now) verdict = "credential_expired";
      else if (actor.via === "run_jwt" && (row.runAgentId !== actor.agentId || !LIVE_RUN_STATUSES.includes(row.runStatus ?? "")))
        verdict = "run_finished";
      else if (BLOCKED_AGENT_STATUSES.includes(row.agentStatus)) verdict = `agent_${row.agentStatus}` as StreamRevocation;
      else if (actor.companyId !== companyId) verdict = "access_revoked";
      out[index] = verdict;
    }
  }

  async function checkBoards(items: { index: number; principal: StreamPrincipal }[], out: (StreamRevocation | null)[]) {
    const byCredential = new Map<string, { index: number; principal: StreamPrincipal }[]>();
    for (const item of items) {
      const key = JSON.stringify([item.principal.credentials.authorization ?? null, item.principal.credentials.cookie ?? null]);
      byCredential.set(key, [...(byCredential.get(key) ?? []), item]);
    }
    for (const group of byCredential.values()) {
      let actor: Actor;
      try {
        actor = await deps.authenticate(group[0]!.principal.credentials);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        for (const { index } of group) out[index] = "credential_revoked";
        continue;
      }
      for (const { index, principal } of group) {
        try {
          assertCompanyAccess(actor, principal.companyId);
        } catch {
          out[index] = "access_revoked";
        }
      }
    }
  }

  return {
    /** One verdict per principal, in order: null while it may keep its stream. */
    async revalidate(principals: readonly StreamPrincipal[]): Promise<(StreamRevocation | null)[]> {
      const out: (StreamRevocation | null)[] = principals.map(() => null);
      const agents: { index: number; actor: AgentActor; expiresAtMs?: number; companyId: string }[] = [];
      const boards: { index: number; principal: StreamPrincipal }[] = [];
      principals.forEach((principal, index) => {
        const { actor } = principal;
        if (actor.kind === "agent") agents.push({ index, actor, expiresAtMs: principal.expiresAtMs, companyId: principal.companyId });
        else if (actor.source !== "local_implicit") boards.push({ index, principal });
      });
      try {
        await checkAgents(agents, out);
        await checkBoards(boards, out);
      } catch (error) {
        deps.logger.warn("live stream re-validation failed; streams stay open until the next pass", { err: error });
        return principals.map(() => null);
      }
      return out;
    },
  };
}
export type StreamAccessCheck = ReturnType<typeof createStreamAccessCheck>;

/** A run token's `exp` (its signature was verified when the stream opened). */
export function runTokenExpiry(actor: Actor, authorization: string | undefined): number | undefined {
  if (actor.kind !== "agent" || actor.via !== "run_jwt" || !authorization) return undefined;
  try {
    const payload = authorization.replace(/^Bearer\s+/i, "").split(".")[1] ?? "";
    const exp = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
