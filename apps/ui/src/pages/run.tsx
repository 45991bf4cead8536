import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { HeartbeatRun } from "../api/types.js";
import { Markdown } from "../components/lazy-markdown.js";
import { QueryState } from "../components/query-state.js";
import { RawLog, Transcript, useRunLog } from "../components/run-output.js";
import { Badge, Empty, ErrorNote, PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { formatCents, formatTime } from "../lib/format.js";
import { queryKeys } from "../lib/query-keys.js";
import { humanize, isLiveRun } from "../lib/status.js";
import { LiveDuration } from "../components/live-duration.js";

/** Cost in cents from a usage object, whichever way the adapter reported it. */
export function costCentsOf(usage: Record<string, unknown> | null | undefined): number | null {
  if (!usage) return null;
  if (typeof usage.costCents === "number") return usage.costCents;
  if (typeof usage.costUsd === "number") return Math.round(usage.costUsd * 100);
  if (typeof usage.cost_usd === "number") return Math.round(usage.cost_usd * 100);
  if (typeof usage.total_cost_usd === "number") return Math.round(usage.total_cost_usd * 100);
  return null;
}

export function RunPage({ runId }: { runId: string }) {
  const run = useQuery(queries.run(useApi(), runId));
  return <QueryState query={run}>{(r) => <RunView run={r} />}</QueryState>;
}

function RunView({ run: r }: { run: HeartbeatRun }) {
  const { base, agentName } = useCompany();
  const api = useApi();
  const queryClient = useQueryClient();
  const runId = r.id;
  const events = useQuery(queries.runEvents(api, runId));
  const issues = useQuery(queries.runIssues(api, runId));
  const log = useRunLog(runId);
  const cancel = useMutation({
    mutationFn: () => unwrap(api.POST("/api/heartbeat-runs/{id}/cancel", { params: { path: { id: runId } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.run(runId) }),
  });
  const live = isLiveRun(r.status);
  const cost = costCentsOf(r.usageJson);
  const cancelling = cancel.isPending;

  return (
    <>
      <PageTitle
        title={`Run ${r.id.slice(0, 8)}`}
        actions={
          live ? (
            <button type="button" className="danger" onClick={() => cancel.mutate()} disabled={cancelling}>
              {cancelling ? "Cancelling…" : "Cancel run"}
            </button>
          ) : null
        }
      >
        Run <span className="mono">{r.id.slice(0, 8)}</span> <Badge status={r.status} />
      </PageTitle>
      <p className="lede">
        <Link to={`${base}/agents/${r.agentId}`}>{agentName(r.agentId)}</Link> · {humanize(r.invocationSource)}
        {r.triggerDetail ? ` (${r.triggerDetail})` : ""}
        {issues.data?.map((i) => (
          <span key={i.issueId}>
            {" · "}
            <Link to={`${base}/issues/${i.identifier}`}>
              {i.identifier} {i.title}
            </Link>
          </span>
        ))}
      </p>
      <ErrorNote error={cancel.error} />
      {r.error ? (
        <p className="error">
          {r.errorCode ? <strong>{r.errorCode}: </strong> : null}
          {r.error}
        </p>
      ) : null}

      {typeof r.resultJson?.summary === "string" && r.resultJson.summary ? (
        <Section title="Summary">
          <Markdown source={r.resultJson.summary} />
        </Section>
      ) : null}

      <Section title={live ? "Transcript (live)" : "Transcript"}>
        <Transcript lines={log.lines} live={live} />
        <RawLog raw={log.raw} />
      </Section>

      <div className="grid-2">
        <Section title="Details">
          <dl className="kv">
            <div className="kv-row">
              <dt>Status</dt>
              <dd>
                <Badge status={r.status} />
              </dd>
            </div>
            <div className="kv-row">
              <dt>Queued</dt>
              <dd>{formatTime(r.createdAt)}</dd>
            </div>
            <div className="kv-row">
              <dt>Started</dt>
              <dd>{formatTime(r.startedAt)}</dd>
            </div>
            <div className="kv-row">
              <dt>Finished</dt>
              <dd>{formatTime(r.finishedAt)}</dd>
            </div>
            <div className="kv-row">
              <dt>Duration</dt>
              <dd>
                <LiveDuration startedAt={r.startedAt} finishedAt={r.finishedAt} />
              </dd>
            </div>
            <div className="kv-row">
              <dt>Exit code</dt>
              <dd>{r.exitCode ?? "—"}</dd>
            </div>
            {r.signal ? (
              <div className="kv-row">
                <dt>Signal</dt>
                <dd>{r.signal}</dd>
              </div>
            ) : null}
            {r.retryOfRunId ? (
              <div className="kv-row">
                <dt>Retry of</dt>
                <dd>
                  <Link to={`${base}/runs/${r.retryOfRunId}`}>{r.retryOfRunId.slice(0, 8)}</Link>
                </dd>
              </div>
            ) : null}
          </dl>
        </Section>
        <Section title="Usage and cost">
          {r.usageJson && Object.keys(r.usageJson).length ? (
            <dl className="kv">
              <div className="kv-row">
                <dt>Cost</dt>
                <dd>{cost === null ? "—" : formatCents(cost)}</dd>
              </div>
              {Object.entries(r.usageJson).map(([k, v]) => (
                <div key={k} className="kv-row">
                  <dt>{k}</dt>
                  <dd className="mono">{typeof v === "number" ? v.toLocaleString() : JSON.stringify(v)}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <Empty>No usage reported (a process agent reports none unless it prints it).</Empty>
          )}
        </Section>
      </div>

      <Section title="Events">
        <QueryState query={events} empty="No events.">
          {(list) => (
            <table className="table events">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Time</th>
                  <th scope="col">Type</th>
                  <th scope="col">Level</th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {list.map((e) => (
                  <tr key={e.id} className={`level-${e.level}`}>
                    <td>{e.seq}</td>
                    <td>{formatTime(e.createdAt)}</td>
                    <td className="mono">{e.eventType}</td>
                    <td>{e.level}</td>
                    <td>{e.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </Section>
    </>
  );
}
