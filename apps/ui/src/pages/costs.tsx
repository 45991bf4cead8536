import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import { QueryState } from "../components/query-state.js";
import { Badge, Empty, PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { budgetPercent, COST_PERIODS, formatTokens, isCostPeriod, type CostPeriod } from "../lib/costs.js";
import { formatCents } from "../lib/format.js";
import { withQuery } from "../lib/routes.js";

/** Spend of the company for a period: summary against the budget, then by agent and by project. */
export function CostsPage() {
  const { company, base } = useCompany();
  const loc = useLocation();
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const raw = search.get("period");
  const period: CostPeriod = isCostPeriod(raw) ? raw : "month";
  const cid = company.id;
  const periodId = useId();
  // The previous period stays on screen while the next one loads ("Updating…").
  const costs = useQuery({ ...queries.costs(useApi(), cid, period), placeholderData: keepPreviousData });
  const periodLabel = COST_PERIODS.find((p) => p.value === period)!.label;

  return (
    <>
      <PageTitle title="Costs">Costs</PageTitle>
      <div className="toolbar cost-toolbar">
        <label htmlFor={periodId}>Period</label>
        <select
          id={periodId}
          value={period}
          onChange={(e) => navigate(withQuery(loc, { period: e.target.value === "month" ? null : e.target.value }), { replace: true })}
        >
          {COST_PERIODS.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </select>
        {costs.isFetching && costs.data ? (
          <span className="muted small" role="status">
            Updating…
          </span>
        ) : null}
      </div>
      <QueryState query={costs} loadingLabel="Loading costs…">
        {(data) => {
          const s = data.summary;
          const pct = budgetPercent(s.spendCents, s.budgetCents);
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
                      <dd>{formatTokens(s.inputTokens)}</dd>
                    </div>
                    <div>
                      <dt>Cached input</dt>
                      <dd>{formatTokens(s.cachedInputTokens)}</dd>
                    </div>
                    <div>
                      <dt>Output tokens</dt>
                      <dd>{formatTokens(s.outputTokens)}</dd>
                    </div>
                  </dl>
                </div>
                {pct !== null ? (
                  <>
                    <div
                      className="meter"
                      role="meter"
                      aria-valuemin={0}
                      aria-valuemax={100}
                      aria-valuenow={pct}
                      aria-label="Monthly budget used"
                    >
                      <div className={`meter-fill ${pct >= 90 ? "hot" : ""}`} style={{ width: `${pct}%` }} />
                    </div>
                    <p className="muted">
                      {Math.round(s.utilizationPercent ?? pct)}% of the {formatCents(s.budgetCents)} monthly budget
                    </p>
                  </>
                ) : (
                  <p className="muted">No monthly budget set for the company.</p>
                )}
              </Section>

              <Section title="By agent">
                {data.byAgent.length === 0 ? (
                  <Empty>No agents.</Empty>
                ) : (
                  <table className="table">
                    <thead>
                      <tr>
                        <th scope="col">Agent</th>
                        <th scope="col">Status</th>
                        <th scope="col" className="num">
                          Cost
                        </th>
                        <th scope="col" className="num">
                          Runs
                        </th>
                        <th scope="col" className="num">
                          Input tokens
                        </th>
                        <th scope="col" className="num">
                          Cached input
                        </th>
                        <th scope="col" className="num">
                          Output tokens
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.byAgent.map((r) => (
                        <tr key={r.agentId}>
                          <td>
                            <Link to={`${base}/agents/${r.agentId}`}>{r.agentName}</Link>
                          </td>
                          <td>
                            <Badge status={r.agentStatus} />
                          </td>
                          <td className="num">{formatCents(r.costCents)}</td>
                          <td className="num">{formatTokens(r.runCount)}</td>
                          <td className="num">{formatTokens(r.inputTokens)}</td>
                          <td className="num">{formatTokens(r.cachedInputTokens)}</td>
                          <td className="num">{formatTokens(r.outputTokens)}</td>
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
                  <table className="table">
                    <thead>
                      <tr>
                        <th scope="col">Project</th>
                        <th scope="col" className="num">
                          Cost
                        </th>
                        <th scope="col" className="num">
                          Runs
                        </th>
                        <th scope="col" className="num">
                          Input tokens
                        </th>
                        <th scope="col" className="num">
                          Cached input
                        </th>
                        <th scope="col" className="num">
                          Output tokens
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.byProject.map((r) => (
                        <tr key={r.projectId ?? "none"}>
                          <td>{r.projectId === null ? <span className="muted">No project</span> : (r.projectName ?? r.projectId)}</td>
                          <td className="num">{formatCents(r.costCents)}</td>
                          <td className="num">{formatTokens(r.runCount)}</td>
                          <td className="num">{formatTokens(r.inputTokens)}</td>
                          <td className="num">{formatTokens(r.cachedInputTokens)}</td>
                          <td className="num">{formatTokens(r.outputTokens)}</td>
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
    </>
  );
}
