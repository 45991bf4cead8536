import { useState, type FormEvent } from "react";
import { api } from "../api/client.js";
import type { Agent, HeartbeatRun } from "../api/types.js";
import { adapterConfigOf, AgentFields, DEFAULT_AGENT_DRAFT, draftFromConfig, type AgentDraft } from "../components/adapter-form.js";
import { Badge, Empty, ErrorNote, Loading, PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { formatCents, relativeTime } from "../lib/format.js";
import { useLiveEvents } from "../lib/live-context.js";
import { reduceRuns } from "../lib/live.js";
import { Link } from "../lib/router.js";
import { humanize } from "../lib/status.js";
import { useResource } from "../lib/use-resource.js";
import { RunTable } from "./dashboard.js";

export function AgentPage({ agentId }: { agentId: string }) {
  const { base, company, agentName, reloadAgents } = useCompany();
  const agent = useResource(`agent:${agentId}`, () => api.agents.get(agentId), { agentIds: [agentId] });
  const runs = useResource(`agent-runs:${agentId}`, () => api.runs.list(company.id, { agentId, limit: 20 }), (e) => e.type === "heartbeat.run.queued" && e.payload.agentId === agentId);
  const state = useResource(`agent-state:${agentId}`, () => api.agents.runtimeState(agentId), (e) => e.type === "heartbeat.run.status" && e.payload.agentId === agentId);
  const issues = useResource(`agent-issues:${agentId}`, () => api.issues.list(company.id, { assigneeAgentId: agentId, status: ["todo", "in_progress", "in_review", "blocked", "backlog"], limit: 20 }), (e) => e.type === "activity.logged" && e.payload.entityType === "issue");
  useLiveEvents((event) => {
    runs.setData((list) => (list ? (reduceRuns(list, event, (r) => r.id) as HeartbeatRun[]) : list));
    if (event.type === "agent.status" && event.payload.agentId === agentId) agent.setData((a) => (a ? { ...a, status: event.payload.status as Agent["status"] } : a));
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);

  const act = async (label: string, fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const result = await fn();
      if (result && typeof result === "object" && "status" in result && "reason" in result) setNotice(`Wake ${String(result.status)}: ${String(result.reason)}`);
      else setNotice(label);
      agent.reload();
      runs.reload();
      reloadAgents();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (agent.error && !agent.data) return <ErrorNote error={agent.error} />;
  if (!agent.data) return <Loading />;
  const a = agent.data;
  const paused = a.status === "paused";
  const terminated = a.status === "terminated";
  const s = state.data;

  return (
    <>
      <PageTitle
        title={a.name}
        actions={
          <>
            {!terminated ? (
              <button type="button" onClick={() => act("Woken: a run was queued.", () => api.agents.wakeup(a.id))} disabled={busy || paused || a.status === "pending_approval"}>
                Wake now
              </button>
            ) : null}
            {!terminated ? (
              paused ? (
                <button type="button" className="secondary" onClick={() => act("Resumed.", () => api.agents.resume(a.id))} disabled={busy}>
                  Resume
                </button>
              ) : (
                <button type="button" className="secondary" onClick={() => act("Paused. Its live runs were cancelled.", () => api.agents.pause(a.id))} disabled={busy}>
                  Pause
                </button>
              )
            ) : null}
            <Link to={`${base}/issues/new?assignee=${a.id}`} className="button secondary">
              Assign an issue
            </Link>
          </>
        }
      >
        {a.name} <Badge status={a.status} />
      </PageTitle>
      <p className="lede">
        {humanize(a.role)}
        {a.title ? ` · ${a.title}` : ""}
        {a.reportsTo ? (
          <>
            {" · reports to "}
            <Link to={`${base}/agents/${a.reportsTo}`}>{agentName(a.reportsTo)}</Link>
          </>
        ) : null}
      </p>
      <div role="status" aria-live="polite">
        {notice ? <p className="notice">{notice}</p> : null}
      </div>
      <ErrorNote error={error} />
      {a.errorReason ? <p className="error">Last error: {a.errorReason}</p> : null}
      {paused ? <p className="notice">Paused{a.pauseReason ? ` (${humanize(a.pauseReason)})` : ""} {relativeTime(a.pausedAt)}. A paused agent is not woken.</p> : null}

      <div className="stat-grid">
        <Section title="Runs">
          <p className="big-number">{s?.totalRuns ?? 0}</p>
          <p className="muted">Last heartbeat {relativeTime(a.lastHeartbeatAt)}</p>
        </Section>
        <Section title="Spend this month">
          <p className="big-number">{formatCents(a.spentMonthlyCents)}</p>
          <p className="muted">{a.budgetMonthlyCents > 0 ? `of ${formatCents(a.budgetMonthlyCents)} budget` : "No agent budget"}</p>
        </Section>
        <Section title="Tokens">
          <p className="big-number">{((s?.totalInputTokens ?? 0) + (s?.totalOutputTokens ?? 0)).toLocaleString()}</p>
          <p className="muted">
            {(s?.totalInputTokens ?? 0).toLocaleString()} in · {(s?.totalOutputTokens ?? 0).toLocaleString()} out
          </p>
        </Section>
      </div>

      <Section title="Recent runs">
        <RunTable runs={runs.data} showAgent={false} />
      </Section>

      <Section title="Assigned open issues">
        {!issues.data ? (
          <Loading />
        ) : issues.data.length === 0 ? (
          <Empty>No open issues assigned.</Empty>
        ) : (
          <ul className="plain list-rows">
            {issues.data.map((i) => (
              <li key={i.id}>
                <Badge status={i.status} /> <Link to={`${base}/issues/${i.identifier}`}>{i.identifier}</Link> {i.title}
              </li>
            ))}
          </ul>
        )}
      </Section>

      <Section
        title="Adapter"
        actions={
          !editing && !terminated ? (
            <button type="button" className="secondary small" onClick={() => setEditing(true)}>
              Edit configuration
            </button>
          ) : null
        }
      >
        {editing ? (
          <EditAdapter
            agent={a}
            onDone={() => {
              setEditing(false);
              agent.reload();
            }}
          />
        ) : (
          <dl className="kv">
            <div className="kv-row">
              <dt>type</dt>
              <dd className="mono">{a.adapterType}</dd>
            </div>
            {Object.entries(a.adapterConfig).map(([k, v]) => (
              <div key={k} className="kv-row">
                <dt>{k}</dt>
                <dd className="mono">{typeof v === "string" ? v : JSON.stringify(v)}</dd>
              </div>
            ))}
          </dl>
        )}
      </Section>
    </>
  );
}

function EditAdapter({ agent, onDone }: { agent: Agent; onDone: () => void }) {
  const [draft, setDraft] = useState<AgentDraft>({ ...DEFAULT_AGENT_DRAFT, command: "", args: "", timeoutSec: "", ...draftFromConfig(agent.adapterType, agent.adapterConfig) });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api.agents.update(agent.id, { adapterType: draft.adapterType as Agent["adapterType"], adapterConfig: adapterConfigOf(draft) });
      onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit}>
      <AgentFields draft={draft} onChange={setDraft} companyId={agent.companyId} showIdentity={false} />
      <ErrorNote error={error} />
      <div className="row end">
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" disabled={busy}>
          Save
        </button>
      </div>
    </form>
  );
}
