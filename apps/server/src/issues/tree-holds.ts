import { isUuid } from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { forbidden, notFound, conflict } from "../errors.js";
import { actorStamp, type Actor } from "../auth/actor.js";
import { assertCanSee } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import { findIssue } from "./rows.js";
import { lockSql } from "./execution-lock.js";
import { closedIssueSql, openIssueSql } from "../db/predicates.js";

/*
 * Hold scopes have no depth cap: a hold covers its whole subtree, however deep. Walks stay finite on
 * a corrupt parent loop: the upward walk is `UNION` over the id alone (a repeated id adds nothing),
 * and the downward walk never re-enters the root. Every issue has one parent, so a descendant can be
 * reached twice only through a loop that passes through the root, which that guard cuts.
 */

export interface ActiveHold {
  id: string;
  rootIssueId: string;
  mode: string;
  reason: string | null;
}

/**
 * The active pause hold covering an issue: one on the issue itself or on an ancestor at any depth.
 * Only `pause` holds gate work (docs/runs.md#tree-holds).
 */
export async function activePauseHold(q: Queryable, issueId: string): Promise<ActiveHold | null> {
  const [hold] = await q.query<ActiveHold>(
    `SELECT h.id, h.root_issue_id, h.mode, h.reason FROM issue_tree_holds h
      WHERE h.status = 'active' AND h.mode = 'pause' AND h.root_issue_id IN (
        WITH RECURSIVE up(id) AS (
          SELECT $1::uuid
          UNION
          SELECT i.parent_id FROM issues i JOIN up ON i.id = up.id WHERE i.parent_id IS NOT NULL
        ) SELECT id FROM up)
      ORDER BY h.created_at LIMIT 1`,
    [issueId],
  );
  return hold ?? null;
}

/**
 * A wake that may pass a pause hold: a comment interaction whose comment exists on the issue and
 * was written by whoever asked for the wake (a human answering, not automation).
 */
export async function isVerifiedInteraction(
  q: Queryable,
  issueId: string,
  context: Record<string, unknown>,
  requestedBy: { type: string; id: string | null },
): Promise<boolean> {
  const reason = typeof context.wakeReason === "string" ? context.wakeReason : null;
  const commentId = typeof context.commentId === "string" ? context.commentId : null;
  if (
    !reason ||
    !["issue_commented", "issue_reopened_via_comment", "issue_comment_mentioned"].includes(reason) ||
    !commentId ||
    !isUuid(commentId)
  ) {
    return false;
  }
  const [row] = await q.query<{ ok: boolean }>(
    `SELECT true AS ok FROM issue_comments WHERE id = $1 AND issue_id = $2
        AND ((author_type = 'user' AND author_user_id = $3) OR (author_type = 'agent' AND author_agent_id::text = $3))`,
    [commentId, issueId, requestedBy.id ?? ""],
  );
  return Boolean(row?.ok);
}

const HOLD_COLUMNS = `id, company_id, root_issue_id, mode, status, reason, release_policy, created_by_actor_type, created_by_actor_id,
  released_by_actor_type, released_by_actor_id, released_at, release_reason, created_at, updated_at`;

export interface TreeHoldHooks {
  /** Cancels the active runs and unclaimed wakes of the given issues (the run engine provides it). */
  cancelSubtreeWork(q: Queryable, issueIds: string[], reason: string, actor: Actor): Promise<number>;
}

/**
 * Board controls over a subtree of issues (docs/runs.md#tree-holds): pause (and cancel) holds and
 * their release.
 */
