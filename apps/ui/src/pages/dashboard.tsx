import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { HeartbeatRun } from "../api/types.js";
import { QueryState } from "../components/query-state.js";
import { Badge, Empty, PageTitle, Section } from "../components/ui.js";
import { APPROVAL_TYPE_LABELS, sortApprovals, summarizePayload } from "../lib/approvals.js";
import { useCompany } from "../lib/company-context.js";
import { formatCents, relativeTime } from "../lib/format.js";
import { ALL_AGENT_STATUSES, humanize } from "../lib/status.js";
import { LiveDuration } from "../components/live-duration.js";
import { RelativeTime } from "../components/relative-time.js";
import { InboxRow } from "../components/inbox-rows.js";
import { showToast } from "../components/toast.js";
import { inboxQueries } from "../lib/inbox.js";

/** How many inbox items the dashboard shows; the inbox page has the rest. */
const INBOX_TOP = 5;

export function DashboardPage() {
  const { company, base, agents, agentName } = useCompany();
  const cid = company.id;
  const api = useApi();
  const dash = useQuery(queries.dashboard(api, cid));
  const live = useQuery(queries.liveRuns(api, cid));
  const recent = useQuery(queries.runs(api, cid, { limit: 8 }));
  const wip = useQuery(queries.issues(api, cid, { status: "in_progress,in_review", limit: 8 }));
  // Failed runs (by issue, cleared once a later run succeeded), blocked issues, questions and
  // mentions come from the inbox; approvals keep their own list below.
  const inbox = useQuery({ ...inboxQueries.list(api, cid), select: (list) => list.items.filter((i) => i.kind !== "approval") });
  const inboxTop = inbox.data?.slice(0, INBOX_TOP) ?? [];

  const d = dash.data;
  const spend = d?.costs.monthSpendCents ?? company.spentMonthlyCents;
  const budget = d?.costs.monthBudgetCents ?? company.budgetMonthlyCents;
  const pct = budget > 0 ? Math.min(100, Math.round((spend / budget) * 100)) : 0;
  const troubled = agents.filter((a) => a.status === "error" || (a.status === "paused" && a.pauseReason === "budget"));
  const pendingApprovals = useQuery({
    ...queries.approvals(api, cid),
    select: (list) => sortApprovals(list.filter((a) => a.status === "pending")),
  });
  const approvals = pendingApprovals.data?.length ?? d?.pendingApprovals ?? 0;
  const needsBoard = (inbox.data?.length ?? 0) + troubled.length + approvals;

  return (
    <>
      <PageTitle title="Dashboard">{company.name}</PageTitle>
      {company.description ? <p className="lede">{company.description}</p> : null}
      {agents.length === 0 ? (
        <div className="callout">
          <p>
            <strong>No agents yet.</strong> Hire one to start working on issues.
          </p>
          <Link to={`${base}/agents?hire=1`} className="button">
            Hire an agent
          </Link>
        </div>
      ) : null}
      <div className="stat-grid">
        <Section title="Agents">
          <QueryState query={dash}>
            {(d) => (
              <>
                <p className="big-number">{d.agents.total}</p>
                <ul className="counts" aria-label="Agents by status">
                  {ALL_AGENT_STATUSES.filter((s) => (d.agents.byStatus[s] ?? 0) > 0).map((s) => (
                    <li key={s}>
                      <Badge status={s} /> {d.agents.byStatus[s]}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </QueryState>
        </Section>
        <Section title="Issues">
          <QueryState query={dash}>
            {(d) => (
              <>
                <p className="big-number">{d.issues.total}</p>
                <ul className="counts" aria-label="Issues by status">
                  {Object.entries(d.issues.byStatus)
                    .filter(([, n]) => n > 0)
                    .map(([s, n]) => (
                      <li key={s}>
                        <Link to={`${base}/issues?status=${s}`}>
                          <Badge status={s} />
                        </Link>{" "}
                        {n}
                      </li>
                    ))}
                </ul>
              </>
            )}
          </QueryState>
        </Section>
        <Section title="Spend this month">
          <p className="big-number">{formatCents(spend)}</p>
          {budget > 0 ? (
            <>
              <div className="meter" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label="Budget used">
                <div className={`meter-fill ${pct >= 90 ? "hot" : ""}`} style={{ width: `${pct}%` }} />
              </div>
              <p className="muted">
                {pct}% of {formatCents(budget)} budget
              </p>
            </>
          ) : (
            <p className="muted">No monthly budget set.</p>
          )}
        </Section>
      </div>

      <div className="grid-2">
        <Section title={`Needs the board${needsBoard ? ` (${needsBoard})` : ""}`}>
          {needsBoard === 0 ? (
            <Empty>Nothing needs your attention.</Empty>
          ) : (
            <ul className="plain list-rows">
              {approvals > 0 ? (
                <li>
                  <Badge status="pending_approval" label="Approvals" />{" "}
                  <Link to={`${base}/approvals`}>
                    {approvals} approval{approvals === 1 ? "" : "s"} pending
                  </Link>
                  {pendingApprovals.data?.length ? (
                    <ul className="plain nested" aria-label="Pending approvals">
                      {pendingApprovals.data.slice(0, 5).map((a) => (
                        <li key={a.id}>
                          <Link to={`${base}/approvals/${a.id}`}>{APPROVAL_TYPE_LABELS[a.type]}</Link>{" "}
                          <span className="muted">
                            {summarizePayload(a)
                              .slice(0, 2)
                              .map((r) => r.value)
                              .join(" · ")}{" "}
                            · {relativeTime(a.createdAt)}
                          </span>
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </li>
              ) : null}
              {troubled.map((a) => (
                <li key={a.id}>
                  <Badge status={a.status} /> <Link to={`${base}/agents/${a.id}`}>{a.name}</Link>{" "}
                  <span className="muted">{a.errorReason ?? humanize(a.pauseReason ?? "")}</span>
                </li>
              ))}
              {inboxTop.map((item) => (
                <InboxRow
                  key={item.key}
                  item={item}
                  compact
                  onNotice={(n) => showToast({ message: n.message, action: n.undo ? { label: "Undo", run: n.undo } : undefined })}
                />
              ))}
            </ul>
          )}
          {(inbox.data?.length ?? 0) > 0 ? (
            <p>
              <Link to={`${base}/inbox`}>
                {(inbox.data?.length ?? 0) > INBOX_TOP ? `All ${inbox.data?.length} items in the inbox` : "Open the inbox"}
              </Link>
            </p>
          ) : null}
        </Section>
        <Section title="Work in progress">
          {live.data?.length ? (
            <ul className="plain list-rows" aria-label="Live runs">
              {live.data.map((r) => (
                <li key={r.id}>
                  <Badge status={r.status} /> {r.agentName}
                  {r.issueIdentifier ? (
                    <>
                      {" on "}
                      <Link to={`${base}/issues/${r.issueIdentifier}`}>{r.issueIdentifier}</Link>
                    </>
                  ) : null}
                  {r.startedAt ? (
                    <>
                      {" · "}
                      <LiveDuration startedAt={r.startedAt} finishedAt={r.finishedAt} />
                    </>
                  ) : null}{" "}
                  <Link to={`${base}/runs/${r.id}`} className="muted">
                    view run
                  </Link>
                </li>
              ))}
            </ul>
          ) : null}
          <QueryState query={wip} empty={live.data?.length ? undefined : "No issue is in progress."}>
            {(list) => (
              <ul className="plain list-rows" aria-label="Issues in progress">
                {list.map((i) => (
                  <li key={i.id}>
                    <Badge status={i.status} /> <Link to={`${base}/issues/${i.identifier}`}>{i.identifier}</Link> {i.title}{" "}
                    <span className="muted">{agentName(i.assigneeAgentId)}</span>
                  </li>
                ))}
              </ul>
            )}
          </QueryState>
        </Section>
      </div>

      <Section
        title="Recent runs"
        actions={
          <Link to={`${base}/runs`} className="button secondary small">
            All runs
          </Link>
        }
      >
        <QueryState query={recent} empty="No runs yet.">
          {(runs) => <RunTable runs={runs} />}
        </QueryState>
      </Section>
    </>
  );
}

/** A table of runs (the caller shows the busy/empty states). */
export function RunTable({ runs, showAgent = true }: { runs: readonly HeartbeatRun[]; showAgent?: boolean }) {
  const { base, agentName } = useCompany();
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Status</th>
          {showAgent ? <th scope="col">Agent</th> : null}
          <th scope="col">Source</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id}>
            <td>
              <Link to={`${base}/runs/${r.id}`} className="mono">
                {r.id.slice(0, 8)}
              </Link>
            </td>
            <td>
              <Badge status={r.status} />
            </td>
            {showAgent ? (
              <td>
                <Link to={`${base}/agents/${r.agentId}`}>{agentName(r.agentId)}</Link>
              </td>
            ) : null}
            <td>{humanize(r.invocationSource)}</td>
            <td>
              <RelativeTime iso={r.startedAt ?? r.createdAt} />
            </td>
            <td>
              <LiveDuration startedAt={r.startedAt} finishedAt={r.finishedAt} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
