import { isUuid } from "@staple/contracts";
import type { Queryable } from "../db/database.js";

/**
 * The company a by-id route addresses, read from its first path parameter before the body is
 * parsed, so a board member's access is decided (404 outside their companies, 403 when their role
 * forbids the action) before anything else answers. Services still check again when they load the
 * resource; this table only lets the HTTP layer refuse early and uniformly. A path it does not know
 * (or an id that names nothing) resolves to null and is left to the handler.
 */
const OWNERS: ReadonlyArray<{ prefix: string; param: string; table: string; what: string; identifier?: string }> = [
  { prefix: "/api/issues/:id", param: "id", table: "issues", identifier: "identifier", what: "Issue" },
  { prefix: "/api/agents/:id", param: "id", table: "agents", what: "Agent" },
  { prefix: "/api/approvals/:id", param: "id", table: "approvals", what: "Approval" },
  { prefix: "/api/attachments/:attachmentId", param: "attachmentId", table: "issue_attachments", what: "Attachment" },
  { prefix: "/api/goals/:id", param: "id", table: "goals", what: "Goal" },
  { prefix: "/api/projects/:id", param: "id", table: "projects", what: "Project" },
  { prefix: "/api/labels/:labelId", param: "labelId", table: "labels", what: "Label" },
  { prefix: "/api/heartbeat-runs/:id", param: "id", table: "heartbeat_runs", what: "Heartbeat run" },
];

export interface RouteCompany {
  companyId: string;
  /** The resource's name in a 404, the same words its service uses ("Issue not found"). */
  what: string;
}

export async function companyOfRoute(db: Queryable, routePath: string, params: Record<string, string>): Promise<RouteCompany | null> {
  const owner = OWNERS.find((o) => routePath === o.prefix || routePath.startsWith(`${o.prefix}/`));
  if (!owner) return null;
  const value = params[owner.param];
  if (value === undefined) return null;
  if (isUuid(value)) {
    const [row] = await db.query<{ companyId: string }>(`SELECT company_id FROM ${owner.table} WHERE id = $1`, [value]);
    return row ? { companyId: row.companyId, what: owner.what } : null;
  }
  if (owner.identifier) {
    const [row] = await db.query<{ companyId: string }>(`SELECT company_id FROM ${owner.table} WHERE ${owner.identifier} = upper($1)`, [
      value,
    ]);
    return row ? { companyId: row.companyId, what: owner.what } : null;
  }
  return null;
}
