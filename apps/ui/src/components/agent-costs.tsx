import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import { budgetPercent, formatTokens } from "../lib/costs.js";
import { formatCents } from "../lib/format.js";
import { Section } from "./ui.js";

/**
 * An agent's spend and tokens this UTC month, read from the cost ledger's by-agent rows: the same
 * query and figures as the Costs page's "This month" (one source; the agent's counters and runtime
 * totals are not used, they miss costs reported through cost events).
 */
export function AgentMonthCosts({ companyId, agentId, costsHref }: { companyId: string; agentId: string; costsHref: string }) {
  const rows = useQuery(queries.costsByAgent(useApi(), companyId, "month"));
  const row = rows.data?.find((r) => r.agentId === agentId);
  const loading = rows.isPending ? "…" : null;
  const pct = row ? budgetPercent(row.costCents, row.budgetMonthlyCents) : null;
  const total = row ? row.inputTokens + row.cachedInputTokens + row.outputTokens : 0;
  return (
    <>
      <Section title="Spend this month">
        <p className="big-number" data-testid="agent-spend">
          {loading ?? formatCents(row?.costCents ?? 0)}
        </p>
        {row && pct !== null ? (
          <>
            <div className="meter" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label="Agent budget used">
              <div className={`meter-fill ${pct >= 90 ? "hot" : ""}`} style={{ width: `${pct}%` }} />
            </div>
            <p className="muted">
              {Math.round(row.utilizationPercent)}% of {formatCents(row.budgetMonthlyCents)} budget
            </p>
          </>
        ) : (
          <p className="muted">No agent budget</p>
        )}
      </Section>
      <Section title="Tokens this month">
        <p className="big-number" data-testid="agent-tokens">
          {loading ?? formatTokens(total)}
        </p>
        <p className="muted">
          <span data-testid="agent-input-tokens">{formatTokens(row?.inputTokens)}</span> in · {formatTokens(row?.cachedInputTokens)} cached
          · <span data-testid="agent-output-tokens">{formatTokens(row?.outputTokens)}</span> out
          {" · "}
          <Link to={costsHref}>Costs</Link>
        </p>
      </Section>
    </>
  );
}
