import { openBlockerSql } from "../db/predicates.js";
import type { Database, Queryable } from "../db/database.js";
import { forbidden, unauthenticated } from "../errors.js";
import { LOCAL_BOARD_USER_ID, type Actor, type AgentActor } from "../auth/actor.js";
import { recordActivity } from "../activity/record.js";
import type { IssueService } from "../issues/service.js";
import { parseStatusList } from "../issues/list-query.js";
import { ISSUE_COLUMNS } from "../issues/rows.js";
import { INBOX_LIMIT, LITE_STATUSES, activeRunsByIssue, archiveActiveSql, touchedBySql } from "./queries.js";

const ARCHIVE_COLUMNS = `id, company_id, issue_id, user_id, archived_by_actor_type, archived_by_agent_id, archived_by_run_id,
  archived_at, created_at, updated_at`;

/**
 * The agent inbox (its compact assignment list), a board user's Mine tab, and per-user inbox
 * archives.
 *
 * Users: Staple has one board user, `local-board`, who is every agent's responsible user. An agent
 * archives in that user's inbox by default; naming any other user is refused (there is no opt-in
 * policy to consult). A board caller always acts on its own inbox.
 */
export function createInboxService(db: Database, issues: IssueService) {
  /** Whose inbox an archive/unarchive changes, or a 403/401 saying why none. */
  function targetUser(actor: Actor, explicit: string | undefined): { userId: string; resolvedFrom: "explicit" | "responsible_user" } {
    if (actor.kind === "board") {
      if (explicit !== undefined && explicit !== actor.userId) {
        throw forbidden("A board user can only change their own inbox", "inbox_cross_user_forbidden");
      }
      return { userId: actor.userId, resolvedFrom: "responsible_user" };
    }
    if (!actor.runId) throw unauthenticated("Agent run id required (X-Paperclip-Run-Id)", "agent_run_id_required");
    if (explicit !== undefined && explicit !== LOCAL_BOARD_USER_ID) {
      throw forbidden("Agents may only manage their responsible user's inbox", "inbox_cross_user_grant_required");
    }
    return { userId: LOCAL_BOARD_USER_ID, resolvedFrom: explicit === undefined ? "responsible_user" : "explicit" };
  }

  return {
    /** The agent's open assignments (todo, in_progress, blocked), newest activity first. */
    async lite(actor: AgentActor) {
      const rows = await db.query<
        Record<string, unknown> & { id: string; executionRunId: string | null; unresolvedBlockerIssueIds: string[] }
      >(
        `SELECT i.id, i.identifier, i.title, i.status, i.priority, i.project_id, i.goal_id, i.parent_id, i.updated_at, i.execution_run_id,
                COALESCE((SELECT array_agg(b.id ORDER BY b.issue_number) FROM issue_relations rel JOIN issues b ON b.id = rel.issue_id
                           WHERE rel.related_issue_id = i.id AND ${openBlockerSql("rel", "b")}), '{}') AS unresolved_blocker_issue_ids
           FROM issues i
          WHERE i.company_id = $1 AND i.assignee_agent_id = $2 AND i.status = ANY($3::text[]) AND i.hidden_at IS NULL
          ORDER BY i.updated_at DESC, i.id DESC LIMIT ${INBOX_LIMIT}`,
        [actor.companyId, actor.agentId, LITE_STATUSES],
      );
      const runs = await activeRunsByIssue(db, rows);
      return rows.map(({ executionRunId: _e, unresolvedBlockerIssueIds, ...row }) => ({
        ...row,
        activeRun: runs.get(row.id) ?? null,
        dependencyReady: unresolvedBlockerIssueIds.length === 0,
        unresolvedBlockerCount: unresolvedBlockerIssueIds.length,
        unresolvedBlockerIssueIds,
      }));
    },

    /**
     * The Mine tab of `userId` in the agent's company: issues the user created, is assigned, commented
     * on or changed, minus the ones archived from their inbox (until new activity resurfaces them).
     */
    async mine(actor: AgentActor, userId: string, status: string | undefined) {
      const statuses = parseStatusList(status);
      const params: unknown[] = [actor.companyId, userId];
      const statusSql = statuses ? ` AND i.status = ANY($${params.push(statuses)}::text[])` : "";
      const columns = ISSUE_COLUMNS.split(",")
        .map((c) => `i.${c.trim()}`)
        .join(", ");
      const rows = await db.query<Record<string, unknown> & { myLastTouchAt: Date | null; lastExternalCommentAt: Date | null }>(
        `SELECT ${columns},
                NULLIF(GREATEST(
                  COALESCE((SELECT max(c.created_at) FROM issue_comments c WHERE c.issue_id = i.id AND c.author_user_id = $2), 'epoch'),
                  CASE WHEN i.created_by_user_id = $2 THEN i.created_at ELSE 'epoch' END,
                  CASE WHEN i.assignee_user_id = $2 THEN i.updated_at ELSE 'epoch' END
                ), 'epoch') AS my_last_touch_at,
                (SELECT max(c.created_at) FROM issue_comments c
                  WHERE c.issue_id = i.id AND (c.author_user_id IS NULL OR c.author_user_id <> $2)) AS last_external_comment_at
           FROM issues i
          WHERE i.company_id = $1 AND i.hidden_at IS NULL AND ${touchedBySql("i", "$2")}
            AND NOT EXISTS (SELECT 1 FROM issue_inbox_archives a WHERE a.issue_id = i.id AND a.user_id = $2 AND ${archiveActiveSql("a", "i", "$2")})
            ${statusSql}
          ORDER BY i.updated_at DESC, i.id DESC LIMIT ${INBOX_LIMIT}`,
        params,
      );
      return rows.map((row) => ({
        ...row,
        isUnreadForMe: Boolean(row.myLastTouchAt && row.lastExternalCommentAt && row.lastExternalCommentAt > row.myLastTouchAt),
      }));
    },

    async archive(actor: Actor, issueRef: string, explicitUserId: string | undefined) {
      const issue = await issues.visibleIssue(actor, issueRef);
      const target = targetUser(actor, explicitUserId);
      const agentId = actor.kind === "agent" ? actor.agentId : null;
      const runId = actor.kind === "agent" ? actor.runId : null;
      return db.tx(async (q: Queryable) => {
        const [row] = await q.query<{ archivedAt: Date }>(
          `INSERT INTO issue_inbox_archives (company_id, issue_id, user_id, archived_by_actor_type, archived_by_agent_id, archived_by_run_id)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (issue_id, user_id) DO UPDATE SET archived_at = now(), updated_at = now(),
             archived_by_actor_type = EXCLUDED.archived_by_actor_type, archived_by_agent_id = EXCLUDED.archived_by_agent_id,
             archived_by_run_id = EXCLUDED.archived_by_run_id
           RETURNING ${ARCHIVE_COLUMNS}`,
          [issue.companyId, issue.id, target.userId, actor.kind === "agent" ? "agent" : "user", agentId, runId],
        );
        await recordActivity(q, {
          companyId: issue.companyId,
          actor,
          action: "issue.inbox_archived",
          entityType: "issue",
          entityId: issue.id,
          details: { userId: target.userId, archivedAt: row!.archivedAt, targetResolvedFrom: target.resolvedFrom },
        });
        return row!;
      });
    },

    /** Removes the archive; the removed row, or `{ok, userId}` when there was none. */
    async unarchive(actor: Actor, issueRef: string, explicitUserId: string | undefined) {
      const issue = await issues.visibleIssue(actor, issueRef);
      const target = targetUser(actor, explicitUserId);
      return db.tx(async (q: Queryable) => {
        const [removed] = await q.query(
          `DELETE FROM issue_inbox_archives WHERE issue_id = $1 AND user_id = $2 RETURNING ${ARCHIVE_COLUMNS}`,
          [issue.id, target.userId],
        );
        await recordActivity(q, {
          companyId: issue.companyId,
          actor,
          action: "issue.inbox_unarchived",
          entityType: "issue",
          entityId: issue.id,
          details: { userId: target.userId, targetResolvedFrom: target.resolvedFrom },
        });
        return removed ?? { ok: true, userId: target.userId };
      });
    },
  };
}
export type InboxService = ReturnType<typeof createInboxService>;
