import { EXECUTION_PATH_RUN_STATUSES, isUuid, NON_INVOKABLE_AGENT_STATUSES } from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import { forbidden, ruleViolation, unauthenticated, validationError } from "../errors.js";
import { localBoardActor, type Actor } from "./actor.js";
import { AGENT_KEY_RE, hashAgentKey } from "./agent-api-keys.js";
import { looksLikeJwt, verifyAgentJwt } from "./agent-jwt.js";

export interface Credentials {
  authorization: string | undefined;
  runIdHeader: string | undefined;
}

export interface AuthenticatorDeps {
  db: Queryable;
  jwtSecret: string;
}

const BLOCKED_STATUSES: readonly string[] = NON_INVOKABLE_AGENT_STATUSES.filter((s) => s !== "paused");

/**
 * Turns request credentials into an actor. Unlike Paperclip, a bearer token that matches nothing
 * (unknown, revoked, malformed, expired) is a 401: it never falls back to board access.
 */
export function createAuthenticator({ db, jwtSecret }: AuthenticatorDeps) {
  return async function authenticate({ authorization, runIdHeader }: Credentials): Promise<Actor> {
    const runIdFromHeader = runIdHeader?.trim() || undefined;
    if (runIdFromHeader !== undefined && !isUuid(runIdFromHeader)) {
      throw validationError("X-Paperclip-Run-Id must be a uuid");
    }
    if (authorization === undefined || authorization.trim() === "") return localBoardActor;

    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthenticated("Malformed Authorization header; expected 'Bearer <token>'", "malformed_authorization");
    const token = match[1]!;

    if (AGENT_KEY_RE.test(token)) {
      const [key] = await db.query<{ id: string; agentId: string; companyId: string; status: string }>(
        `SELECT k.id, k.agent_id, a.company_id, a.status
           FROM agent_api_keys k JOIN agents a ON a.id = k.agent_id
          WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
        [hashAgentKey(token)],
      );
      if (!key) throw unauthenticated("Invalid or revoked agent API key", "invalid_api_key");
      if (BLOCKED_STATUSES.includes(key.status)) {
        throw unauthenticated(`Agent is ${key.status} and cannot authenticate`, "agent_not_authenticatable");
      }
      // Touch last_used_at at most once a minute: no write per request.
      await db.query(
        `UPDATE agent_api_keys SET last_used_at = now()
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
        [key.id],
      );
      let runId: string | null = null;
      if (runIdFromHeader) {
        const [run] = await db.query<{ agentId: string; errorCode: string | null }>("SELECT agent_id, error_code FROM heartbeat_runs WHERE id = $1", [runIdFromHeader]);
        if (!run || run.agentId !== key.agentId) {
          throw forbidden("X-Paperclip-Run-Id names a run that does not belong to this agent", "run_not_owned");
        }
        runId = runIdFromHeader;
        if (run.errorCode === "process_detached") await clearDetached(db, runId);
      }
      return { kind: "agent", agentId: key.agentId, companyId: key.companyId, via: "api_key", keyId: key.id, runId };
    }

    if (looksLikeJwt(token)) {
      const verified = verifyAgentJwt(token, jwtSecret);
      if (!verified.ok) throw unauthenticated(`Invalid agent token: ${verified.reason}`, "invalid_agent_jwt");
      const { claims } = verified;
      // Ids are looked up below; a claim that is not a uuid is a bad token (401), not a bad request.
      if (!isUuid(claims.sub) || !isUuid(claims.company_id) || !isUuid(claims.run_id)) {
        throw unauthenticated("Invalid agent token: malformed claims", "invalid_agent_jwt");
      }
      if (runIdFromHeader && runIdFromHeader !== claims.run_id) {
        throw ruleViolation("X-Paperclip-Run-Id does not match the run of this token", undefined, "agent_jwt_run_id_mismatch");
      }
      const [row] = await db.query<{ companyId: string; status: string; runStatus: string | null; runAgentId: string | null; runErrorCode: string | null }>(
        `SELECT a.company_id, a.status, r.status AS run_status, r.agent_id AS run_agent_id, r.error_code AS run_error_code
           FROM agents a LEFT JOIN heartbeat_runs r ON r.id = $2
          WHERE a.id = $1`,
        [claims.sub, claims.run_id],
      );
      if (!row || row.companyId !== claims.company_id) throw unauthenticated("Invalid agent token: unknown agent", "invalid_agent_jwt");
      if (BLOCKED_STATUSES.includes(row.status)) {
        throw unauthenticated(`Agent is ${row.status} and cannot authenticate`, "agent_not_authenticatable");
      }
      if (row.runAgentId !== claims.sub) throw unauthenticated("Invalid agent token: unknown run", "invalid_agent_jwt");
      // A run token is only good while its run is alive: a leaked token dies with the run.
      if (!(EXECUTION_PATH_RUN_STATUSES as readonly string[]).includes(row.runStatus ?? "")) {
        throw unauthenticated("Agent token expired: its run has finished", "agent_run_finished");
      }
      if (row.runErrorCode === "process_detached") await clearDetached(db, claims.run_id);
      return { kind: "agent", agentId: claims.sub, companyId: claims.company_id, via: "run_jwt", keyId: null, runId: claims.run_id };
    }

    throw unauthenticated("Invalid bearer token", "invalid_token");
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;

/** A detached run (its server was lost, its process lives on) that reports in is evidently alive. */
async function clearDetached(db: Queryable, runId: string) {
  await db.query(
    "UPDATE heartbeat_runs SET error_code = NULL, error = NULL, updated_at = now() WHERE id = $1 AND status = 'running' AND error_code = 'process_detached'",
    [runId],
  );
}
