import { ACTIVE_RUN_STATUSES, INBOX_LITE_ISSUE_STATUSES, INBOX_RESURFACING_ISSUE_STATUSES } from "@staple/contracts";
import { sqlList } from "../db/sql-list.js";
import type { Queryable } from "../db/database.js";

/** Most rows an inbox list returns (the same cap as a default issue list page). */
export const INBOX_LIMIT = 500;

/** The statuses of the agent's compact inbox: work it can pick up or must unblock. */
export const LITE_STATUSES = INBOX_LITE_ISSUE_STATUSES;

/** Run statuses reported as an issue's active run. */
export { ACTIVE_RUN_STATUSES };

/** Actions that are not participation: changing one's inbox is not touching the issue. */
const INBOX_ACTIONS_SQL = "('issue.inbox_archived', 'issue.inbox_unarchived')";

/** Statuses that resurface an archived issue when the issue moves into them after the archive. */
const RESURFACING_STATUSES_SQL = sqlList(INBOX_RESURFACING_ISSUE_STATUSES);

/**
 * The user took part in the issue: created it, is assigned it, commented on it, or changed it
 * (`issue` is the issues alias, `user` a bound parameter).
 */
export function touchedBySql(issue: string, user: string): string {
  return `(${issue}.created_by_user_id = ${user} OR ${issue}.assignee_user_id = ${user}
    OR EXISTS (SELECT 1 FROM issue_comments c WHERE c.issue_id = ${issue}.id AND c.author_user_id = ${user})
    OR EXISTS (SELECT 1 FROM activity_log al WHERE al.company_id = ${issue}.company_id AND al.entity_type = 'issue'
                AND al.entity_id = ${issue}.id::text AND al.actor_type = 'user' AND al.actor_id = ${user}
                AND al.action NOT IN ${INBOX_ACTIONS_SQL}))`;
}

/**
 * An archive row still hides its issue: nothing since `archived_at` asks for the user again. A
 * comment by another user, or a move into in_review/blocked/done, ends it (comments by agents do
 * not: agents report progress all the time and that is what archiving silences).
 */
export function archiveActiveSql(archive: string, issue: string, user: string): string {
  return `NOT EXISTS (SELECT 1 FROM issue_comments c WHERE c.issue_id = ${issue}.id AND c.created_at > ${archive}.archived_at
                        AND c.author_user_id IS NOT NULL AND c.author_user_id <> ${user})
      AND NOT EXISTS (SELECT 1 FROM activity_log al WHERE al.company_id = ${issue}.company_id AND al.entity_type = 'issue'
                        AND al.entity_id = ${issue}.id::text AND al.action = 'issue.updated' AND al.created_at > ${archive}.archived_at
                        AND al.details->'changes'->'status'->>'to' IN ${RESURFACING_STATUSES_SQL})`;
}

export interface ActiveRunRef {
  id: string;
  status: string;
  agentId: string;
  invocationSource: string;
  triggerDetail: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
}

/** Each issue's execution-lock run while it is queued or running, keyed by issue id. */
export async function activeRunsByIssue(q: Queryable, issues: readonly { id: string; executionRunId: string | null }[]) {
  const byRun = new Map(issues.filter((i) => i.executionRunId).map((i) => [i.executionRunId!, i.id]));
  const result = new Map<string, ActiveRunRef>();
  if (byRun.size === 0) return result;
  const runs = await q.query<ActiveRunRef>(
    `SELECT id, status, agent_id, invocation_source, trigger_detail, started_at, finished_at, created_at
       FROM heartbeat_runs WHERE id = ANY($1::uuid[]) AND status = ANY($2::text[])`,
    [[...byRun.keys()], ACTIVE_RUN_STATUSES],
  );
  for (const run of runs) result.set(byRun.get(run.id)!, run);
  return result;
}
