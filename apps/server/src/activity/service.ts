import { ACTIVITY_LIMIT_DEFAULT, ACTIVITY_LIMIT_MAX } from "@staple/contracts";
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
  entityType?: string;
  entityId?: string;
  limit?: number;
}

export function createActivityService(db: Queryable) {
  return {
    async listForCompany(companyId: string, filters: ActivityFilters) {
      const params: unknown[] = [companyId];
      const where = ["a.company_id = $1", NOT_HIDDEN];
      if (filters.agentId) where.push(`a.agent_id = $${params.push(filters.agentId)}`);
      if (filters.entityType) where.push(`a.entity_type = $${params.push(filters.entityType)}`);
      if (filters.entityId) where.push(`a.entity_id = $${params.push(filters.entityId)}`);
      const limit = normalizeActivityLimit(filters.limit);
      return db.query<ActivityRow>(
        `SELECT ${COLUMNS} FROM activity_log a WHERE ${where.join(" AND ")}
          ORDER BY a.created_at DESC, a.id DESC LIMIT ${limit}`,
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
