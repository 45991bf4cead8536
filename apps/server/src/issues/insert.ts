import type { Queryable } from "../db/database.js";
import { camelSelectList } from "../db/json-rows.js";
import { ISSUE_COLUMNS, type IssueRow } from "./rows.js";
import { initialStatusTimestamps } from "./status-rules.js";

export interface IssueInsert {
  companyId: string;
  title: string;
  description?: string | null;
  status: string;
  priority?: string;
  parentId?: string | null;
  goalId?: string | null;
  projectId?: string | null;
  projectWorkspaceId?: string | null;
  assigneeAgentId?: string | null;
  assigneeUserId?: string | null;
  createdByAgentId?: string | null;
  createdByUserId?: string | null;
  requestDepth?: number;
  billingCode?: string | null;
  originKind?: string;
  originId?: string | null;
  originRunId?: string | null;
}

/**
 * Inserts an issue with the next `PREFIX-N` of its company in one statement: the counter UPDATE
 * holds the company row lock, so N parallel inserts get N distinct numbers. No validation here
 * (callers validate); used by the issue service and by recovery.
 */
export interface CreationActivity {
  actorType: "user" | "agent" | "system";
  actorId: string;
  agentId: string | null;
  runId: string | null;
}

/**
 * The same insert plus its `issue.created` activity row, in one statement (one round trip, atomic
 * without a transaction). Mirrors activity/record.ts for this one action.
 */
export async function insertIssueRow(q: Queryable, f: IssueInsert, activity?: CreationActivity): Promise<IssueRow> {
  const timestamps = initialStatusTimestamps(f.status);
  const extraCols = Object.keys(timestamps);
  // The row comes back as one JSON text: parsing 34 typed columns in the embedded driver costs more
  // than the insert itself (measured ~2 ms vs ~0.6 ms).
  const [row] = await q.query<{ body: string }>(
    `WITH counter AS (
       UPDATE companies SET issue_counter = GREATEST(issue_counter,
         COALESCE((SELECT max(issue_number) FROM issues WHERE company_id = $1), 0)) + 1
        WHERE id = $1 RETURNING issue_counter, issue_prefix
     ), ins AS (
     INSERT INTO issues (company_id, project_id, project_workspace_id, goal_id, parent_id, title, description, status,
       priority, assignee_agent_id, assignee_user_id, created_by_agent_id, created_by_user_id, issue_number, identifier,
       request_depth, billing_code, origin_kind, origin_id, origin_run_id${extraCols.map((c) => `, ${c}`).join("")})
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, counter.issue_counter,
            counter.issue_prefix || '-' || counter.issue_counter, $14, $15, $16, $17, $18${extraCols.map((c) => `, ${timestamps[c]}`).join("")}
       FROM counter
     RETURNING ${ISSUE_COLUMNS}
     )${
       activity
         ? `, act AS (
       INSERT INTO activity_log (company_id, actor_type, actor_id, action, entity_type, entity_id, agent_id, run_id, details)
       SELECT company_id, $19, $20, 'issue.created', 'issue', id::text, $21, $22,
              jsonb_build_object('identifier', identifier, 'title', title, 'status', status,
                                 'assigneeAgentId', assignee_agent_id, 'assigneeUserId', assignee_user_id)
         FROM ins
     )`
         : ""
     }
     SELECT row_to_json(x)::text AS body FROM (SELECT ${camelSelectList(ISSUE_COLUMNS, "ins")} FROM ins) x`,
    [
      f.companyId,
      f.projectId ?? null,
      f.projectWorkspaceId ?? null,
      f.goalId ?? null,
      f.parentId ?? null,
      f.title,
      f.description ?? null,
      f.status,
      f.priority ?? "medium",
      f.assigneeAgentId ?? null,
      f.assigneeUserId ?? null,
      f.createdByAgentId ?? null,
      f.createdByUserId ?? null,
      f.requestDepth ?? 0,
      f.billingCode ?? null,
      f.originKind ?? "manual",
      f.originId ?? null,
      f.originRunId ?? null,
      ...(activity ? [activity.actorType, activity.actorId, activity.agentId, activity.runId] : []),
    ],
  );
  return JSON.parse(row!.body) as IssueRow;
}
