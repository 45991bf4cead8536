import type { Queryable } from "../db/database.js";
import type { Actor } from "../auth/actor.js";
import type { IssueRow } from "./rows.js";
import type { CommentRow } from "./comments.js";

/**
 * What the run engine does when issues change (docs/runs.md#mutation-wakes): wake assignees,
 * mentioned agents and dependents, cancel the run of a cancelled issue. Called inside the
 * mutation's transaction, so a wake exists exactly when the change that caused it committed (a
 * transactional outbox: nothing is lost if the server dies right after the write, nothing is sent
 * for a rolled-back write).
 */
export interface IssueMutationHooks {
  afterCreate(q: Queryable, issue: IssueRow, actor: Actor): Promise<void>;
  afterUpdate(q: Queryable, prev: IssueRow, next: IssueRow, actor: Actor, comment: CommentRow | null): Promise<void>;
  /** `issue` is the issue after the comment (already reopened when `reopened`). */
  afterComment(q: Queryable, issue: IssueRow, comment: CommentRow, actor: Actor, opts: { reopened: boolean }): Promise<void>;
}

export const noIssueHooks: IssueMutationHooks = {
  afterCreate: async () => {},
  afterUpdate: async () => {},
  afterComment: async () => {},
};
