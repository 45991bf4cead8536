import type { Actor, AgentActor, BoardActor } from "./actor.js";
import { forbidden, notFound, unauthenticated } from "../errors.js";

/** Company-scoped routes: an agent reaches only its own company; a board user its memberships. */
export function assertCompanyAccess(actor: Actor, companyId: string): void {
  if (actor.kind === "agent") {
    if (actor.companyId !== companyId) throw forbidden("Agent key cannot access another company", "company_forbidden");
    return;
  }
  if (actor.companyIds !== "all" && !actor.companyIds.includes(companyId)) {
    throw forbidden("No access to this company", "company_forbidden");
  }
}

/**
 * Resources loaded by id: another company's resource answers 404, exactly as if it did not exist,
 * so ids from other tenants cannot be probed.
 */
export function assertCanSee(actor: Actor, companyId: string, what: string): void {
  if (actor.kind === "agent" ? actor.companyId !== companyId : actor.companyIds !== "all" && !actor.companyIds.includes(companyId)) {
    throw notFound(`${what} not found`);
  }
}

export function assertBoard(actor: Actor): asserts actor is BoardActor {
  if (actor.kind !== "board") throw forbidden("Board access required", "board_only");
}

export function assertAgent(actor: Actor): asserts actor is AgentActor {
  if (actor.kind !== "agent") throw unauthenticated("Agent authentication required", "agent_only");
}