export function createTreeHoldService(db: Database, hooks: TreeHoldHooks) {
  return {
    async list(actor: Actor, ref: string) {
      const issue = await findIssue(db, ref);
      if (!issue) throw notFound("Issue not found");
      assertCanSee(actor, issue.companyId, "Issue");
      return db.query(`SELECT ${HOLD_COLUMNS} FROM issue_tree_holds WHERE root_issue_id = $1 ORDER BY created_at DESC`, [issue.id]);
    },

    async create(actor: Actor, ref: string, body: { mode: "pause" | "cancel"; reason?: string | null }) {
      if (actor.kind !== "board") throw forbidden("Only the board can hold a subtree", "board_only");
      const root = await findIssue(db, ref);
      if (!root) throw notFound("Issue not found");
      assertCanSee(actor, root.companyId, "Issue");
      const stamp = actorStamp(actor);
      return db.tx(async (q) => {
        const members = await q.query<{
          id: string;
          parentId: string | null;
          depth: number;
          status: string;
          assigneeAgentId: string | null;
          activeRunId: string | null;
        }>(
          `WITH RECURSIVE down(id, parent_id, depth) AS (
             SELECT id, parent_id, 0 FROM issues WHERE id = $1
             UNION ALL
             SELECT c.id, c.parent_id, down.depth + 1 FROM issues c JOIN down ON c.parent_id = down.id WHERE c.id <> $1
           )
           SELECT d.id, d.parent_id, d.depth, i.status, i.assignee_agent_id, i.execution_run_id AS active_run_id
             FROM down d JOIN issues i ON i.id = d.id ORDER BY d.depth, i.issue_number`,
          [root.id],
        );
        // Pause holds gate; a second active pause on the same root would be redundant.
        const [existing] = await q.query<{ id: string }>(
          "SELECT id FROM issue_tree_holds WHERE root_issue_id = $1 AND status = 'active' AND mode = 'pause'",
          [root.id],
        );
        if (existing && body.mode === "pause")
          throw conflict("This subtree is already paused", { holdId: existing.id }, "tree_hold_exists");
        const [hold] = await q.query<{ id: string }>(
          `INSERT INTO issue_tree_holds (company_id, root_issue_id, mode, reason, created_by_actor_type, created_by_actor_id, created_by_run_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${HOLD_COLUMNS}`,
          [
            root.companyId,
            root.id,
            body.mode === "cancel" ? "cancel" : "pause",
            body.reason ?? null,
            stamp.actorType,
            stamp.actorId,
            stamp.runId,
          ],
        );
        await q.query(
          `INSERT INTO issue_tree_hold_members (hold_id, issue_id, parent_id, depth, status, assignee_agent_id, active_run_id, skipped)
           SELECT $1, m.id, m.parent_id, m.depth, m.status, m.assignee_agent_id, m.active_run_id, ${closedIssueSql("m")}
             FROM jsonb_to_recordset($2::jsonb) AS m(id uuid, parent_id uuid, depth int, status text, assignee_agent_id uuid, active_run_id uuid)`,
          [
            hold!.id,
            JSON.stringify(
              members.map((m) => ({
                id: m.id,
                parent_id: m.parentId,
                depth: m.depth,
                status: m.status,
                assignee_agent_id: m.assigneeAgentId,
                active_run_id: m.activeRunId,
              })),
            ),
          ],
        );
        const ids = members.map((m) => m.id);
        const cancelledRuns = await hooks.cancelSubtreeWork(
          q,
          ids,
          body.mode === "cancel" ? "Cancelled because its issue tree was cancelled" : "Cancelled because its issue tree was paused",
          actor,
        );
        if (body.mode === "cancel") {
          await q.query(
            `UPDATE issues SET status = 'cancelled', cancelled_at = now(), ${lockSql.forceRelease}, updated_at = now()
              WHERE id = ANY($1::uuid[]) AND ${openIssueSql()}`,
            [ids],
          );
        }
        await recordActivity(q, {
          companyId: root.companyId,
          actor,
          action: "issue.tree_hold_created",
          entityType: "issue",
          entityId: root.id,
          details: {
            identifier: root.identifier,
            holdId: hold!.id,
            mode: body.mode,
            members: ids.length,
            cancelledRuns,
            reason: body.reason ?? null,
          },
        });
        return { ...hold!, memberCount: ids.length, cancelledRuns };
      });
    },

    async release(actor: Actor, ref: string, holdId: string, reason?: string | null) {
      if (actor.kind !== "board") throw forbidden("Only the board can release a hold", "board_only");
      const root = await findIssue(db, ref);
      if (!root) throw notFound("Issue not found");
      assertCanSee(actor, root.companyId, "Issue");
      if (!isUuid(holdId)) throw notFound("Tree hold not found");
      const stamp = actorStamp(actor);
      return db.tx(async (q) => {
        const [hold] = await q.query<{ id: string; status: string }>(
          `UPDATE issue_tree_holds SET status = 'released', released_by_actor_type = $3, released_by_actor_id = $4, released_at = now(),
                  release_reason = $5, updated_at = now()
            WHERE id = $1 AND root_issue_id = $2 AND status = 'active' RETURNING ${HOLD_COLUMNS}`,
          [holdId, root.id, stamp.actorType, stamp.actorId, reason ?? null],
        );
        if (!hold) {
          const [current] = await q.query(`SELECT ${HOLD_COLUMNS} FROM issue_tree_holds WHERE id = $1 AND root_issue_id = $2`, [
            holdId,
            root.id,
          ]);
          if (!current) throw notFound("Tree hold not found");
          return current; // already released: idempotent
        }
        await recordActivity(q, {
          companyId: root.companyId,
          actor,
          action: "issue.tree_hold_released",
          entityType: "issue",
          entityId: root.id,
          details: { identifier: root.identifier, holdId, reason: reason ?? null },
        });
        return hold;
      });
    },
  };
}
export type TreeHoldService = ReturnType<typeof createTreeHoldService>;
