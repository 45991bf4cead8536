import type { CompanyRole } from "@staple/contracts";
import type { CompanyAction } from "./roles.js";

/**
 * Who is making a request. Every route receives exactly one actor; authorization decisions read
 * only this value.
 *
 * - `board`: a human supervisor, authenticated by a board API key or a board session cookie (both
 *   name their credential, so revoking it can end open live streams). Only when the operator sets
 *   STAPLE_UNAUTHENTICATED_BOARD=1 is a request without credentials the implicit board user
 *   `local-board`. An authenticated mode (members, roles) produces the same shape with a concrete
 *   company list.
 * - `agent`: an agent authenticated by an API key or by a run-scoped JWT. `runId` ties its writes
 *   to a heartbeat run (from the JWT claim or the X-Paperclip-Run-Id header).
 */
export type Actor = BoardActor | AgentActor;

export interface BoardActor {
  kind: "board";
  userId: string;
  source: "local_implicit" | "session" | "board_key";
  /** `"all"` for instance admins and the local board; otherwise the companies of their memberships. */
  companyIds: "all" | readonly string[];
  /** The board key or session this request used (absent for the implicit local board). */
  credentialId?: string;
  /**
   * Authenticated mode: the user's role in each company of `companyIds`. Absent for an instance-level
   * board (the token file, the local board, an instance admin), which may do everything.
   */
  roles?: Readonly<Record<string, CompanyRole>>;
  /** What the current request needs in a company (auth/roles.ts); set by the HTTP layer per route. */
  action?: CompanyAction;
}

export interface AgentActor {
  kind: "agent";
  agentId: string;
  companyId: string;
  via: "api_key" | "run_jwt";
  keyId: string | null;
  runId: string | null;
}

export const LOCAL_BOARD_USER_ID = "local-board";

export const localBoardActor: BoardActor = Object.freeze({
  kind: "board",
  userId: LOCAL_BOARD_USER_ID,
  source: "local_implicit",
  companyIds: "all",
}) as BoardActor;

/** The columns an activity row or authored record takes from its actor. */
export function actorStamp(actor: Actor): { actorType: "user" | "agent"; actorId: string; agentId: string | null; runId: string | null } {
  return actor.kind === "board"
    ? { actorType: "user", actorId: actor.userId, agentId: null, runId: null }
    : { actorType: "agent", actorId: actor.agentId, agentId: actor.agentId, runId: actor.runId };
}
