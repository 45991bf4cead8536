import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import { QueryState } from "../components/query-state.js";
import { SpendChart } from "../components/spend-chart.js";
import { Badge, Empty, PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import {
  budgetPercent,
  byModel,
  COST_PERIODS,
  dailySeries,
  formatTokens,
  isCostPeriod,
  isDay,
  type CostPeriod,
  type CostTotals,
} from "../lib/costs.js";
import { formatCents } from "../lib/format.js";
import { withQuery } from "../lib/routes.js";

/** A budget bar with its figure; nothing but "No budget" without one. */
export function BudgetBar({
  spendCents,
  budgetCents,
  label,
  caption,
}: {
  spendCents: number;
  budgetCents: number;
  label: string;
  caption?: string;
}) {
  const pct = budgetPercent(spendCents, budgetCents);
  if (pct === null) return <span className="muted small">No budget</span>;
  return (
    <div className="budget-bar">
      <div className="meter" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={label}>
        <div className={`meter-fill ${pct >= 90 ? "hot" : ""}`} style={{ width: `${pct}%` }} />
      </div>
      <span className="small">{caption ?? `${Math.round((spendCents / budgetCents) * 100)}% of ${formatCents(budgetCents)}`}</span>
    </div>
  );
}

/** The four ledger figures of a row as table cells (labelled for the two-line rows of narrow screens). */
function TotalsCells({ t }: { t: CostTotals }) {
  return (
    <>
      <td className="num" data-label="Cost">
        {formatCents(t.costCents)}
      </td>
      <td className="num" data-label="Runs">
        {formatTokens(t.runCount)}
      </td>
      <td className="num" data-label="Input">
        {formatTokens(t.inputTokens)}
      </td>
      <td className="num" data-label="Cached">
        {formatTokens(t.cachedInputTokens)}
      </td>
      <td className="num" data-label="Output">
        {formatTokens(t.outputTokens)}
      </td>
    </>
  );
}
function TotalsHeads() {
  return (
    <>
      {["Cost", "Runs", "Input tokens", "Cached input", "Output tokens"].map((h) => (
        <th key={h} scope="col" className="num">
          {h}
        </th>
      ))}
    </>
  );
}

/**
 * Spend of the company for a period, all from the cost ledger: summary against the budget, spend
 * per day, by agent with budgets, by model, by project. The period lives in the URL
 * (`period`, and `from`/`to` days for a custom range).
 */
export function CostsPage() {
  const { company, base } = useCompany();
  const loc = useLocation();
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const raw = search.get("period");
  const period: CostPeriod = isCostPeriod(raw) ? raw : "month";
  const custom = { from: search.get("from"), to: search.get("to") };
  const cid = company.id;
  const periodId = useId();
  const fromId = useId();
  const toId = useId();
  // The previous period stays on screen while the next one loads ("Updating…").
  const costs = useQuery({ ...queries.costs(useApi(), cid, period, custom), placeholderData: keepPreviousData });
  const periodLabel =
    period === "custom"
      ? `${isDay(custom.from) ? custom.from : "the start"} to ${isDay(custom.to) ? custom.to : "now"}`
      : COST_PERIODS.find((p) => p.value === period)!.label;
  const go = (changes: Record<string, string | null>) => navigate(withQuery(loc, changes), { replace: true });
  const badRange = isDay(custom.from) && isDay(custom.to) && custom.from! > custom.to!;

  return (
    <>
      <PageTitle title="Costs">Costs</PageTitle>
      <div className="toolbar cost-toolbar">
        <label htmlFor={periodId}>Period</label>
        <select
          id={periodId}
          value={period}
          onChange={(e) => {
            const next = e.target.value;
            go({ period: next === "month" ? null : next, ...(next === "custom" ? {} : { from: null, to: null }) });
          }}
        >
          {COST_PERIODS.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </select>
        {period === "custom" ? (
          <div className="custom-range">
            <label htmlFor={fromId}>From</label>
            <input id={fromId} type="date" value={custom.from ?? ""} onChange={(e) => go({ from: e.target.value || null })} />
            <label htmlFor={toId}>To</label>
            <input id={toId} type="date" value={custom.to ?? ""} onChange={(e) => go({ to: e.target.value || null })} />
          </div>
        ) : null}
        {costs.isFetching && costs.data ? (
          <span className="muted small" role="status">
            Updating…
          </span>
        ) : null}
      </div>
      {badRange ? <p className="error">The range ends before it starts: pick a “To” day on or after the “From” day.</p> : null}
      {badRange ? null : (
        <QueryState query={costs} loadingLabel="Loading costs…">
          {(data) => {
            const s = data.summary;
            const models = byModel(data.byAgentModel);
            return (
              <>
                <Section title="Summary">
                  <div className="cost-summary">
                    <div>
                      <p className="big-number" aria-label={`Spend: ${formatCents(s.spendCents)}`}>
                        {formatCents(s.spendCents)}
                      </p>
                      <p className="muted small">spent · {periodLabel}</p>
                    </div>
                    <dl className="cost-stats">
                      <div>
                        <dt>Runs</dt>
                        <dd>{formatTokens(s.runCount)}</dd>
                      </div>
                      <div>
                        <dt>Input tokens</dt>
                        <dd data-testid="summary-input-tokens">{formatTokens(s.inputTokens)}</dd>
                      </div>
                      <div>
                        <dt>Cached input</dt>
                        <dd>{formatTokens(s.cachedInputTokens)}</dd>
                      </div>
                      <div>
                        <dt>Output tokens</dt>
                        <dd data-testid="summary-output-tokens">{formatTokens(s.outputTokens)}</dd>
                      </div>
                    </dl>
                  </div>
                  {s.budgetCents > 0 ? (
                    <BudgetBar
                      spendCents={s.spendCents}
                      budgetCents={s.budgetCents}
                      label="Monthly budget used"
                      caption={`${Math.round(s.utilizationPercent)}% of the ${formatCents(s.budgetCents)} monthly budget`}
                    />
                  ) : (
                    <p className="muted">No monthly budget set for the company.</p>
                  )}
                </Section>

                <Section title="Spend over time">
                  <SpendChart points={dailySeries(data.byDay, data.range)} />
                </Section>

                <Section title="By agent">
                  {data.byAgent.length === 0 ? (
                    <Empty>No agents.</Empty>
                  ) : (
                    <table className="table cost-table" aria-label="Spend by agent">
                      <thead>
                        <tr>
                          <th scope="col">Agent</th>
                          <th scope="col">Status</th>
                          <TotalsHeads />
                          <th scope="col">Monthly budget</th>
                        </tr>
                      </thead>
                      <tbody>
                        {data.byAgent.map((r) => (
                          <tr key={r.agentId} data-agent-id={r.agentId}>
                            <td>
                              <Link to={`${base}/agents/${r.agentId}`}>{r.agentName}</Link>
                            </td>
                            <td>
                              <Badge status={r.agentStatus} />
                            </td>
                            <TotalsCells t={r} />
                            <td className="budget-cell">
                              <BudgetBar
                                spendCents={r.costCents}
                                budgetCents={r.budgetMonthlyCents}
                                label={`${r.agentName}: budget used`}
                              />
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </Section>

                <Section title="By model">
                  {models.length === 0 ? (
                    <Empty>No spend in this period.</Empty>
                  ) : (
                    <table className="table cost-table" aria-label="Spend by model">
                      <thead>
                        <tr>
                          <th scope="col">Model</th>
                          <th scope="col">Provider</th>
                          <TotalsHeads />
                        </tr>
                      </thead>
                      <tbody>
                        {models.map((r) => (
                          <tr key={`${r.provider}|${r.model}`}>
                            <td>{r.model ?? <span className="muted">Not named</span>}</td>
                            <td>{r.provider ?? <span className="muted">—</span>}</td>
                            <TotalsCells t={r} />
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </Section>

                <Section title="By project">
                  {data.byProject.length === 0 ? (
                    <Empty>No spend in this period.</Empty>
                  ) : (
                    <table className="table cost-table" aria-label="Spend by project">
                      <thead>
                        <tr>
                          <th scope="col">Project</th>
                          <TotalsHeads />
                        </tr>
                      </thead>
                      <tbody>
                        {data.byProject.map((r) => (
                          <tr key={r.projectId ?? "none"}>
                            <td>{r.projectId === null ? <span className="muted">No project</span> : (r.projectName ?? r.projectId)}</td>
                            <TotalsCells t={r} />
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </Section>
              </>
            );
          }}
        </QueryState>
      )}
    </>
  );
}
