import type { CompanyRole } from "@staple/contracts";
import type { Actor, AgentActor, BoardActor } from "./actor.js";
import { forbidden, notFound, unauthenticated } from "../errors.js";
import { roleAllows, type CompanyAction } from "./roles.js";

/** Company-scoped routes: an agent reaches only its own company; a board user its memberships. */
export function assertCompanyAccess(actor: Actor, companyId: string): void {
  if (actor.kind === "agent") {
    if (actor.companyId !== companyId) throw forbidden("Agent key cannot access another company", "company_forbidden");
    return;
  }
  if (actor.companyIds !== "all" && !actor.companyIds.includes(companyId)) {
    throw forbidden("No access to this company", "company_forbidden");
  }
  assertRoleAllows(actor, companyId);
}

/**
 * Resources loaded by id: another company's resource answers 404, exactly as if it did not exist,
 * so ids from other tenants cannot be probed. A member whose role does not allow the request's
 * action gets 403 (they may see the resource, so its existence is no secret to them).
 */
export function assertCanSee(actor: Actor, companyId: string, what: string): void {
  if (actor.kind === "agent" ? actor.companyId !== companyId : actor.companyIds !== "all" && !actor.companyIds.includes(companyId)) {
    throw notFound(`${what} not found`);
  }
  if (actor.kind === "board") assertRoleAllows(actor, companyId);
}

/** A board user's role in a company; `"instance"` for an instance-level board (no per-company roles). */
export function boardRole(actor: BoardActor, companyId: string): CompanyRole | "instance" | null {
  if (!actor.roles) return "instance";
  return actor.roles[companyId] ?? null;
}

/**
 * The role check of authenticated mode, in one place: the role table (auth/roles.ts) decides. An
 * instance-level board (token file, local board, instance admin) carries no roles and may do all.
 */
export function assertRoleAllows(actor: BoardActor, companyId: string, action: CompanyAction = actor.action ?? "read"): void {
  const role = boardRole(actor, companyId);
  if (role === "instance") return;
  if (role === null || !roleAllows(role, action)) {
    throw forbidden(`Your role${role ? ` (${role})` : ""} in this company does not allow this (${action})`, "role_forbidden");
  }
}

/** Whether the actor's roles allow the action in at least one company (the early refusal of a write). */
export function mayActAnywhere(actor: BoardActor, action: CompanyAction): boolean {
  if (!actor.roles) return true;
  return Object.values(actor.roles).some((role) => roleAllows(role, action));
}

export function assertBoard(actor: Actor): asserts actor is BoardActor {
  if (actor.kind !== "board") throw forbidden("Board access required", "board_only");
}

export function assertAgent(actor: Actor): asserts actor is AgentActor {
  if (actor.kind !== "agent") throw unauthenticated("Agent authentication required", "agent_only");
}
