import { useState } from "react";
import { api } from "../api/client.js";
import type { HeartbeatRun } from "../api/types.js";
import { RawLog, Transcript, useRunLog } from "../components/run-output.js";
import { Badge, Empty, ErrorNote, Loading, PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { duration, formatCents, formatTime } from "../lib/format.js";
import { useLiveEvents } from "../lib/live-context.js";
import { reduceRuns } from "../lib/live.js";
import { Link } from "../lib/router.js";
import { humanize, isLiveRun } from "../lib/status.js";
import { useResource } from "../lib/use-resource.js";

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
  const { base, agentName } = useCompany();
  const run = useResource(`run:${runId}`, () => api.runs.get(runId), { runIds: [runId] });
  const events = useResource(`run-events:${runId}`, () => api.runs.events(runId), (e) => (e.type === "heartbeat.run.event" || e.type === "heartbeat.run.status") && e.payload.runId === runId);
  const issues = useResource(`run-issues:${runId}`, () => api.runs.issues(runId), (e) => e.type === "heartbeat.run.status" && e.payload.runId === runId);
  useLiveEvents((event) => run.setData((r) => (r ? (reduceRuns([r], event, (x) => x.id)[0] as HeartbeatRun) : r)));
  const log = useRunLog(runId);
  const [cancelling, setCancelling] = useState(false);
  const [error, setError] = useState<unknown>(null);

  if (run.error && !run.data) return <ErrorNote error={run.error} />;
  if (!run.data) return <Loading />;
  const r = run.data;
  const live = isLiveRun(r.status);
  const cost = costCentsOf(r.usageJson);

  const cancel = async () => {
    setCancelling(true);
    setError(null);
    try {
      await api.runs.cancel(r.id);
      run.reload();
    } catch (err) {
      setError(err);
      run.reload();
    } finally {
      setCancelling(false);
    }
  };

  return (
    <>
      <PageTitle
        title={`Run ${r.id.slice(0, 8)}`}
        actions={
          live ? (
            <button type="button" className="danger" onClick={cancel} disabled={cancelling}>
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
      <ErrorNote error={error} />
      {r.error ? (
        <p className="error">
          {r.errorCode ? <strong>{r.errorCode}: </strong> : null}
          {r.error}
        </p>
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
              <dd>{duration(r.startedAt, r.finishedAt)}</dd>
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
        {!events.data ? (
          <Loading />
        ) : events.data.length === 0 ? (
          <Empty>No events.</Empty>
        ) : (
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
              {events.data.map((e) => (
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
      </Section>
    </>
  );
}
