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
import { formatTokens } from "../lib/costs.js";
import { queryKeys } from "../lib/query-keys.js";
import { humanize, isLiveRun } from "../lib/status.js";
import { LiveDuration } from "../components/live-duration.js";

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
          <RunUsage runId={r.id} usage={r.usageJson} live={live} />
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

/** Labels of the usage fields adapters report; other keys show as they are. */
const USAGE_LABELS: Record<string, string> = {
  inputTokens: "Input tokens",
  input_tokens: "Input tokens",
  outputTokens: "Output tokens",
  output_tokens: "Output tokens",
  cachedInputTokens: "Cached input tokens",
  cached_input_tokens: "Cached input tokens",
  cache_read_input_tokens: "Cached input tokens",
  costUsd: "Cost (USD)",
  cost_usd: "Cost (USD)",
  total_cost_usd: "Cost (USD)",
  costCents: "Cost (cents)",
  model: "Model",
  provider: "Provider",
  billingType: "Billing",
};

/**
 * A run's tokens and cost as the cost ledger holds them (its own row plus what its agent reported
 * from it), the figures the agent and Costs pages sum; the adapter's raw usage report follows.
 */
export function RunUsage({ runId, usage, live }: { runId: string; usage: Record<string, unknown> | null | undefined; live: boolean }) {
  const ledger = useQuery(queries.runCost(useApi(), runId));
  const raw = usage && Object.keys(usage).length ? usage : null;
  return (
    <QueryState query={ledger} loadingLabel="Loading usage…">
      {(c) =>
        c.eventCount === 0 && !raw ? (
          <Empty>{live ? "No usage reported yet." : "No usage reported: the run recorded no cost event."}</Empty>
        ) : (
          <>
            <dl className="kv" aria-label="Usage from the cost ledger">
              <div className="kv-row">
                <dt>Cost</dt>
                <dd data-testid="run-cost">{formatCents(c.costCents)}</dd>
              </div>
              <div className="kv-row">
                <dt>Input tokens</dt>
                <dd data-testid="run-input-tokens">{formatTokens(c.inputTokens)}</dd>
              </div>
              <div className="kv-row">
                <dt>Cached input tokens</dt>
                <dd>{formatTokens(c.cachedInputTokens)}</dd>
              </div>
              <div className="kv-row">
                <dt>Output tokens</dt>
                <dd data-testid="run-output-tokens">{formatTokens(c.outputTokens)}</dd>
              </div>
              {c.models.length ? (
                <div className="kv-row">
                  <dt>{c.models.length === 1 ? "Model" : "Models"}</dt>
                  <dd>{c.models.join(", ")}</dd>
                </div>
              ) : null}
              <div className="kv-row">
                <dt>Cost events</dt>
                <dd>{c.eventCount}</dd>
              </div>
            </dl>
            {raw ? (
              <details className="raw-usage">
                <summary>The adapter's usage report</summary>
                <dl className="kv">
                  {Object.entries(raw).map(([k, v]) => (
                    <div key={k} className="kv-row">
                      <dt>{USAGE_LABELS[k] ?? humanize(k)}</dt>
                      <dd className="mono">
                        {typeof v === "number" ? v.toLocaleString("en-US") : typeof v === "string" ? v : JSON.stringify(v)}
                      </dd>
                    </div>
                  ))}
                </dl>
              </details>
            ) : null}
          </>
        )
      }
    </QueryState>
  );
}
