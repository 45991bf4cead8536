import { UNCLAIMED_WAKEUP_STATUSES } from "@staple/contracts";
import { sqlList } from "../db/sql-list.js";
import { liveRunSql } from "../db/predicates.js";
import type { Queryable } from "../db/database.js";
import { recordActivity } from "../activity/record.js";
import type { ScopeToPause } from "../budgets/enforcement.js";
import { cancelRunInTx } from "./cancel-run.js";

export const BUDGET_PAUSE_REASON = "Cancelled due to budget pause";

/**
 * A budget hard stop paused a scope: cancel its live runs and pending wakes
 * (docs/budgets.md#incidents-and-hard-stops), inside the transaction that recorded the cost.
 * Returns the agents whose queues changed.
 */
export async function cancelScopeWork(q: Queryable, scope: ScopeToPause): Promise<string[]> {
  const where =
    scope.scopeType === "agent"
      ? "r.agent_id = $1"
      : scope.scopeType === "project"
        ? "r.issue_id IN (SELECT id FROM issues WHERE project_id = $1)"
        : "r.company_id = $1";
  const runs = await q.query<{ id: string }>(
    `SELECT r.id FROM heartbeat_runs r WHERE ${where} AND ${liveRunSql("r")} ORDER BY r.created_at`,
    [scope.scopeId],
  );
  const agents = new Set<string>();
  for (const { id } of runs) {
    const run = await cancelRunInTx(q, id, {
      reason: BUDGET_PAUSE_REASON,
      errorCode: "budget_paused",
      stopReason: "budget_paused",
      wakeStatus: "cancelled",
    });
    if (!run) continue;
    agents.add(run.agentId);
    await recordActivity(q, {
      companyId: run.companyId,
      actor: "system",
      action: "heartbeat.cancelled",
      entityType: "heartbeat_run",
      entityId: run.id,
      agentId: run.agentId,
      details: { agentId: run.agentId, reason: "budget_paused", scopeType: scope.scopeType, scopeId: scope.scopeId },
    });
  }
  const wakeWhere =
    scope.scopeType === "agent"
      ? "agent_id = $1"
      : scope.scopeType === "project"
        ? "issue_id IN (SELECT id FROM issues WHERE project_id = $1)"
        : "company_id = $1";
  await q.query(
    `UPDATE agent_wakeup_requests SET status = 'cancelled', finished_at = now(), error = $2, updated_at = now()
      WHERE ${wakeWhere} AND status IN ${sqlList(UNCLAIMED_WAKEUP_STATUSES)} AND run_id IS NULL`,
    [scope.scopeId, BUDGET_PAUSE_REASON],
  );
  return [...agents];
}
