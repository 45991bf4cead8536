import { EXECUTION_PATH_RUN_STATUSES, isUuid, NON_INVOKABLE_AGENT_STATUSES } from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import { conflict, forbidden, ruleViolation, unauthenticated, validationError } from "../errors.js";
import { LOCAL_BOARD_USER_ID, localBoardActor, type Actor } from "./actor.js";
import { AGENT_KEY_RE, hashAgentKey } from "./agent-api-keys.js";
import { looksLikeJwt, verifyAgentJwt } from "./agent-jwt.js";
import { BOARD_KEY_RE, createBoardCredentials, readCookie, SESSION_COOKIE } from "./board-credentials.js";
import { checkSameOrigin } from "./csrf.js";
import { boardScopeOf } from "./users.js";

export interface Credentials {
  authorization: string | undefined;
  runIdHeader: string | undefined;
  /** The Cookie header: a board session cookie authenticates the board UI. */
  cookie?: string | undefined;
  /** Request method and origin headers, for the CSRF check of cookie-authenticated writes. */
  method?: string;
  origin?: string | undefined;
  host?: string | undefined;
  secFetchSite?: string | undefined;
}

export interface AuthenticatorDeps {
  db: Queryable;
  jwtSecret: string;
  /**
   * Paperclip's local behaviour: a request without any credential is the board. Off by default
   * (STAPLE_UNAUTHENTICATED_BOARD=1 turns it on, with a warning at every start).
   */
  unauthenticatedBoard?: boolean;
}

/** Agents that may not use the API at all: terminated, or not yet approved. */
const BLOCKED_STATUSES: readonly string[] = NON_INVOKABLE_AGENT_STATUSES.filter((s) => s !== "paused");

/**
 * A paused agent may still read (it can see that it is paused) but changes nothing until it is
 * resumed: pausing is how the board stops an agent that misbehaves.
 */
function assertMayWrite(status: string, method: string | undefined): void {
  if (status === "paused" && method !== undefined && !["GET", "HEAD", "OPTIONS"].includes(method.toUpperCase())) {
    throw forbidden("Agent is paused: it may read but not change anything until the board resumes it", "agent_paused");
  }
}

export const AUTHENTICATION_REQUIRED_MESSAGE =
  "Authentication required: send a board token (Authorization: Bearer $(cat $STAPLE_HOME/board-token)), " +
  "an agent API key or a run token; in a browser, open the login link the server prints at start (or run `npx staple board`)";

/**
 * Turns request credentials into an actor. Closed by default: a request is the board only when it
 * carries a board credential (a board API key or a board session cookie); no credential is a 401.
 * A bearer token that matches nothing (unknown, revoked, malformed, expired) is a 401 as well: it
 * never falls back to board access.
 */
export function createAuthenticator({ db, jwtSecret, unauthenticatedBoard = false }: AuthenticatorDeps) {
  const board = createBoardCredentials(db);
  // A signed-in user's companies and roles (authenticated mode); the local board reaches everything.
  const scopeOf = (userId: string) =>
    userId === LOCAL_BOARD_USER_ID ? Promise.resolve({ companyIds: "all" as const }) : boardScopeOf(db, userId);
  return async function authenticate({
    authorization,
    runIdHeader,
    cookie,
    method,
    origin,
    host,
    secFetchSite,
  }: Credentials): Promise<Actor> {
    const runIdFromHeader = runIdHeader?.trim() || undefined;
    if (runIdFromHeader !== undefined && !isUuid(runIdFromHeader)) {
      throw validationError("X-Paperclip-Run-Id must be a uuid");
    }
    if (authorization === undefined || authorization.trim() === "") {
      const sessionToken = readCookie(cookie, SESSION_COOKIE);
      if (sessionToken !== undefined) {
        const session = await board.resolveSession(sessionToken);
        if (!session)
          throw unauthenticated("Board session expired or signed out; open a new login link (`npx staple board`)", "session_invalid");
        // Cookies ride along on cross-site requests: a write must come from this origin.
        checkSameOrigin({ method: method ?? "GET", origin, host, secFetchSite });
        return {
          kind: "board",
          userId: session.userId,
          source: "session",
          credentialId: session.credentialId,
          ...(await scopeOf(session.userId)),
        };
      }
      if (unauthenticatedBoard) return localBoardActor;
      throw unauthenticated(AUTHENTICATION_REQUIRED_MESSAGE, "authentication_required");
    }

    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthenticated("Malformed Authorization header; expected 'Bearer <token>'", "malformed_authorization");
    const token = match[1]!;

    if (BOARD_KEY_RE.test(token)) {
      const key = await board.resolveKey(token);
      if (!key) throw unauthenticated("Invalid, expired or revoked board API key", "invalid_board_key");
      const userId = key.userId ?? LOCAL_BOARD_USER_ID;
      return { kind: "board", userId, source: "board_key", credentialId: key.credentialId, ...(await scopeOf(userId)) };
    }

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
      assertMayWrite(key.status, method);
      // Touch last_used_at at most once a minute: no write per request.
      await db.query(
        `UPDATE agent_api_keys SET last_used_at = now()
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
        [key.id],
      );
      let runId: string | null = null;
      if (runIdFromHeader) {
        const [run] = await db.query<{ agentId: string; status: string; errorCode: string | null }>(
          "SELECT agent_id, status, error_code FROM heartbeat_runs WHERE id = $1",
          [runIdFromHeader],
        );
        if (!run || run.agentId !== key.agentId) {
          throw forbidden("X-Paperclip-Run-Id names a run that does not belong to this agent", "run_not_owned");
        }
        // Writes are attributed to the named run and checkout stamps it as the execution lock: a
        // finished run must never be revived that way.
        if (!(EXECUTION_PATH_RUN_STATUSES as readonly string[]).includes(run.status)) {
          throw conflict(`X-Paperclip-Run-Id names a run that is not live (${run.status})`, undefined, "run_not_live");
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
      const [row] = await db.query<{
        companyId: string;
        status: string;
        runStatus: string | null;
        runAgentId: string | null;
        runErrorCode: string | null;
      }>(
        `SELECT a.company_id, a.status, r.status AS run_status, r.agent_id AS run_agent_id, r.error_code AS run_error_code
           FROM agents a LEFT JOIN heartbeat_runs r ON r.id = $2
          WHERE a.id = $1`,
        [claims.sub, claims.run_id],
      );
      if (!row || row.companyId !== claims.company_id) throw unauthenticated("Invalid agent token: unknown agent", "invalid_agent_jwt");
      if (BLOCKED_STATUSES.includes(row.status)) {
        throw unauthenticated(`Agent is ${row.status} and cannot authenticate`, "agent_not_authenticatable");
      }
      assertMayWrite(row.status, method);
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
