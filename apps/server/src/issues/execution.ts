import { EXECUTION_PATH_RUN_STATUSES, ISSUE_STATUSES } from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { conflict, forbidden, notFound, ruleViolation, unauthenticated } from "../errors.js";
import type { Actor } from "../auth/actor.js";
import { assertBoard, assertCanSee, assertCompanyAccess } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import { findIssue, ISSUE_COLUMNS, type IssueRow } from "./rows.js";
import { activePauseHold } from "./tree-holds.js";
import { lockSql, releaseIfHeldBy, takeOwnership } from "./execution-lock.js";
import { liveRunSql, openBlockerIdsSql } from "../db/predicates.js";

/**
 * Clears an issue's execution lock when it points at a run that is missing or finished
 * (docs/issues.md#stale-locks-and-adoption). Locks the issue row, then the run row, and
 * compare-and-clears, so a live run's lock is never touched. Returns the current issue row (locked for the rest of the transaction).
 */
export async function clearExecutionRunIfTerminal(q: Queryable, issueId: string): Promise<IssueRow | undefined> {
  const issue = await findIssue(q, issueId, true);
  if (!issue?.executionRunId) return issue;
  const [run] = await q.query<{ status: string }>("SELECT status FROM heartbeat_runs WHERE id = $1 FOR NO KEY UPDATE", [
    issue.executionRunId,
  ]);
  if (run && (EXECUTION_PATH_RUN_STATUSES as readonly string[]).includes(run.status)) return issue;
  return (await releaseIfHeldBy(q, issue.id, issue.executionRunId)) ?? issue;
}

async function runIsLive(q: Queryable, runId: string | null): Promise<boolean> {
  if (!runId) return false;
  const [row] = await q.query<{ live: boolean }>(`SELECT ${liveRunSql()} AS live FROM heartbeat_runs WHERE id = $1`, [runId]);
  return row?.live ?? false;
}

/**
 * Gate for an agent writing to an in-progress issue it is assigned to (PATCH, comment, release):
 * the write must come from the run that owns the checkout. Stale locks of finished runs are
 * cleared first; the assignee's live run adopts an unowned or stale checkout
 * (docs/issues.md#stale-locks-and-adoption); anything else is a 409. Must run inside the caller's transaction.
 */
export async function assertCheckoutOwner(q: Queryable, issueId: string, actor: Actor): Promise<IssueRow | undefined> {
  if (actor.kind !== "agent") return undefined;
  const locked = await findIssue(q, issueId, true);
  if (locked?.status !== "in_progress" || locked.assigneeAgentId !== actor.agentId) return locked;
  if (!actor.runId) throw unauthenticated("Agent run id required", "agent_run_id_required");
  const issue = (await clearExecutionRunIfTerminal(q, issueId))!;
  if (issue.checkoutRunId === actor.runId) return issue;
  const callerLive = await runIsLive(q, actor.runId);
  if (callerLive && issue.checkoutRunId === null && (issue.executionRunId === null || issue.executionRunId === actor.runId)) {
    return takeOwnership(q, issue.id, actor.runId, actor.agentId);
  }
  if (
    callerLive &&
    issue.checkoutRunId &&
    !(await runIsLive(q, issue.checkoutRunId)) &&
    (issue.executionRunId === null || issue.executionRunId === actor.runId)
  ) {
    const adopted = await takeOwnership(q, issue.id, actor.runId, actor.agentId);
    await recordActivity(q, {
      companyId: issue.companyId,
      actor,
      action: "issue.checkout_lock_adopted",
      entityType: "issue",
      entityId: issue.id,
      details: { identifier: issue.identifier, previousCheckoutRunId: issue.checkoutRunId, runId: actor.runId },
    });
    return adopted;
  }
  throw conflict(
    "Issue run ownership conflict",
    {
      issueId: issue.id,
      status: issue.status,
      checkoutRunId: issue.checkoutRunId,
      executionRunId: issue.executionRunId,
      runId: actor.runId,
    },
    "issue_ownership_conflict",
  );
}

