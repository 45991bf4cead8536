import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { RUN_STATUSES } from "@staple/contracts";
import type { Schemas } from "@staple/api-client";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { LiveDuration } from "../components/live-duration.js";
import { Badge, Empty, ErrorNote, Loading, PageTitle } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { formatCents, formatTime, relativeTime } from "../lib/format.js";
import { queryKeys } from "../lib/query-keys.js";
import { humanize } from "../lib/status.js";

type RunRow = Schemas["HeartbeatRunListRow"];
export const RUNS_PAGE = 50;
const PAGE_SIZES = [10, 25, 50, 100];

/** Why a run started, in words: the wake reason when the run recorded one, else its source. */
export function runReason(r: Pick<RunRow, "invocationSource" | "triggerDetail" | "contextSnapshot">): string {
  const reason = r.contextSnapshot && typeof r.contextSnapshot.wakeReason === "string" ? r.contextSnapshot.wakeReason : null;
  if (reason) return humanize(reason);
  return r.triggerDetail ? `${humanize(r.invocationSource)} (${r.triggerDetail.replace(/_/g, " ")})` : humanize(r.invocationSource);
}

/**
 * The company's runs: issue, agent, status, reason, start, live duration and cost; filters by agent,
 * status and issue kept in the URL (`?agent=…&status=…&issue=ACM-4`), pages of 50 (`per`: 10–100) by cursor
 * (`after` = the last run of the previous page).
 */
export function RunsPage() {
  const { company } = useCompany();
  const api = useApi();
  const [search, setSearch] = useSearchParams();
  const filters = { agent: search.get("agent") ?? "", status: search.get("status") ?? "", issue: search.get("issue") ?? "" };
  const after = search.get("after") ?? "";
  const per = PAGE_SIZES.includes(Number(search.get("per"))) ? Number(search.get("per")) : RUNS_PAGE;
  const query: Record<string, string> = { limit: String(per + 1), summary: "true" };
  if (filters.agent) query.agentId = filters.agent;
  if (filters.status) query.status = filters.status;
  if (filters.issue) query.issueId = filters.issue;
  if (after) query.cursor = after;
  const runs = useQuery({
    queryKey: [...queryKeys.runs(company.id), "page", query],
    queryFn: () => unwrap(api.GET("/api/companies/{companyId}/heartbeat-runs", { params: { path: { companyId: company.id }, query } })),
    placeholderData: keepPreviousData,
  });
  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(search);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    // A filter change starts again at the newest runs.
    if (!("after" in changes)) next.delete("after");
    setSearch(next);
  };
  // One extra row tells whether another page exists.
  const rows = (runs.data ?? []) as RunRow[];
  const page = rows.slice(0, per);
  const more = rows.length > per;
  return (
    <>
      <PageTitle title="Runs">Runs</PageTitle>
      <RunFilters filters={filters} per={per} set={set} />
      {runs.isPending ? (
        <Loading label="Loading runs…" />
      ) : runs.isError ? (
        <ErrorNote error={runs.error} />
      ) : page.length === 0 ? (
        <Empty>{filters.agent || filters.status || filters.issue ? "No runs match these filters." : "No runs yet."}</Empty>
      ) : (
        <RunsTable runs={page} />
      )}
      <nav className="pager" aria-label="Pages of runs">
        {after ? (
          <button type="button" className="secondary" onClick={() => set({ after: "" })}>
            Newest runs
          </button>
        ) : null}
        {more ? (
          <button type="button" className="secondary" onClick={() => set({ after: page[page.length - 1]!.id })}>
            Next page
          </button>
        ) : null}
      </nav>
    </>
  );
}

function RunFilters({
  filters,
  per,
  set,
}: {
  filters: { agent: string; status: string; issue: string };
  per: number;
  set: (changes: Record<string, string>) => void;
}) {
  const { agents } = useCompany();
  const id = useId();
  const [issue, setIssue] = useState(filters.issue);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    set({ issue: issue.trim() });
  };
  return (
    <form className="filter-bar run-filters" aria-label="Filter runs" onSubmit={submit}>
      <label htmlFor={`${id}-agent`}>
        Agent
        <select id={`${id}-agent`} value={filters.agent} onChange={(e) => set({ agent: e.target.value })}>
          <option value="">All agents</option>
          {agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${id}-status`}>
        Status
        <select id={`${id}-status`} value={filters.status} onChange={(e) => set({ status: e.target.value })}>
          <option value="">Any status</option>
          {RUN_STATUSES.map((s) => (
            <option key={s} value={s}>
              {humanize(s)}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${id}-issue`}>
        Issue
        <input
          id={`${id}-issue`}
          type="search"
          placeholder="ACM-4"
          value={issue}
          onChange={(e) => setIssue(e.target.value)}
          onBlur={() => issue.trim() !== filters.issue && set({ issue: issue.trim() })}
        />
      </label>
      <label htmlFor={`${id}-per`}>
        Per page
        <select id={`${id}-per`} value={per} onChange={(e) => set({ per: e.target.value === String(RUNS_PAGE) ? "" : e.target.value })}>
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="secondary">
        Apply
      </button>
    </form>
  );
}

export function RunsTable({ runs }: { runs: readonly RunRow[] }) {
  const { base, agentName } = useCompany();
  return (
    <table className="table runs-table">
      <thead>
        <tr>
          <th scope="col">Issue</th>
          <th scope="col">Status</th>
          <th scope="col">Agent</th>
          <th scope="col">Reason</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
          <th scope="col" className="num">
            Cost
          </th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id}>
            <td className="run-issue">
              {r.issueId && r.issueIdentifier ? (
                <Link to={`${base}/issues/${r.issueIdentifier}`}>
                  <span className="mono">{r.issueIdentifier}</span> {r.issueTitle}
                </Link>
              ) : (
                <span className="muted">No issue</span>
              )}{" "}
              <Link to={`${base}/runs/${r.id}`} className="mono muted run-id" aria-label={`Run ${r.id.slice(0, 8)}`}>
                {r.id.slice(0, 8)}
              </Link>
            </td>
            <td>
              <Badge status={r.status} />
            </td>
            <td>
              <Link to={`${base}/agents/${r.agentId}`}>{agentName(r.agentId)}</Link>
            </td>
            <td className="muted">{runReason(r)}</td>
            <td>
              <time dateTime={r.startedAt ?? r.createdAt} title={formatTime(r.startedAt ?? r.createdAt)}>
                {relativeTime(r.startedAt ?? r.createdAt)}
              </time>
            </td>
            <td>
              <LiveDuration startedAt={r.startedAt} finishedAt={r.finishedAt} />
            </td>
            <td className="num">{formatCents(r.costCents)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
