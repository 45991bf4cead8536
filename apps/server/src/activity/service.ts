import { ACTIVITY_LIMIT_DEFAULT, ACTIVITY_LIMIT_MAX, ACTIVITY_NOISE_ACTIONS } from "@staple/contracts";
import { validationError } from "../errors.js";
import type { Queryable } from "../db/database.js";
import { selectList, tableColumns, type Assert, type ColumnsOf, type RowMatches } from "../db/row-columns.js";

export function normalizeActivityLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return ACTIVITY_LIMIT_DEFAULT;
  return Math.max(1, Math.min(ACTIVITY_LIMIT_MAX, Math.floor(limit)));
}

/** The columns an activity entry reads (test/row-types.test.ts checks them against the migrated schema). */
export const ACTIVITY_ROW = tableColumns("activity_log", [
  "id",
  "company_id",
  "actor_type",
  "actor_id",
  "action",
  "entity_type",
  "entity_id",
  "agent_id",
  "run_id",
  "details",
  "created_at",
]);
const COLUMNS = selectList(ACTIVITY_ROW, "a");

/** One activity entry as the lists return it. */
export interface ActivityRow {
  id: string;
  companyId: string;
  actorType: string;
  actorId: string;
  action: string;
  entityType: string;
  entityId: string;
  agentId: string | null;
  runId: string | null;
  details: Record<string, unknown> | null;
  createdAt: Date;
}
export type ActivityRowCheck = Assert<RowMatches<ActivityRow, ColumnsOf<typeof ACTIVITY_ROW>>>;

/** Rows about hidden issues are left out of every activity list (docs/issues.md#hidden-and-deleted-issues). */
const NOT_HIDDEN = `NOT EXISTS (
  SELECT 1 FROM issues hi
   WHERE a.entity_type = 'issue'
     AND hi.id = (CASE WHEN a.entity_type = 'issue' THEN a.entity_id::uuid END)
     AND hi.hidden_at IS NOT NULL)`;

export interface ActivityFilters {
  agentId?: string;
  actorType?: string;
  action?: string;
  entityType?: string;
  entityId?: string;
  runId?: string;
  /** Inclusive lower and exclusive upper bound of created_at (ISO date-time or date). */
  from?: string;
  to?: string;
  /** Id of the last entry of the previous page: the list continues with the entries older than it. */
  cursor?: string;
  hideNoise?: "true" | "false";
  limit?: number;
}

/** A bare date means its midnight UTC, whatever the database session's time zone. */
const instant = (v: string) => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);

/** WHERE clause and parameters of a company's filtered activity ($1 is the company id). */
async function companyWhere(db: Queryable, companyId: string, f: ActivityFilters) {
  if (f.from && f.to && Date.parse(instant(f.from)) >= Date.parse(instant(f.to))) {
    throw validationError("from must be earlier than to", [{ path: ["from"], message: "from must be earlier than to" }]);
  }
  const params: unknown[] = [companyId];
  const where = ["a.company_id = $1", NOT_HIDDEN];
  if (f.agentId) where.push(`a.agent_id = $${params.push(f.agentId)}`);
  if (f.actorType) where.push(`a.actor_type = $${params.push(f.actorType)}`);
  if (f.action) where.push(`a.action = $${params.push(f.action)}`);
  if (f.entityType) where.push(`a.entity_type = $${params.push(f.entityType)}`);
  if (f.entityId) where.push(`a.entity_id = $${params.push(f.entityId)}`);
  if (f.runId) where.push(`a.run_id = $${params.push(f.runId)}`);
  if (f.from) where.push(`a.created_at >= $${params.push(instant(f.from))}::timestamptz`);
  if (f.to) where.push(`a.created_at < $${params.push(instant(f.to))}::timestamptz`);
  if (f.hideNoise === "true") where.push(`a.action <> ALL($${params.push([...ACTIVITY_NOISE_ACTIONS])}::text[])`);
  if (f.cursor) {
    // Keyset paging on (created_at, id), the list's order: stable while new rows arrive at the top.
    const [anchor] = await db.query(`SELECT 1 FROM activity_log WHERE id = $1 AND company_id = $2`, [f.cursor, companyId]);
    if (!anchor) {
      throw validationError("cursor does not name an activity entry of this company", [
        { path: ["cursor"], message: "Unknown activity entry" },
      ]);
    }
    // The anchor's time is read in SQL: a JavaScript Date would drop its microseconds.
    const c = params.push(f.cursor);
    where.push(`(a.created_at, a.id) < ((SELECT created_at FROM activity_log WHERE id = $${c}::uuid), $${c}::uuid)`);
  }
  return { where: where.join(" AND "), params };
}

export function createActivityService(db: Queryable) {
  return {
    async listForCompany(companyId: string, filters: ActivityFilters) {
      const { where, params } = await companyWhere(db, companyId, filters);
      const limit = normalizeActivityLimit(filters.limit);
      return db.query<ActivityRow>(
        `SELECT ${COLUMNS} FROM activity_log a WHERE ${where}
          ORDER BY a.created_at DESC, a.id DESC LIMIT ${limit}`,
        params,
      );
    },

    /** The filtered trail for an export, newest first, at most `max` rows (the caller bounds it). */
    async exportForCompany(companyId: string, filters: Omit<ActivityFilters, "limit">, max: number) {
      const { where, params } = await companyWhere(db, companyId, filters);
      return db.query<ActivityRow & { actorName: string | null }>(
        `SELECT ${COLUMNS}, ag.name AS actor_name FROM activity_log a
           LEFT JOIN agents ag ON a.actor_type = 'agent' AND ag.company_id = a.company_id AND ag.id::text = a.actor_id
          WHERE ${where}
          ORDER BY a.created_at DESC, a.id DESC LIMIT ${Math.max(1, Math.floor(max))}`,
        params,
      );
    },

    async listForIssue(issueId: string, limit?: number) {
      return db.query<ActivityRow>(
        `SELECT ${COLUMNS} FROM activity_log a
          WHERE a.entity_type = 'issue' AND a.entity_id = $1
          ORDER BY a.created_at DESC, a.id DESC LIMIT ${normalizeActivityLimit(limit)}`,
        [issueId],
      );
    },
  };
}
export type ActivityService = ReturnType<typeof createActivityService>;
