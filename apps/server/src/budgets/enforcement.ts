import { STOPPED_AGENT_STATUSES } from "@staple/contracts";
import { sqlList } from "../db/sql-list.js";
import type { Queryable } from "../db/database.js";
import { recordActivity } from "../activity/record.js";
import { MONTH_START_SQL } from "./invocation-block.js";

export interface ScopeToPause {
  scopeType: "company" | "agent" | "project";
  scopeId: string;
  companyId: string;
}

/**
 * Evaluates the budget policies touched by a new cost (docs/budgets.md#incidents-and-hard-stops),
 * in the cost's transaction: a soft incident once per window when spend crosses warn%, and at the
 * hard limit a hard incident, a `budget_override_required` approval and the scope paused. Returns
 * the scopes newly paused (the caller cancels their work). Incidents are unique per (policy,
 * window, threshold), so concurrent costs record each crossing once.
 */
export async function evaluateBudgets(
  q: Queryable,
  cost: { companyId: string; agentId: string | null; projectId: string | null },
): Promise<ScopeToPause[]> {
  const policies = await q.query<{
    id: string;
    scopeType: ScopeToPause["scopeType"];
    scopeId: string;
    amount: number;
    warnPercent: number;
    hardStopEnabled: boolean;
    windowStart: string;
    total: number;
  }>(
    `SELECT p.id, p.scope_type, p.scope_id, p.amount, p.warn_percent, p.hard_stop_enabled,
            CASE WHEN p.window_kind = 'lifetime' THEN 'epoch'::timestamptz ELSE ${MONTH_START_SQL} END AS window_start, obs.total
       FROM budget_policies p
       CROSS JOIN LATERAL (
         SELECT coalesce(sum(ce.cost_cents), 0)::int AS total FROM cost_events ce
          WHERE ce.company_id = p.company_id
            AND (p.scope_type <> 'agent' OR ce.agent_id = p.scope_id)
            AND (p.scope_type <> 'project' OR ce.project_id = p.scope_id)
            AND (p.scope_type = 'agent' OR NOT ce.agent_reported) -- self-reports count for the agent only (budgets/costs.ts)
            AND (p.window_kind = 'lifetime' OR ce.occurred_at >= ${MONTH_START_SQL})
       ) obs
      WHERE p.company_id = $1 AND p.is_active
        AND (p.scope_type = 'company' OR (p.scope_type = 'agent' AND p.scope_id = $2::uuid) OR (p.scope_type = 'project' AND p.scope_id = $3::uuid))`,
    [cost.companyId, cost.agentId, cost.projectId],
  );
  const paused: ScopeToPause[] = [];
  for (const p of policies) {
    const softAt = Math.ceil((p.amount * p.warnPercent) / 100);
    if (p.total >= softAt) {
      await q.query(
        `INSERT INTO budget_incidents (company_id, policy_id, window_start, threshold_type, amount, observed)
         VALUES ($1, $2, $3, 'soft', $4, $5) ON CONFLICT (policy_id, window_start, threshold_type) DO NOTHING`,
        [cost.companyId, p.id, p.windowStart, softAt, p.total],
      );
    }
    if (!p.hardStopEnabled || p.total < p.amount) continue;
    const [incident] = await q.query<{ id: string }>(
      `INSERT INTO budget_incidents (company_id, policy_id, window_start, threshold_type, amount, observed)
       VALUES ($1, $2, $3, 'hard', $4, $5) ON CONFLICT (policy_id, window_start, threshold_type) DO NOTHING RETURNING id`,
      [cost.companyId, p.id, p.windowStart, p.amount, p.total],
    );
    if (!incident) continue; // this crossing was already handled
    const [approval] = await q.query<{ id: string }>(
      `INSERT INTO approvals (company_id, type, status, payload) VALUES ($1, 'budget_override_required', 'pending', $2::jsonb) RETURNING id`,
      [cost.companyId, JSON.stringify({ policyId: p.id, scopeType: p.scopeType, scopeId: p.scopeId, amount: p.amount, observed: p.total })],
    );
    await q.query("UPDATE budget_incidents SET approval_id = $2 WHERE id = $1", [incident.id, approval!.id]);
    if (p.scopeType === "agent") {
      await q.query(
        `UPDATE agents SET status = 'paused', pause_reason = 'budget', paused_at = now(), updated_at = now() WHERE id = $1 AND status NOT IN ${sqlList(STOPPED_AGENT_STATUSES)}`,
        [p.scopeId],
      );
    } else if (p.scopeType === "project") {
      await q.query(
        "UPDATE projects SET pause_reason = 'budget', paused_at = now(), updated_at = now() WHERE id = $1 AND paused_at IS NULL",
        [p.scopeId],
      );
    } else {
      await q.query(
        "UPDATE companies SET status = 'paused', pause_reason = 'budget', paused_at = now(), updated_at = now() WHERE id = $1 AND status = 'active'",
        [p.scopeId],
      );
    }
    await recordActivity(q, {
      companyId: cost.companyId,
      actor: "system",
      action: "budget.hard_stop",
      entityType: p.scopeType,
      entityId: p.scopeId,
      details: { policyId: p.id, amount: p.amount, observed: p.total, approvalId: approval!.id, incidentId: incident.id },
    });
    paused.push({ scopeType: p.scopeType, scopeId: p.scopeId, companyId: cost.companyId });
  }
  return paused;
}
