import type { Queryable } from "../db/database.js";
import { forbidden, notFound } from "../errors.js";
import type { Actor, BoardActor } from "./actor.js";
import { assertCanSee, mayActAnywhere } from "./access.js";
import { companyOfRoute } from "./route-company.js";
import { routeAction } from "./roles.js";

/** Routes about the caller themself (their sessions, keys, invites, CLI sign-in): open to every signed-in user. */
const SELF_SERVICE = [
  /^\/api\/auth\//,
  /^\/api\/board\//,
  /^\/api\/board-api-keys(\/|$)/,
  /^\/api\/cli-auth\//,
  /^\/api\/invites\/:token\/accept$/,
  // Member, invite and join-request routes check their finer action (which role is granted) themselves.
  /^\/api\/invites\/:inviteId\/revoke$/,
];

/**
 * The HTTP layer's authorization step for a board user with per-company roles (authenticated mode),
 * before the body is read: it stamps the action the route needs (auth/roles.ts) on the actor, and
 * refuses early when the addressed company is outside the user's memberships (404) or their role
 * there does not allow the action (403). Routes under /companies/:companyId are checked by
 * assertCompanyAccess right after this; services check again when they load a resource.
 */
export async function gateMemberRequest(
  db: Queryable,
  actor: BoardActor,
  route: { method: string; path: string },
  params: Record<string, string>,
): Promise<void> {
  if (!actor.roles) return; // an instance-level board
  const action = routeAction(route.method, route.path);
  actor.action = action;
  if (SELF_SERVICE.some((re) => re.test(route.path)) || params.companyId !== undefined) return;
  const owner = await companyOfRoute(db, route.path, params);
  if (owner) return assertCanSee(actor, owner.companyId, owner.what);
  if (action === "read") return;
  if (!route.path.includes(":")) {
    // A write about no company (create a company, instance settings): instance admins only.
    throw forbidden("Only an instance admin may do this", "instance_admin_required");
  }
  if (!mayActAnywhere(actor, action)) {
    throw forbidden(`Your roles do not allow this (${action})`, "role_forbidden");
  }
}

/**
 * The same early step for an agent: a by-id route whose resource belongs to another company is a
 * 404 before the body is read, exactly like the service's own check that follows.
 */
export async function gateAgentRequest(
  db: Queryable,
  actor: Actor & { kind: "agent" },
  route: { path: string },
  params: Record<string, string>,
): Promise<void> {
  if (params.companyId !== undefined) return;
  const owner = await companyOfRoute(db, route.path, params);
  if (owner && owner.companyId !== actor.companyId) throw notFound(`${owner.what} not found`);
}
