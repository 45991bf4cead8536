import type { CompanyRole } from "@staple/contracts";

/**
 * What a company role may do: the single table every board authorization decision reads
 * (docs/agents-and-auth.md shows it to people; test/auth-roles.test.ts pins it).
 *
 * - read: see the company and everything in it
 * - write: change the company's work: issues, comments, agents, projects, goals, approvals, runs, budgets
 * - manage_company: rename, reconfigure, pause, archive or delete the company itself
 * - manage_members: invites, join requests, roles below owner, removing non-owners
 * - manage_owners: grant or take the owner role, remove an owner
 */
export type CompanyAction = "read" | "write" | "manage_company" | "manage_members" | "manage_owners";

export const COMPANY_ACTIONS: readonly CompanyAction[] = Object.freeze([
  "read",
  "write",
  "manage_company",
  "manage_members",
  "manage_owners",
]);

const ALLOWED: Readonly<Record<CompanyRole, ReadonlySet<CompanyAction>>> = Object.freeze({
  owner: new Set<CompanyAction>(["read", "write", "manage_company", "manage_members", "manage_owners"]),
  admin: new Set<CompanyAction>(["read", "write", "manage_company", "manage_members"]),
  member: new Set<CompanyAction>(["read", "write"]),
  viewer: new Set<CompanyAction>(["read"]),
});

export function roleAllows(role: CompanyRole, action: CompanyAction): boolean {
  return ALLOWED[role].has(action);
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The action a request needs, from its route: reads are `read`, other methods `write`, except the
 * routes that change the company itself. Member, invite and join-request routes check their own,
 * finer action (they depend on the role being granted) in the members service.
 */
export function routeAction(method: string, path: string): CompanyAction {
  const m = method.toUpperCase();
  if (SAFE_METHODS.has(m)) return "read";
  // Marking one's own inbox items read or archived changes only that person's view, not the company.
  if (/^\/api\/companies\/:companyId\/(inbox\/(read|unread|archive|unarchive)|inbox-dismissals(\/:itemKey)?)$/.test(path)) return "read";
  if (path === "/api/companies/:companyId" || /^\/api\/companies\/:companyId\/(archive|pause|resume)$/.test(path)) return "manage_company";
  return "write";
}
