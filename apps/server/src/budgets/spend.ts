import type { Queryable } from "../db/database.js";
import { cancelScopeWork } from "../runs/cancel-scope.js";
import { evaluateBudgets } from "./enforcement.js";

/**
 * Applies billed cents to the spend counters and enforces budgets
 * (docs/budgets.md#incidents-and-hard-stops), inside the transaction that wrote the cost event:
 * warn, then a hard stop pauses the scope and cancels its work. Returns the agents whose queues
 * changed (the caller pokes their dispatch). Used by both run finalization and reported cost
 * events, so the two can never enforce differently.
 */
export async function applySpend(
  q: Queryable,
  cost: { companyId: string; agentId: string; projectId: string | null; cents: number },
): Promise<string[]> {
  if (cost.cents <= 0) return [];
  await q.query("UPDATE agents SET spent_monthly_cents = spent_monthly_cents + $2 WHERE id = $1", [cost.agentId, cost.cents]);
  await q.query("UPDATE companies SET spent_monthly_cents = spent_monthly_cents + $2 WHERE id = $1", [cost.companyId, cost.cents]);
  const changed: string[] = [];
  for (const scope of await evaluateBudgets(q, cost)) changed.push(...(await cancelScopeWork(q, scope)));
  return changed;
}