async function openBlockerIds(q: Queryable, issueId: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>(openBlockerIdsSql("$1"), [issueId]);
  return rows.map((r) => r.id);
}

export interface CheckoutBody {
  agentId: string;
  expectedStatuses: string[];
}

/**
 * Checkout, release and the board's force-release (docs/issues.md#checkout,
 * docs/issues.md#release-and-force-release).
 */
export function createIssueExecutionService(db: Database) {
  async function visible(actor: Actor, ref: string): Promise<IssueRow> {
    const issue = await findIssue(db, ref);
    if (!issue) throw notFound("Issue not found");
    assertCanSee(actor, issue.companyId, "Issue");
    return issue;
  }

  return {
    /** Checkout as one conditional UPDATE; adoption rules for the assignee's live run; else 409. */
    async checkout(actor: Actor, ref: string, body: CheckoutBody, q?: Queryable): Promise<IssueRow> {
      const unknown = body.expectedStatuses.filter((s) => !(ISSUE_STATUSES as readonly string[]).includes(s));
      if (unknown.length)
        throw ruleViolation(`Unknown status in expectedStatuses: ${unknown.join(", ")}`, undefined, "bad_expected_status");
      let runId: string | null = null;
      if (actor.kind === "agent") {
        if (body.agentId !== actor.agentId) throw forbidden("Agent can only checkout as itself", "checkout_as_other_agent");
        if (!actor.runId) throw unauthenticated("Agent run id required", "agent_run_id_required");
        runId = actor.runId;
      }
      const issueRef = q ? ref : (await visible(actor, ref)).id;
      const work = async (tx: Queryable) => {
        const [agent] = await tx.query<{ companyId: string; status: string; nameKey: string }>(
          "SELECT company_id, status, name_key FROM agents WHERE id = $1",
          [body.agentId],
        );
        const current = await clearExecutionRunIfTerminal(tx, issueRef);
        if (!current) throw notFound("Issue not found");
        if (!agent || agent.companyId !== current.companyId) throw notFound("Agent not found");
        if (agent.status === "terminated")
          throw ruleViolation("Cannot check out an issue for a terminated agent", undefined, "agent_terminated");
        const hold = await activePauseHold(tx, current.id);
        if (hold)
          throw conflict(
            "Issue is held by an active subtree pause",
            { holdId: hold.id, rootIssueId: hold.rootIssueId },
            "issue_tree_hold_active",
          );
        const blockers = await openBlockerIds(tx, current.id);
        if (blockers.length) {
          throw ruleViolation("Issue has unresolved blockers", { blockedByIssueIds: blockers }, "issue_blocked");
        }
        const [row] = await tx.query<IssueRow>(
          `UPDATE issues SET assignee_agent_id = $2, assignee_user_id = NULL, ${lockSql.checkout("$3", "$5")},
                  status = 'in_progress', started_at = now(), updated_at = now()
            WHERE id = $1 AND status = ANY($4::text[])
              AND (assignee_agent_id IS NULL OR (assignee_agent_id = $2 AND (checkout_run_id IS NULL OR checkout_run_id = $3)))
              AND (execution_run_id IS NULL OR execution_run_id = $3)
            RETURNING ${ISSUE_COLUMNS}`,
          [current.id, body.agentId, runId, body.expectedStatuses, agent.nameKey],
        );
        let result = row;
        if (!result && runId && current.assigneeAgentId === body.agentId && current.status === "in_progress") {
          if (current.checkoutRunId === runId) result = current;
          else if ((current.executionRunId === null || current.executionRunId === runId) && (await runIsLive(tx, runId))) {
            if (current.checkoutRunId === null || !(await runIsLive(tx, current.checkoutRunId))) {
              result = await takeOwnership(tx, current.id, runId, body.agentId);
              if (current.checkoutRunId) {
                await recordActivity(tx, {
                  companyId: current.companyId,
                  actor,
                  action: "issue.checkout_lock_adopted",
                  entityType: "issue",
                  entityId: current.id,
                  details: { identifier: current.identifier, previousCheckoutRunId: current.checkoutRunId, runId },
                });
              }
            }
          }
        }
        if (!result) {
          throw conflict(
            "Issue checkout conflict",
            {
              issueId: current.id,
              status: current.status,
              assigneeAgentId: current.assigneeAgentId,
              checkoutRunId: current.checkoutRunId,
              executionRunId: current.executionRunId,
            },
            "issue_checkout_conflict",
          );
        }
        await recordActivity(tx, {
          companyId: current.companyId,
          actor,
          action: "issue.checked_out",
          entityType: "issue",
          entityId: current.id,
          agentId: body.agentId,
          details: { identifier: current.identifier, agentId: body.agentId, runId, previousStatus: current.status },
        });
        return result;
      };
      return q ? work(q) : db.tx(work);
    },

    /** Back to todo, unassigned, unlocked. 409 when another agent owns it or another live run holds it. */
    async release(actor: Actor, ref: string): Promise<IssueRow> {
      const issue = await visible(actor, ref);
      return db.tx(async (q) => {
        const current = (await clearExecutionRunIfTerminal(q, issue.id))!;
        if (actor.kind === "agent" && current.assigneeAgentId && current.assigneeAgentId !== actor.agentId) {
          throw conflict("Issue is assigned to another agent", { assigneeAgentId: current.assigneeAgentId }, "issue_not_assignee");
        }
        const callerRun = actor.kind === "agent" ? actor.runId : null;
        if (current.checkoutRunId && current.checkoutRunId !== callerRun && (await runIsLive(q, current.checkoutRunId))) {
          throw conflict("Issue is checked out by a live run", { checkoutRunId: current.checkoutRunId }, "issue_checkout_live");
        }
        const [row] = await q.query<IssueRow>(
          `UPDATE issues SET status = 'todo', assignee_agent_id = NULL, assignee_user_id = NULL, ${lockSql.forceRelease}, updated_at = now()
            WHERE id = $1 RETURNING ${ISSUE_COLUMNS}`,
          [current.id],
        );
        await recordActivity(q, {
          companyId: current.companyId,
          actor,
          action: "issue.released",
          entityType: "issue",
          entityId: current.id,
          details: { identifier: current.identifier, previousStatus: current.status, previousAssigneeAgentId: current.assigneeAgentId },
        });
        return row!;
      });
    },

    /** Board-only recovery of a stuck lock, with an audit row naming the previous lock holders. */
    async forceRelease(actor: Actor, ref: string, clearAssignee: boolean) {
      assertBoard(actor);
      const found = await findIssue(db, ref);
      if (!found) throw notFound("Issue not found");
      assertCompanyAccess(actor, found.companyId);
      return db.tx(async (q) => {
        const current = (await findIssue(q, found.id, true))!;
        const previous = { checkoutRunId: current.checkoutRunId, executionRunId: current.executionRunId };
        const assignee = clearAssignee
          ? `, assignee_agent_id = NULL, status = CASE WHEN status = 'in_progress' THEN 'todo' ELSE status END`
          : "";
        const [row] = await q.query<IssueRow>(
          `UPDATE issues SET ${lockSql.forceRelease}${assignee}, updated_at = now() WHERE id = $1 RETURNING ${ISSUE_COLUMNS}`,
          [current.id],
        );
        await recordActivity(q, {
          companyId: current.companyId,
          actor,
          action: "issue.admin_force_release",
          entityType: "issue",
          entityId: current.id,
          details: {
            issueId: current.id,
            actorUserId: actor.userId,
            prevCheckoutRunId: previous.checkoutRunId,
            prevExecutionRunId: previous.executionRunId,
            clearAssignee,
          },
        });
        return { issue: row!, previous };
      });
    },
  };
}
export type IssueExecutionService = ReturnType<typeof createIssueExecutionService>;
