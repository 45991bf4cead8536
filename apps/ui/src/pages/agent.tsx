import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { describeError, unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { Agent, AgentKey, CreatedAgentKey } from "../api/types.js";
import { adapterConfigOf, AgentFields, DEFAULT_AGENT_DRAFT, draftFromConfig, type AgentDraft } from "../components/adapter-form.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { QueryState } from "../components/query-state.js";
import { WakeReportSection } from "../components/wake-report.js";
import { Badge, ErrorNote, Field, PageTitle, Section } from "../components/ui.js";
import { errorFor, fieldErrors } from "../lib/field-errors.js";
import { useConfirm } from "../lib/use-confirm.js";
import { useCompany } from "../lib/company-context.js";
import { formatTime, relativeTime } from "../lib/format.js";
import { queryKeys } from "../lib/query-keys.js";
import { humanize } from "../lib/status.js";
import { AgentMonthCosts } from "../components/agent-costs.js";
import { AgentConfigView } from "../components/agent-config-view.js";
import { RelativeTime } from "../components/relative-time.js";
import { RunTable } from "./dashboard.js";
import { roleLabel } from "../lib/roles.js";

export function AgentPage({ agentId }: { agentId: string }) {
  const agent = useQuery(queries.agent(useApi(), agentId));
  return <QueryState query={agent}>{(a) => <AgentView agent={a} />}</QueryState>;
}

function AgentView({ agent: a }: { agent: Agent }) {
  const { base, company, agentName } = useCompany();
  const api = useApi();
  const queryClient = useQueryClient();
  const agentId = a.id;
  const runs = useQuery(queries.runs(api, company.id, { agentId, limit: 20 }));
  const state = useQuery(queries.agentRuntime(api, agentId));
  const issues = useQuery(
    queries.issues(api, company.id, { assigneeAgentId: agentId, status: "todo,in_progress,in_review,blocked,backlog", limit: 20 }),
  );
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.agent(agentId) }),
      queryClient.invalidateQueries({ queryKey: queryKeys.company(company.id) }),
    ]);
  const terminate = useConfirm(async () => {
    await unwrap(api.POST("/api/agents/{id}/terminate", { params: { path: { id: agentId } } }));
    setNotice("Terminated. The agent is no longer woken; its live runs were cancelled.");
    await refresh();
  });
  const path = { params: { path: { id: agentId } } };
  const act = useMutation({
    mutationFn: async ({ call }: { label: string; call: () => Promise<unknown> }) => call(),
    onMutate: () => setNotice(null),
    onSuccess: (result, { label }) => {
      if (result && typeof result === "object" && "status" in result && "reason" in result)
        setNotice(`Wake ${String(result.status)}: ${String(result.reason)}`);
      else setNotice(label);
    },
    onSettled: refresh,
  });
  const busy = act.isPending;
  const wake = () =>
    act.mutate({
      label: "Woken: a run was queued.",
      call: () =>
        unwrap(
          api.POST("/api/agents/{id}/wakeup", {
            ...path,
            body: { source: "on_demand", triggerDetail: "manual", reason: "Woken from the board" },
          }),
        ),
    });
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
              <button type="button" onClick={wake} disabled={busy || paused || a.status === "pending_approval"}>
                Wake now
              </button>
            ) : null}
            {!terminated ? (
              paused ? (
                <button
                  type="button"
                  className="secondary"
                  onClick={() => act.mutate({ label: "Resumed.", call: () => unwrap(api.POST("/api/agents/{id}/resume", path)) })}
                  disabled={busy}
                >
                  Resume
                </button>
              ) : (
                <button
                  type="button"
                  className="secondary"
                  onClick={() =>
                    act.mutate({
                      label: "Paused. Its live runs were cancelled.",
                      call: () => unwrap(api.POST("/api/agents/{id}/pause", path)),
                    })
                  }
                  disabled={busy}
                >
                  Pause
                </button>
              )
            ) : null}
            {!terminated ? (
              <Link to={`${base}/issues/new?assignee=${a.id}`} className="button secondary">
                Assign an issue
              </Link>
            ) : null}
            {!terminated ? (
              <button type="button" className="danger" onClick={() => terminate.ask(a.id)} disabled={busy}>
                Terminate
              </button>
            ) : null}
          </>
        }
      >
        {a.name} <Badge status={a.status} />
      </PageTitle>
      <p className="lede">
        {roleLabel(a.role)}
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
      <ErrorNote error={act.error} />
      <ConfirmDialog
        open={terminate.open}
        title={`Terminate ${a.name}?`}
        confirmLabel="Terminate agent"
        busyLabel="Terminating…"
        danger
        busy={terminate.busy}
        error={terminate.error}
        onCancel={terminate.cancel}
        onConfirm={() => void terminate.confirm()}
      >
        <p>A terminated agent is never woken again and its live runs are cancelled. This cannot be undone from the board.</p>
      </ConfirmDialog>
      {a.errorReason ? <p className="error">Last error: {a.errorReason}</p> : null}
      {/* One banner at a time: right after pausing, the action's own notice says it (S17). */}
      {paused && !notice ? (
        <p className="notice">
          Paused{a.pauseReason ? ` (${humanize(a.pauseReason)})` : ""} {relativeTime(a.pausedAt)}. A paused agent is not woken.
        </p>
      ) : null}

      <div className="stat-grid">
        <Section title="Runs">
          <p className="big-number">{s?.totalRuns ?? 0}</p>
          <p className="muted">
            Last heartbeat <RelativeTime iso={a.lastHeartbeatAt} />
          </p>
        </Section>
        <AgentMonthCosts companyId={company.id} agentId={a.id} costsHref={`${base}/costs`} />
      </div>

      <Section title="Recent runs">
        <QueryState query={runs} empty="No runs yet.">
          {(list) => <RunTable runs={list} showAgent={false} />}
        </QueryState>
      </Section>

      <WakeReportSection agentId={a.id} base={base} />

      <Section title="Assigned open issues">
        <QueryState query={issues} empty="No open issues assigned.">
          {(list) => (
            <ul className="plain list-rows">
              {list.map((i) => (
                <li key={i.id}>
                  <Badge status={i.status} /> <Link to={`${base}/issues/${i.identifier}`}>{i.identifier}</Link> {i.title}
                </li>
              ))}
            </ul>
          )}
        </QueryState>
      </Section>

      <Section
        title="Configuration"
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
              void refresh();
            }}
          />
        ) : (
          <AgentConfigView adapterType={a.adapterType} adapterConfig={a.adapterConfig} budgetMonthlyCents={a.budgetMonthlyCents} />
        )}
      </Section>

      <KeysSection agentId={a.id} terminated={terminated} />
    </>
  );
}

