import { openBlockerSql } from "../db/predicates.js";
import { isUuid, type CreateCommentBody } from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { selectList, tableColumns, type Assert, type ColumnsOf, type RowMatches } from "../db/row-columns.js";
import { notFound } from "../errors.js";
import { actorStamp, type Actor } from "../auth/actor.js";
import { assertCanSee } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import { parseMentions, type MentionCandidate } from "./mentions.js";
import { findIssue, ISSUE_COLUMNS, type IssueRow } from "./rows.js";
import { noIssueHooks, type IssueMutationHooks } from "./hooks.js";
import { assertCheckoutOwner } from "./execution.js";
import { commentReopensIssue } from "./comment-rules.js";
import { agentWriteRedactor } from "../secrets/agent-writes.js";

/** The columns a comment row reads (test/row-types.test.ts checks them against the migrated schema). */
export const COMMENT_ROW = tableColumns("issue_comments", [
  "id",
  "company_id",
  "issue_id",
  "author_agent_id",
  "author_user_id",
  "author_type",
  "created_by_run_id",
  "body",
  "mentioned_agent_ids",
  "created_at",
  "updated_at",
]);
export const COMMENT_COLUMNS = selectList(COMMENT_ROW);

export interface CommentRow {
  id: string;
  companyId: string;
  issueId: string;
  authorAgentId: string | null;
  authorUserId: string | null;
  authorType: string;
  createdByRunId: string | null;
  body: string;
  mentionedAgentIds: string[];
  createdAt: Date;
  updatedAt: Date;
}
export type CommentRowCheck = Assert<RowMatches<CommentRow, ColumnsOf<typeof COMMENT_ROW>>>;

/**
 * Writes a comment (with its parsed mentions and its activity row) inside the caller's
 * transaction. Mentions are resolved against the company's live agents at write time, so the run
 * engine reads ids, never re-parses text.
 */
export async function insertComment(q: Queryable, issue: IssueRow, actor: Actor, written: string): Promise<CommentRow> {
  // Secrets an agent writes are stored as [REDACTED] (secrets/agent-writes.ts); mentions are parsed after.
  const body = (await agentWriteRedactor(q, actor, issue.companyId, [written])).text(written);
  const candidates = body.includes("@")
    ? await q.query<MentionCandidate>("SELECT id, name, url_key FROM agents WHERE company_id = $1 AND status <> 'terminated'", [
        issue.companyId,
      ])
    : [];
  const mentioned = parseMentions(body, candidates);
  const stamp = actorStamp(actor);
  const [comment] = await q.query<CommentRow>(
    `INSERT INTO issue_comments (company_id, issue_id, author_agent_id, author_user_id, author_type, created_by_run_id, body,
       mentioned_agent_ids)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::uuid[]) RETURNING ${COMMENT_COLUMNS}`,
    [issue.companyId, issue.id, stamp.agentId, actor.kind === "board" ? actor.userId : null, stamp.actorType, stamp.runId, body, mentioned],
  );
  await q.query("UPDATE issues SET updated_at = now() WHERE id = $1", [issue.id]);
  await recordActivity(q, {
    companyId: issue.companyId,
    actor,
    action: "issue.comment_added",
    entityType: "issue",
    entityId: issue.id,
    details: { commentId: comment!.id, identifier: issue.identifier, mentionedAgentIds: mentioned },
  });
  return comment!;
}

export function createCommentService(db: Database, hooks: IssueMutationHooks = noIssueHooks) {
  async function issueFor(actor: Actor, issueRef: string): Promise<IssueRow> {
    const issue = await findIssue(db, issueRef);
    if (!issue) throw notFound("Issue not found");
    assertCanSee(actor, issue.companyId, "Issue");
    return issue;
  }

  return {
    async list(actor: Actor, issueRef: string, opts: { after?: string; order?: "asc" | "desc"; limit?: number }) {
      const issue = await issueFor(actor, issueRef);
      const params: unknown[] = [issue.id];
      let after = "";
      if (opts.after) {
        // Comments strictly newer than the given one, for incremental reads.
        after = `AND (created_at, id) > (SELECT created_at, id FROM issue_comments WHERE id = $${params.push(opts.after)} AND issue_id = $1)`;
      }
      const dir = opts.order === "asc" ? "ASC" : "DESC";
      return db.query<CommentRow>(
        `SELECT ${COMMENT_COLUMNS} FROM issue_comments WHERE issue_id = $1 ${after}
          ORDER BY created_at ${dir}, id ${dir} LIMIT ${opts.limit ?? 1000}`,
        params,
      );
    },

    async get(actor: Actor, issueRef: string, commentId: string) {
      const issue = await issueFor(actor, issueRef);
      if (!isUuid(commentId)) throw notFound("Comment not found");
      const [comment] = await db.query<CommentRow>(`SELECT ${COMMENT_COLUMNS} FROM issue_comments WHERE id = $1 AND issue_id = $2`, [
        commentId,
        issue.id,
      ]);
      if (!comment) throw notFound("Comment not found");
      return comment;
    },

    async create(actor: Actor, issueRef: string, body: CreateCommentBody): Promise<CommentRow> {
      const issue = await issueFor(actor, issueRef);
      return db.tx(async (q) => {
        const found = (await findIssue(q, issue.id, true))!;
        const locked = (await assertCheckoutOwner(q, found.id, actor)) ?? found;
        const comment = await insertComment(q, locked, actor, body.body);
        const [{ open }] = (await q.query<{ open: number }>(
          `SELECT count(*)::int AS open FROM issue_relations rel JOIN issues b ON b.id = rel.issue_id
            WHERE rel.related_issue_id = $1 AND ${openBlockerSql("rel", "b")}`,
          [locked.id],
        )) as [{ open: number }];
        const stamp = actorStamp(actor);
        const reopen = commentReopensIssue({
          status: locked.status,
          assigneeAgentId: locked.assigneeAgentId,
          executionRunId: locked.executionRunId,
          authorAgentId: stamp.agentId,
          authorIsUser: actor.kind === "board",
          authorRunId: stamp.runId,
          explicitReopen: body.reopen === true,
          hasOpenBlockers: open > 0,
        });
        let after = locked;
        if (reopen) {
          const [moved] = await q.query<IssueRow>(
            `UPDATE issues SET status = 'todo', completed_at = NULL, cancelled_at = NULL, updated_at = now()
              WHERE id = $1 AND status = $2 RETURNING ${ISSUE_COLUMNS}`,
            [locked.id, locked.status],
          );
          if (moved) {
            after = moved;
            await recordActivity(q, {
              companyId: locked.companyId,
              actor,
              action: "issue.updated",
              entityType: "issue",
              entityId: locked.id,
              details: {
                identifier: locked.identifier,
                changes: { status: { from: locked.status, to: "todo" } },
                via: "comment_reopen",
                commentId: comment.id,
              },
            });
          }
        }
        await hooks.afterComment(q, after, comment, actor, { reopened: after !== locked });
        return comment;
      });
    },
  };
}
export type CommentService = ReturnType<typeof createCommentService>;
