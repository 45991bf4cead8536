import { AGENT_STATUSES, ISSUE_STATUSES } from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import type { Actor } from "../auth/actor.js";
import { assertCompanyAccess } from "../auth/access.js";

function zeroCounts<T extends string>(keys: readonly T[]): Record<T, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<T, number>;
}

/** Company overview: counts by status from grouped queries (no per-row work). */
export function createDashboardService(db: Queryable) {
  return {
    async get(actor: Actor, companyId: string, company: { budgetMonthlyCents: number; spentMonthlyCents: number }) {
      assertCompanyAccess(actor, companyId);
      const [agents, issues, approvals, monthSpend] = await Promise.all([
        db.query<{ status: string; n: number }>("SELECT status, count(*)::int AS n FROM agents WHERE company_id = $1 GROUP BY status", [
          companyId,
        ]),
        db.query<{ status: string; n: number }>(
          "SELECT status, count(*)::int AS n FROM issues WHERE company_id = $1 AND hidden_at IS NULL GROUP BY status",
          [companyId],
        ),
        // Pending approvals (e.g. a budget hard stop's `budget_override_required`) need the board.
        db.query<{ n: number }>("SELECT count(*)::int AS n FROM approvals WHERE company_id = $1 AND status = 'pending'", [companyId]),
        // This UTC month's spend read from the cost ledger, the figure the Costs page shows for "This month".
        db.query<{ cents: string }>(
          `SELECT coalesce(sum(cost_cents), 0)::bigint AS cents FROM cost_events
            WHERE company_id = $1 AND occurred_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AND occurred_at <= now()`,
          [companyId],
        ),
      ]);
      const agentCounts = zeroCounts(AGENT_STATUSES);
      for (const row of agents) agentCounts[row.status as keyof typeof agentCounts] = row.n;
      const issueCounts = zeroCounts(ISSUE_STATUSES);
      for (const row of issues) issueCounts[row.status as keyof typeof issueCounts] = row.n;
      return {
        companyId,
        agents: { total: agents.reduce((s, r) => s + r.n, 0), byStatus: agentCounts },
        issues: { total: issues.reduce((s, r) => s + r.n, 0), byStatus: issueCounts },
        costs: { monthSpendCents: Number(monthSpend[0]?.cents ?? 0), monthBudgetCents: company.budgetMonthlyCents },
        pendingApprovals: approvals[0]?.n ?? 0,
      };
    },
  };
}
