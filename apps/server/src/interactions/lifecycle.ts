import { COMMENT_SUPERSEDABLE_INTERACTION_KINDS, TARGET_BOUND_INTERACTION_KINDS } from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import type { Actor } from "../auth/actor.js";
import type { IssueMutationHooks } from "../issues/hooks.js";
import type { CommentRow } from "../issues/comments.js";
import type { IssueRow } from "../issues/rows.js";
import type { DocumentHooks, DocumentRevisionChange } from "../documents/service.js";
import { finishCard, INTERACTION_COLUMNS, recordInteractionActivity, type InteractionRow } from "./rows.js";
import { isClosedIssueStatus } from "./rules.js";

/**
 * Cards that end because something else happened on the issue: it closed, a newer revision of the
 * targeted document landed, or the board commented. Each runs inside the transaction of the change
 * that caused it (the issue, comment and document writes hold the issue row lock, as do the
 * resolving actions), so a card is never resolved against a state that has already moved on.
 * None of these wakes anyone: the change itself (a comment, a status change) does its own waking.
 */

const resolvedItems = (row: InteractionRow) => {
  const items = row.result?.items;
  return Array.isArray(items) ? items : [];
};

/** The `result` of a card that ended administratively, in the shape its kind's results use. */
export function administrativeResult(row: InteractionRow, outcome: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  if (row.kind === "ask_user_questions") return { version: 1, outcome, answers: [], summaryMarkdown: null, ...extra };
  if (row.kind === "request_item_verdicts") return { version: 1, outcome, complete: false, items: resolvedItems(row), ...extra };
  if (row.kind === "suggest_tasks") return { version: 1, outcome, createdTasks: [], skippedClientKeys: [], ...extra };
  return { version: 1, outcome, ...extra };
}

async function expireAll(
  q: Queryable,
  rows: InteractionRow[],
  actor: Actor | "system",
  build: (row: InteractionRow) => { result: Record<string, unknown>; payload?: Record<string, unknown> },
  outcome: string,
) {
  const expired: InteractionRow[] = [];
  for (const row of rows) {
    const { result, payload } = build(row);
    const done = await finishCard(q, row.id, "expired", result, actor, { payload });
    if (!done) continue;
    await recordInteractionActivity(q, actor, done, "expired", { outcome });
    expired.push(done);
  }
  return expired;
}

/** Closing an issue (done or cancelled) expires its pending cards with `issue_closed`. */
export async function expireForClosedIssue(q: Queryable, issue: { id: string }, actor: Actor | "system"): Promise<InteractionRow[]> {
  const rows = await q.query<InteractionRow>(
    `SELECT ${INTERACTION_COLUMNS} FROM issue_thread_interactions WHERE issue_id = $1 AND status = 'pending' ORDER BY created_at, id FOR UPDATE`,
    [issue.id],
  );
  return expireAll(
    q,
    rows,
    actor,
    (row) => ({ result: administrativeResult(row, "issue_closed", row.kind === "ask_user_questions" ? {} : { reason: null }) }),
    "issue_closed",
  );
}

/**
 * A board user's own comment (not one written from an agent run) supersedes the pending cards that
 * asked for it (`payload.supersedeOnUserComment`, true by default): the human answered in prose.
 */
export async function supersedeByComment(
  q: Queryable,
  issue: { id: string },
  comment: CommentRow,
  actor: Actor,
): Promise<InteractionRow[]> {
  if (actor.kind !== "board" || comment.authorType !== "user" || comment.createdByRunId) return [];
  const rows = await q.query<InteractionRow>(
    `SELECT ${INTERACTION_COLUMNS} FROM issue_thread_interactions
      WHERE issue_id = $1 AND status = 'pending' AND kind = ANY($2::text[]) AND payload->'supersedeOnUserComment' = 'true'::jsonb
      ORDER BY created_at, id FOR UPDATE`,
    [issue.id, COMMENT_SUPERSEDABLE_INTERACTION_KINDS],
  );
  return expireAll(
    q,
    rows,
    actor,
    (row) => ({
      result:
        row.kind === "ask_user_questions"
          ? { version: 1, answers: [], expirationReason: "superseded_by_comment", commentId: comment.id, summaryMarkdown: null }
          : administrativeResult(row, "superseded_by_comment", { commentId: comment.id }),
    }),
    "superseded_by_comment",
  );
}

/**
 * A document changed (a new revision, or deleted: `revisionId` null): pending cards targeting an
 * older revision of it expire with `stale_target`, keeping the target they were about in the result
 * and pointing their payload at the current revision (as Paperclip does).
 */
export async function expireStaleTargets(q: Queryable, change: DocumentRevisionChange, actor: Actor): Promise<InteractionRow[]> {
  const rows = await q.query<InteractionRow>(
    `SELECT ${INTERACTION_COLUMNS} FROM issue_thread_interactions
      WHERE company_id = $1 AND status = 'pending' AND kind = ANY($2::text[])
        AND payload->'target'->>'type' = 'issue_document' AND payload->'target'->>'key' = $3
        AND COALESCE(payload->'target'->>'issueId', issue_id::text) = $4
        AND (payload->'target'->>'documentId' IS NULL OR payload->'target'->>'documentId' = $5)
        AND ($6::text IS NULL OR payload->'target'->>'revisionId' IS DISTINCT FROM $6::text)
      ORDER BY created_at, id FOR UPDATE`,
    [change.companyId, TARGET_BOUND_INTERACTION_KINDS, change.key, change.issueId, change.documentId, change.revisionId],
  );
  const current = change.revisionId
    ? {
        type: "issue_document",
        issueId: change.issueId,
        documentId: change.documentId,
        key: change.key,
        revisionId: change.revisionId,
        revisionNumber: change.revisionNumber,
      }
    : null;
  return expireAll(
    q,
    rows,
    actor,
    (row) => ({
      result: administrativeResult(row, "stale_target", { staleTarget: row.payload.target }),
      ...(current ? { payload: { ...row.payload, target: { ...(row.payload.target as object), ...current } } } : {}),
    }),
    "stale_target",
  );
}

/** The issue hooks with the interaction lifecycle in front: expire on close, supersede on a board comment. */
export function withInteractionIssueHooks(base: IssueMutationHooks): IssueMutationHooks {
  return {
    afterCreate: (q, issue, actor) => base.afterCreate(q, issue, actor),
    async afterUpdate(q, prev: IssueRow, next: IssueRow, actor, comment) {
      if (isClosedIssueStatus(next.status) && !isClosedIssueStatus(prev.status)) await expireForClosedIssue(q, next, actor);
      else if (comment) await supersedeByComment(q, next, comment, actor);
      await base.afterUpdate(q, prev, next, actor, comment);
    },
    async afterComment(q, issue, comment, actor, opts) {
      await supersedeByComment(q, issue, comment, actor);
      await base.afterComment(q, issue, comment, actor, opts);
    },
  };
}

export const interactionDocumentHooks: DocumentHooks = {
  afterRevision: (q, change, actor) => expireStaleTargets(q, change, actor).then(() => undefined),
};
