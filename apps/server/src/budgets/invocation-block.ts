import type { Queryable } from "../db/database.js";

export interface InvocationBlock {
  reason: string;
  scopeType: "company" | "agent" | "project";
  scopeId: string;
}

/** Month windows are calendar months in UTC (docs/budgets.md#policies-and-windows). */
export const MONTH_START_SQL = "(date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')";

/**
 * Why an agent may not be invoked for this work right now (docs/budgets.md#the-invocation-gate), or
 * null. First of: the company paused; a hard-stop policy exceeded for the company, the agent, or
 * the project; the agent paused for budget; the project paused. Observed spend is summed from the
 * cost ledger in the policy's window. One statement.
 */
export async function getInvocationBlock(
  q: Queryable,
  scope: { companyId: string; agentId: string; projectId?: string | null },
): Promise<InvocationBlock | null> {
  const [row] = await q.query<{
    kind: string;
    scopeType: InvocationBlock["scopeType"];
    scopeId: string;
    amount: number | null;
    total: number | null;
  }>(
    `SELECT * FROM (
       SELECT 0 AS ord, 'company_paused' AS kind, 'company' AS scope_type, c.id AS scope_id, NULL::int AS amount, NULL::int AS total
         FROM companies c WHERE c.id = $1 AND c.status = 'paused'
       UNION ALL
       SELECT CASE p.scope_type WHEN 'company' THEN 1 WHEN 'agent' THEN 2 ELSE 4 END, 'hard_stop', p.scope_type, p.scope_id, p.amount, obs.total
         FROM budget_policies p
         CROSS JOIN LATERAL (
           SELECT coalesce(sum(ce.cost_cents), 0)::int AS total FROM cost_events ce
            WHERE ce.company_id = p.company_id
              AND (p.scope_type <> 'agent' OR ce.agent_id = p.scope_id)
              AND (p.scope_type <> 'project' OR ce.project_id = p.scope_id)
              AND (p.scope_type = 'agent' OR NOT ce.agent_reported) -- self-reports count for the agent only (budgets/costs.ts)
              AND (p.window_kind = 'lifetime' OR ce.occurred_at >= ${MONTH_START_SQL})
         ) obs
        WHERE p.company_id = $1 AND p.is_active AND p.hard_stop_enabled
          AND (p.scope_type = 'company' OR (p.scope_type = 'agent' AND p.scope_id = $2) OR (p.scope_type = 'project' AND p.scope_id = $3::uuid))
          AND obs.total >= p.amount
          -- The board approved this window's override (budgets/override.ts): no hard stop until the next window.
          AND NOT EXISTS (SELECT 1 FROM budget_incidents bi
                           WHERE bi.policy_id = p.id AND bi.threshold_type = 'hard' AND bi.status = 'resolved'
                             AND bi.window_start = CASE WHEN p.window_kind = 'lifetime' THEN 'epoch'::timestamptz ELSE ${MONTH_START_SQL} END)
       UNION ALL
       SELECT 3, 'agent_budget_paused', 'agent', a.id, NULL, NULL FROM agents a WHERE a.id = $2 AND a.status = 'paused' AND a.pause_reason = 'budget'
       UNION ALL
       SELECT 5, 'project_paused', 'project', pr.id, NULL, NULL FROM projects pr WHERE pr.id = $3::uuid AND pr.paused_at IS NOT NULL
     ) blocks ORDER BY ord LIMIT 1`,
    [scope.companyId, scope.agentId, scope.projectId ?? null],
  );
  if (!row) return null;
  const reason =
    row.kind === "company_paused"
      ? "Company is paused"
      : row.kind === "agent_budget_paused"
        ? "Agent is paused by its budget"
        : row.kind === "project_paused"
          ? "Project is paused"
          : `Budget hard stop reached for the ${row.scopeType} (${row.total} of ${row.amount} cents)`;
  return { reason, scopeType: row.scopeType, scopeId: row.scopeId };
}
