import { CLOSED_ISSUE_STATUSES, DORMANT_ISSUE_STATUSES } from "@staple/contracts";
import { sqlList } from "../db/sql-list.js";
import { liveRunSql, openBlockerSql, openIssueSql } from "../db/predicates.js";
import type { Queryable } from "../db/database.js";
import { DomainError } from "../errors.js";
import { actorStamp, type Actor } from "../auth/actor.js";
import { recordActivity } from "../activity/record.js";
import type { IssueMutationHooks } from "../issues/hooks.js";
import type { IssueRow } from "../issues/rows.js";
import type { WakeupEnqueuer, WakeupRequest } from "./enqueue.js";
import { cancelRunInTx } from "./cancel-run.js";

const CLOSED: readonly string[] = CLOSED_ISSUE_STATUSES;

/** Which wake (if any) an issue update implies for its assignee (docs/runs.md#mutation-wakes). Pure. */
export function updateWakeReason(
  prev: { status: string; assigneeAgentId: string | null },
  next: { status: string; assigneeAgentId: string | null },
): "issue_assigned" | "issue_status_changed" | null {
  if (!next.assigneeAgentId || next.status === "backlog" || CLOSED.includes(next.status)) return null;
  if (next.assigneeAgentId !== prev.assigneeAgentId) return "issue_assigned";
  if (prev.status === next.status) return null;
  if (
    prev.status === "backlog" ||
    (prev.status === "blocked" && next.status === "todo") ||
    (CLOSED.includes(prev.status) && next.status === "todo")
  ) {
    return "issue_status_changed";
  }
  return null;
}

/**
 * Who a comment wakes (docs/runs.md#mutation-wakes). Pure. An agent is never woken by its own
 * comment; the assignee wakes with `issue_reopened_via_comment` when the comment reopened the
 * issue, `issue_commented` when it is open, nobody when it stays closed; mentioned agents wake with
 * `issue_comment_mentioned` (never the author, never the assignee twice).
 */
export function commentWakePlan(input: {
  issue: { status: string; assigneeAgentId: string | null };
  reopened: boolean;
  authorAgentId: string | null;
  mentionedAgentIds: readonly string[];
}): { assigneeReason: "issue_commented" | "issue_reopened_via_comment" | null; mentioned: string[] } {
  const assignee = input.issue.assigneeAgentId;
  let assigneeReason: "issue_commented" | "issue_reopened_via_comment" | null = null;
  if (assignee && assignee !== input.authorAgentId) {
    if (input.reopened) assigneeReason = "issue_reopened_via_comment";
    else if (!CLOSED.includes(input.issue.status)) assigneeReason = "issue_commented";
  }
  const mentioned = input.mentionedAgentIds.filter((id) => id !== input.authorAgentId && !(assigneeReason && id === assignee));
  return { assigneeReason, mentioned: [...new Set(mentioned)] };
}

