import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Schemas } from "@staple/api-client";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { QueryState } from "../components/query-state.js";
import { Badge, ErrorNote, Field, PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { formatTime, relativeTime } from "../lib/format.js";
import { useConfirm } from "../lib/use-confirm.js";

type RunnerToken = Schemas["RunnerToken"];
type CreatedToken = Schemas["CreatedRunnerToken"];
type ListedRunner = Schemas["ListedRunner"];

const tokensKey = (companyId: string) => ["company", companyId, "runner-tokens"] as const;
const runnersKey = (companyId: string) => ["company", companyId, "runners"] as const;
/** Runners heartbeat every few seconds; the list is re-read this often so status and running runs stay current. */
const RUNNERS_REFRESH_MS = 10_000;

const RUNNER_TONE = { online: "good", draining: "wait", offline: "neutral" } as const;

/** The command that starts a runner against this server; the token is the one just created, or a placeholder. */
export function runnerCommand(serverUrl: string, token: string | null, label = "<label>"): string {
  return `npx staple runner --api ${serverUrl} --token ${token ?? "<runner token>"} --label ${label}`;
}

/**
 * Runners (docs/runners.md): the company's runner tokens (created with a name and shown once, revoked
 * with a confirm) and the runners registered with them. A token exists in the browser only in the create
 * answer, held in this page's state until "Done", never read back from the server.
 */
export function RunnersPage() {
  const api = useApi();
  const { company } = useCompany();
  const queryClient = useQueryClient();
  const path = { params: { path: { companyId: company.id } } };
  const tokens = useQuery({
    queryKey: tokensKey(company.id),
    queryFn: () => unwrap(api.GET("/api/companies/{companyId}/runner-tokens", path)),
  });
  const runners = useQuery({
    queryKey: runnersKey(company.id),
    queryFn: () => unwrap(api.GET("/api/companies/{companyId}/runners", path)),
    refetchInterval: RUNNERS_REFRESH_MS,
  });
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: tokensKey(company.id) }),
      queryClient.invalidateQueries({ queryKey: runnersKey(company.id) }),
    ]);
  const [name, setName] = useState("");
  const [createdToken, setCreatedToken] = useState<CreatedToken | null>(null);
  const [copied, setCopied] = useState<"token" | "command" | null>(null);
  const [copyError, setCopyError] = useState<Error | null>(null);
  const create = useMutation({
    mutationFn: () => unwrap(api.POST("/api/companies/{companyId}/runner-tokens", { ...path, body: { name: name.trim() } })),
    onMutate: () => {
      setCopied(null);
      setCopyError(null);
    },
    onSuccess: (token) => {
      setCreatedToken(token);
      setName("");
      return refresh();
    },
  });
  const revoke = useConfirm(async (token: RunnerToken) => {
    await unwrap(api.DELETE("/api/runner-tokens/{tokenId}", { params: { path: { tokenId: token.id } } }));
    await refresh();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const serverUrl = window.location.origin;
  const command = runnerCommand(serverUrl, createdToken?.token ?? null);
  const copy = async (what: "token" | "command", text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(what);
    } catch {
      setCopyError(new Error("Copying failed: select the text and copy it by hand."));
    }
  };

  return (
    <>
      <PageTitle title="Runners">Runners</PageTitle>
      <p className="muted">
        A runner executes the runs of agents bound to one of its labels (<code>{'"runtimeConfig": {"runner": "<label>"}'}</code>) on its own
        machine. It registers with a runner token and needs only HTTP access to this server.
      </p>
      {createdToken ? (
        <div className="token-box" role="status" aria-label="New runner token">
          <p>
            <strong>Token “{createdToken.name}” created.</strong> Copy it now: you will not see it again.
          </p>
          <div className="token-row">
            <code data-testid="new-runner-token">{createdToken.token}</code>
            <button type="button" className="secondary small" onClick={() => void copy("token", createdToken.token)}>
              {copied === "token" ? "Copied" : "Copy"}
            </button>
            <button type="button" className="secondary small" onClick={() => setCreatedToken(null)}>
              Done
            </button>
          </div>
        </div>
      ) : null}
      <Section title="Start a runner">
        <p className="muted">
          On the runner's machine, in a built Staple checkout (Node 20.19 or newer), with the agents' commands on PATH:
        </p>
        <div className="token-row">
          <code data-testid="runner-command">{command}</code>
          <button type="button" className="secondary small" onClick={() => void copy("command", command)} aria-label="Copy the command">
            {copied === "command" ? "Copied" : "Copy"}
          </button>
        </div>
      </Section>
      <Section title="Registered runners">
        <QueryState query={runners} loadingLabel="Loading runners…" empty="No runner has registered yet.">
          {(list) => <RunnersTable runners={list} />}
        </QueryState>
      </Section>
      <Section title="Runner tokens">
        <QueryState query={tokens} loadingLabel="Loading tokens…" empty="No runner tokens yet.">
          {(list) => (
            <table className="table keys-table" aria-label="Runner tokens">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Token</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="skip">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((t) => (
                  <tr key={t.id}>
                    <td>
                      {t.name}
                      {t.companyId === null ? <span className="muted"> (instance)</span> : null}
                    </td>
                    <td>
                      <code>{t.tokenPrefix}…</code>
                    </td>
                    <td>{formatTime(t.createdAt)}</td>
                    <td>{t.lastUsedAt ? relativeTime(t.lastUsedAt) : <span className="muted">never</span>}</td>
                    <td>
                      {t.revokedAt ? <Badge status="revoked" label={`Revoked ${relativeTime(t.revokedAt)}`} /> : <Badge status="active" />}
                    </td>
                    <td>
                      {!t.revokedAt ? (
                        <button type="button" className="danger small" onClick={() => revoke.ask(t)} aria-label={`Revoke token ${t.name}`}>
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
      </Section>
      <Section title="New runner token">
        <form className="form inline" onSubmit={submit} aria-label="New runner token">
          <Field label="Token name">
            {(id) => (
              <input id={id} value={name} maxLength={100} required onChange={(e) => setName(e.target.value)} placeholder="gpu box" />
            )}
          </Field>
          <button type="submit" disabled={create.isPending || !name.trim()}>
            {create.isPending ? "Creating…" : "Create token"}
          </button>
        </form>
        <ErrorNote error={create.error ?? copyError} />
      </Section>
      <ConfirmDialog
        open={revoke.open}
        title="Revoke this runner token?"
        confirmLabel="Revoke token"
        busyLabel="Revoking…"
        danger
        busy={revoke.busy}
        error={revoke.error}
        onCancel={revoke.cancel}
        onConfirm={() => void revoke.confirm()}
      >
        <p>
          Runners registered with “{revoke.subject?.name}” are refused from their next request on; the runs they execute lose their lease
          and are retried once.
        </p>
      </ConfirmDialog>
    </>
  );
}

function RunnersTable({ runners }: { runners: readonly ListedRunner[] }) {
  return (
    <table className="table" aria-label="Registered runners">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Host</th>
          <th scope="col">Labels</th>
          <th scope="col">Adapters</th>
          <th scope="col">Status</th>
          <th scope="col">Last seen</th>
          <th scope="col">Running</th>
        </tr>
      </thead>
      <tbody>
        {runners.map((r) => (
          <tr key={r.id}>
            <td>
              {r.name}
              {r.companyId === null ? <span className="muted"> (instance)</span> : null}
            </td>
            <td>{r.hostname ?? <span className="muted">unknown host</span>}</td>
            <td>{r.labels.length > 0 ? r.labels.join(", ") : <span className="muted">no labels</span>}</td>
            <td>{r.adapterTypes.join(", ")}</td>
            <td>
              <Badge status={r.status} tone={RUNNER_TONE[r.status]} />
            </td>
            <td title={formatTime(r.lastSeenAt)}>{relativeTime(r.lastSeenAt)}</td>
            <td>{r.runningRuns === 1 ? "1 run" : `${r.runningRuns} runs`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
