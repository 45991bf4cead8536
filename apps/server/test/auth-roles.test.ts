import { describe, expect, it } from "vitest";
import { COMPANY_ROLES } from "@staple/contracts";
import { COMPANY_ACTIONS, roleAllows, routeAction, type CompanyAction } from "../src/auth/roles.js";
import { assertRoleAllows } from "../src/auth/access.js";
import type { BoardActor } from "../src/auth/actor.js";

/** The role table as docs/agents-and-auth.md shows it: role -> the actions it allows. */
const TABLE: Record<string, Record<CompanyAction, boolean>> = {
  owner: { read: true, write: true, manage_company: true, manage_members: true, manage_owners: true },
  admin: { read: true, write: true, manage_company: true, manage_members: true, manage_owners: false },
  member: { read: true, write: true, manage_company: false, manage_members: false, manage_owners: false },
  viewer: { read: true, write: false, manage_company: false, manage_members: false, manage_owners: false },
};

describe("role x action", () => {
  for (const role of COMPANY_ROLES) {
    for (const action of COMPANY_ACTIONS) {
      it(`${role} ${TABLE[role]![action] ? "may" : "may not"} ${action}`, () => {
        expect(roleAllows(role, action)).toBe(TABLE[role]![action]);
      });
    }
  }
  it("the table covers every role and action", () => {
    expect(Object.keys(TABLE).sort()).toEqual([...COMPANY_ROLES].sort());
    for (const row of Object.values(TABLE)) expect(Object.keys(row).sort()).toEqual([...COMPANY_ACTIONS].sort());
  });
});

describe("the action a route needs", () => {
  it.each([
    ["GET", "/api/companies/:companyId/issues", "read"],
    ["HEAD", "/api/issues/:id", "read"],
    ["POST", "/api/companies/:companyId/issues", "write"],
    ["DELETE", "/api/issues/:id", "write"],
    ["PATCH", "/api/companies/:companyId", "manage_company"],
    ["DELETE", "/api/companies/:companyId", "manage_company"],
    ["POST", "/api/companies/:companyId/archive", "manage_company"],
  ])("%s %s -> %s", (method, path, action) => {
    expect(routeAction(method, path)).toBe(action);
  });
});

describe("assertRoleAllows", () => {
  const member = (role: "viewer" | "member"): BoardActor => ({
    kind: "board",
    userId: "u",
    source: "session",
    companyIds: ["c1"],
    roles: { c1: role },
  });
  it("an instance-level board (no roles) may do everything", () => {
    expect(() =>
      assertRoleAllows({ kind: "board", userId: "local-board", source: "board_key", companyIds: "all" }, "c1", "manage_owners"),
    ).not.toThrow();
  });
  it("uses the request's action, and refuses other companies", () => {
    expect(() => assertRoleAllows({ ...member("viewer"), action: "write" }, "c1")).toThrow(/viewer/);
    expect(() => assertRoleAllows({ ...member("member"), action: "write" }, "c1")).not.toThrow();
    expect(() => assertRoleAllows({ ...member("member"), action: "read" }, "c2")).toThrow();
  });
});