/** The run engine's implementation of the issue mutation hooks. */
export function createIssueWakeHooks(enqueuer: WakeupEnqueuer): IssueMutationHooks {
  async function wake(q: Queryable, req: WakeupRequest) {
    try {
      // A queued run is announced to the board by the enqueuer's own statement.
      await enqueuer.enqueue(req, q);
    } catch (error) {
      // A paused or terminated agent is simply not woken; the mutation itself still succeeds.
      if (!(error instanceof DomainError)) throw error;
    }
  }
  const requestedBy = (actor: Actor) => {
    const s = actorStamp(actor);
    return { type: s.actorType, id: s.actorId } as const;
  };

  async function wakeReadyDependents(q: Queryable, issue: IssueRow, actor: Actor) {
    const ready = await q.query<{ id: string; assigneeAgentId: string }>(
      `SELECT d.id, d.assignee_agent_id FROM issue_relations rel JOIN issues d ON d.id = rel.related_issue_id
        WHERE rel.issue_id = $1 AND rel.type = 'blocks' AND d.assignee_agent_id IS NOT NULL
          AND d.status NOT IN ${sqlList(DORMANT_ISSUE_STATUSES)} AND d.hidden_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM issue_relations r2 JOIN issues b ON b.id = r2.issue_id
                           WHERE r2.related_issue_id = d.id AND ${openBlockerSql("r2", "b")})`,
      [issue.id],
    );
    for (const d of ready) {
      await wake(q, {
        agentId: d.assigneeAgentId,
        source: "automation",
        triggerDetail: "system",
        reason: "issue_blockers_resolved",
        payload: { issueId: d.id, resolvedBlockerIssueId: issue.id },
        requestedBy: requestedBy(actor),
      });
    }
  }

  async function wakeParentIfChildrenDone(q: Queryable, issue: IssueRow, actor: Actor) {
    if (!issue.parentId) return;
    const [parent] = await q.query<{ id: string; assigneeAgentId: string | null; status: string; open: number }>(
      `SELECT p.id, p.assignee_agent_id, p.status,
              (SELECT count(*)::int FROM issues c WHERE c.parent_id = p.id AND c.hidden_at IS NULL AND ${openIssueSql("c")}) AS open
         FROM issues p WHERE p.id = $1`,
      [issue.parentId],
    );
    if (!parent || parent.open > 0 || !parent.assigneeAgentId || CLOSED.includes(parent.status)) return;
    await wake(q, {
      agentId: parent.assigneeAgentId,
      source: "automation",
      triggerDetail: "system",
      reason: "issue_children_completed",
      payload: { issueId: parent.id, childIssueId: issue.id },
      requestedBy: requestedBy(actor),
    });
  }

  return {
    async afterCreate(q, issue, actor) {
      if (!issue.assigneeAgentId || issue.status === "backlog" || CLOSED.includes(issue.status)) return;
      await wake(q, {
        agentId: issue.assigneeAgentId,
        source: "assignment",
        triggerDetail: "system",
        reason: "issue_assigned",
        payload: { issueId: issue.id, mutation: "create" },
        requestedBy: requestedBy(actor),
      });
    },

    async afterUpdate(q, prev, next, actor, comment) {
      if (next.status === "cancelled" && prev.status !== "cancelled") {
        // Cancelling an issue stops the work on it; `done` does not (the run may be wrapping up).
        const active = await q.query<{ id: string }>(`SELECT id FROM heartbeat_runs WHERE issue_id = $1 AND ${liveRunSql()}`, [next.id]);
        for (const { id } of active) {
          const run = await cancelRunInTx(q, id, {
            reason: "Cancelled because the issue was cancelled",
            errorCode: "issue_cancelled",
            stopReason: "cancelled",
            wakeStatus: "cancelled",
          });
          if (run) {
            await recordActivity(q, {
              companyId: next.companyId,
              actor,
              action: "heartbeat.cancelled",
              entityType: "heartbeat_run",
              entityId: run.id,
              details: { agentId: run.agentId, issueId: next.id, reason: "issue_cancelled" },
            });
          }
        }
      }
      const reason = updateWakeReason(prev, next);
      if (reason && next.assigneeAgentId) {
        await wake(q, {
          agentId: next.assigneeAgentId,
          source: reason === "issue_assigned" ? "assignment" : "automation",
          triggerDetail: "system",
          reason,
          payload: { issueId: next.id, mutation: "update", ...(comment ? { commentId: comment.id } : {}) },
          requestedBy: requestedBy(actor),
        });
      } else if (comment) {
        await this.afterComment(q, next, comment, actor, { reopened: false });
      }
      if (next.status === "done" && prev.status !== "done") await wakeReadyDependents(q, next, actor);
      if (CLOSED.includes(next.status) && !CLOSED.includes(prev.status)) await wakeParentIfChildrenDone(q, next, actor);
    },

    async afterComment(q, issue, comment, actor, opts) {
      const plan = commentWakePlan({
        issue,
        reopened: opts.reopened,
        authorAgentId: actorStamp(actor).agentId,
        mentionedAgentIds: comment.mentionedAgentIds,
      });
      const payload = { issueId: issue.id, commentId: comment.id };
      if (plan.assigneeReason && issue.assigneeAgentId) {
        await wake(q, {
          agentId: issue.assigneeAgentId,
          source: "automation",
          triggerDetail: "system",
          reason: plan.assigneeReason,
          payload,
          context: { source: "issue.comment" },
          requestedBy: requestedBy(actor),
        });
      }
      for (const agentId of plan.mentioned) {
        await wake(q, {
          agentId,
          source: "automation",
          triggerDetail: "system",
          reason: "issue_comment_mentioned",
          payload,
          context: { source: "comment.mention" },
          requestedBy: requestedBy(actor),
        });
      }
    },
  };
}