/** The agent's API keys: list, create (the token is shown once), revoke with a confirmation. */
function KeysSection({ agentId, terminated }: { agentId: string; terminated: boolean }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const keys = useQuery(queries.agentKeys(api, agentId));
  const [name, setName] = useState("");
  const [createdKey, setCreatedKey] = useState<CreatedAgentKey | null>(null);
  const [copied, setCopied] = useState(false);
  const [copyError, setCopyError] = useState<unknown>(null);
  const reload = () => queryClient.invalidateQueries({ queryKey: queryKeys.agentKeys(agentId) });
  const revoke = useConfirm(async (key: AgentKey) => {
    await unwrap(api.DELETE("/api/agents/{id}/keys/{keyId}", { params: { path: { id: agentId, keyId: key.id } } }));
    await reload();
  });
  const createKey = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/agents/{id}/keys", { params: { path: { id: agentId } }, body: { name: name.trim() || "default" } })),
    onMutate: () => {
      setCopied(false);
      setCopyError(null);
    },
    onSuccess: (key) => {
      setCreatedKey(key);
      setName("");
      return reload();
    },
  });
  const create = (e: FormEvent) => {
    e.preventDefault();
    createKey.mutate();
  };
  const error = createKey.error ?? copyError;
  const copy = async () => {
    if (!createdKey) return;
    try {
      await navigator.clipboard.writeText(createdKey.token);
      setCopied(true);
    } catch {
      setCopyError(new Error("Copying failed: select the token and copy it by hand."));
    }
  };
  const fieldErrs = fieldErrors(error);
  return (
    <Section title="API keys">
      {createdKey ? (
        <div className="token-box" role="status" aria-label="New API key">
          <p>
            <strong>Key “{createdKey.name}” created.</strong> Copy the token now: it is shown only once and cannot be retrieved later.
          </p>
          <div className="token-row">
            <code aria-label="API key token" data-testid="new-token">
              {createdKey.token}
            </code>
            <button type="button" className="secondary small" onClick={copy}>
              {copied ? "Copied" : "Copy"}
            </button>
            <button type="button" className="secondary small" onClick={() => setCreatedKey(null)}>
              Done
            </button>
          </div>
        </div>
      ) : null}
      <QueryState query={keys} empty="No API keys. An agent needs one to call the API from outside a run.">
        {(list) => (
          <table className="table keys-table" aria-label="API keys">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="skip">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((k) => (
                <tr key={k.id} data-key-id={k.id}>
                  <td>{k.name}</td>
                  <td>{formatTime(k.createdAt)}</td>
                  <td>{k.lastUsedAt ? relativeTime(k.lastUsedAt) : <span className="muted">never</span>}</td>
                  <td>
                    {k.revokedAt ? <Badge status="revoked" label={`Revoked ${relativeTime(k.revokedAt)}`} /> : <Badge status="active" />}
                  </td>
                  <td>
                    {!k.revokedAt ? (
                      <button type="button" className="danger small" onClick={() => revoke.ask(k)} aria-label={`Revoke key ${k.name}`}>
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
      {!terminated ? (
        <form className="inline-form" onSubmit={create}>
          <Field label="New key name" error={errorFor(fieldErrs, "name")}>
            {(id, d) => (
              <input
                id={id}
                aria-describedby={d}
                value={name}
                maxLength={100}
                onChange={(e) => setName(e.target.value)}
                placeholder="default"
              />
            )}
          </Field>
          <button type="submit" disabled={createKey.isPending}>
            {createKey.isPending ? "Creating…" : "Create API key"}
          </button>
        </form>
      ) : null}
      <ErrorNote error={error} />
      <ConfirmDialog
        open={revoke.open}
        title="Revoke this API key?"
        confirmLabel="Revoke key"
        busyLabel="Revoking…"
        danger
        busy={revoke.busy}
        error={revoke.error}
        onCancel={revoke.cancel}
        onConfirm={() => void revoke.confirm()}
      >
        <p>Key “{revoke.subject?.name}” stops working at once. Anything using it gets 401 answers.</p>
      </ConfirmDialog>
    </Section>
  );
}

function EditAdapter({ agent, onDone }: { agent: Agent; onDone: () => void }) {
  const [draft, setDraft] = useState<AgentDraft>({
    ...DEFAULT_AGENT_DRAFT,
    command: "",
    args: "",
    timeoutSec: "",
    name: agent.name,
    title: agent.title ?? "",
    role: agent.role,
    ...draftFromConfig(agent.adapterType, agent.adapterConfig),
  });
  const [budget, setBudget] = useState(agent.budgetMonthlyCents > 0 ? String(agent.budgetMonthlyCents / 100) : "");
  const api = useApi();
  const save = useMutation({
    mutationFn: () => {
      const budgetCents = budget.trim() === "" ? 0 : Math.round(Number(budget) * 100);
      return unwrap(
        api.PATCH("/api/agents/{id}", {
          params: { path: { id: agent.id } },
          body: {
            name: draft.name,
            title: draft.title.trim() || null,
            role: draft.role as Agent["role"],
            budgetMonthlyCents: Number.isFinite(budgetCents) ? budgetCents : -1,
            adapterType: draft.adapterType as Agent["adapterType"],
            adapterConfig: adapterConfigOf(draft),
          },
        }),
      );
    },
    onSuccess: onDone,
  });
  const error = save.error;
  const busy = save.isPending;
  const errors = fieldErrors(error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="Edit configuration" noValidate>
      <AgentFields draft={draft} onChange={setDraft} companyId={agent.companyId} showIdentity errors={errors} />
      <Field label="Monthly budget in USD" hint="Empty or 0 for no agent budget." error={errorFor(errors, "budgetMonthlyCents")}>
        {(id, d) => (
          <input
            id={id}
            aria-describedby={d}
            aria-invalid={!!errorFor(errors, "budgetMonthlyCents")}
            inputMode="decimal"
            value={budget}
            onChange={(e) => setBudget(e.target.value)}
          />
        )}
      </Field>
      {error ? (
        <p className="error" role="alert">
          Not saved: {describeError(error)}
        </p>
      ) : null}
      <div className="row end">
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}
