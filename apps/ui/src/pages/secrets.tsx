import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Schemas } from "@staple/api-client";
import { describeError, unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { QueryState } from "../components/query-state.js";
import { ErrorNote, Field, PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { relativeTime } from "../lib/format.js";
import { useConfirm } from "../lib/use-confirm.js";

type Secret = Schemas["CompanySecret"];

/** The company's secrets (no live events: this page refetches after its own writes). */
const secretsKey = (companyId: string) => ["company", companyId, "secrets"] as const;

/**
 * Company secrets: create, rotate, grant to agents, delete. A value is typed once and sent; the server
 * never answers it back, so this page shows only the mask, version and fingerprint (a changed
 * fingerprint is how one tells that a value changed). Value inputs are cleared after every send.
 */
export function SecretsPage() {
  const api = useApi();
  const { company } = useCompany();
  const queryClient = useQueryClient();
  const secrets = useQuery({
    queryKey: secretsKey(company.id),
    queryFn: () => unwrap(api.GET("/api/companies/{companyId}/secrets", { params: { path: { companyId: company.id } } })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: secretsKey(company.id) });
  const remove = useConfirm(async (secret: Secret) => {
    await unwrap(api.DELETE("/api/secrets/{secretId}", { params: { path: { secretId: secret.id } } }));
    await refresh();
  });

  return (
    <>
      <PageTitle title="Secrets">Secrets</PageTitle>
      <p className="muted">
        Values are encrypted on the server and never shown again after they are saved. An agent receives a secret only when it is granted:
        through <code>{'{"type":"secret_ref","secretId":"…"}'}</code> in its adapter configuration, or by reading it with its own
        credential.
      </p>
      <CreateSecretForm onCreated={refresh} />
      <Section title="Company secrets">
        <QueryState query={secrets} loadingLabel="Loading secrets…" empty="No secrets yet.">
          {(list) => (
            <table className="table" aria-label="Secrets">
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Value</th>
                  <th scope="col">Version</th>
                  <th scope="col">Fingerprint</th>
                  <th scope="col">Granted to</th>
                  <th scope="col">
                    <span className="skip">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((s) => (
                  <SecretRow key={s.id} secret={s} onChanged={refresh} onDelete={() => remove.ask(s)} />
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </Section>
      <ConfirmDialog
        open={remove.open}
        title="Delete the secret?"
        confirmLabel="Delete"
        busyLabel="Deleting…"
        danger
        busy={remove.busy}
        error={remove.error}
        onCancel={remove.cancel}
        onConfirm={() => void remove.confirm()}
      >
        <p>{remove.subject?.key} will be deleted with its history. Agents whose configuration names it fail their next run.</p>
      </ConfirmDialog>
    </>
  );
}

function CreateSecretForm({ onCreated }: { onCreated: () => Promise<unknown> }) {
  const api = useApi();
  const { company, agents } = useCompany();
  const [name, setName] = useState("");
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const [grantTo, setGrantTo] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/companies/{companyId}/secrets", {
          params: { path: { companyId: company.id } },
          body: { name: name.trim(), value, ...(key.trim() ? { key: key.trim() } : {}), ...(grantTo ? { agentIds: [grantTo] } : {}) },
        }),
      ),
    onSuccess: async (secret) => {
      setName("");
      setKey("");
      setGrantTo("");
      setDone(`Created ${secret.key} (${secret.fingerprint}).`);
      await onCreated();
    },
    // The typed value is dropped whatever the answer: it is never kept in the page longer than one send.
    onSettled: () => setValue(""),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    if (name.trim() && value) create.mutate();
  };
  return (
    <Section title="New secret">
      <form onSubmit={submit} className="stack" aria-label="New secret">
        <Field label="Name">{(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} required />}</Field>
        <Field label="Key" hint="What configs and agents name it by; defaults to the name with spaces as _">
          {(id, describedBy) => (
            <input id={id} aria-describedby={describedBy} value={key} onChange={(e) => setKey(e.target.value)} placeholder="GITHUB_TOKEN" />
          )}
        </Field>
        <Field label="Value">
          {(id) => <input id={id} type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} required />}
        </Field>
        <Field label="Grant to agent">
          {(id) => (
            <select id={id} value={grantTo} onChange={(e) => setGrantTo(e.target.value)}>
              <option value="">Nobody yet</option>
              {agents.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div>
          <button type="submit" disabled={create.isPending || !name.trim() || !value}>
            {create.isPending ? "Creating…" : "Create secret"}
          </button>
        </div>
        {create.error ? <ErrorNote error={create.error} /> : null}
        {done ? (
          <p role="status" className="muted">
            {done}
          </p>
        ) : null}
      </form>
    </Section>
  );
}

function SecretRow({ secret: s, onChanged, onDelete }: { secret: Secret; onChanged: () => Promise<unknown>; onDelete: () => void }) {
  const api = useApi();
  const { agents, agentName } = useCompany();
  const [rotating, setRotating] = useState(false);
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const act = useMutation({
    mutationFn: (fn: () => Promise<unknown>) => fn(),
    onSuccess: () => onChanged(),
    onError: (e) => setError(describeError(e)),
  });
  const ungranted = agents.filter((a) => !s.grantedAgentIds.includes(a.id) && a.status !== "terminated");
  const rotate = (e: FormEvent) => {
    e.preventDefault();
    const next = value;
    setValue("");
    setError(null);
    act.mutate(async () => {
      await unwrap(api.POST("/api/secrets/{secretId}/rotate", { params: { path: { secretId: s.id } }, body: { value: next } }));
      setRotating(false);
    });
  };
  const grant = (agentId: string) => {
    setError(null);
    act.mutate(() => unwrap(api.POST("/api/secrets/{secretId}/grants", { params: { path: { secretId: s.id } }, body: { agentId } })));
  };
  const revoke = (agentId: string) => {
    setError(null);
    act.mutate(() => unwrap(api.DELETE("/api/secrets/{secretId}/grants/{agentId}", { params: { path: { secretId: s.id, agentId } } })));
  };
  return (
    <tr data-secret-id={s.id}>
      <td>
        <strong>{s.key}</strong>
        {s.name !== s.key ? <div className="muted small">{s.name}</div> : null}
      </td>
      <td>
        <span className="skip">Value hidden: </span>
        <code>{s.valueMask}</code>
      </td>
      <td title={s.rotatedAt ? `Rotated ${relativeTime(s.rotatedAt)}` : undefined}>v{s.latestVersion}</td>
      <td>
        <code>{s.fingerprint}</code>
      </td>
      <td>
        <ul className="plain" aria-label={`Agents granted ${s.key}`}>
          {s.grantedAgentIds.map((id) => (
            <li key={id}>
              {agentName(id)}{" "}
              <button
                type="button"
                className="secondary small"
                onClick={() => revoke(id)}
                aria-label={`Revoke ${s.key} from ${agentName(id)}`}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
        {ungranted.length ? (
          <select aria-label={`Grant ${s.key} to an agent`} value="" onChange={(e) => e.target.value && grant(e.target.value)}>
            <option value="">Grant to…</option>
            {ungranted.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        ) : null}
      </td>
      <td>
        {rotating ? (
          <form onSubmit={rotate} aria-label={`Rotate ${s.key}`}>
            <input
              type="password"
              autoComplete="off"
              aria-label={`New value of ${s.key}`}
              value={value}
              onChange={(e) => setValue(e.target.value)}
              required
            />
            <button type="submit" className="small" disabled={!value || act.isPending}>
              Save
            </button>
            <button type="button" className="secondary small" onClick={() => setRotating(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <>
            <button type="button" className="secondary small" onClick={() => setRotating(true)} aria-label={`Rotate ${s.key}`}>
              Rotate
            </button>{" "}
            <button type="button" className="danger small" onClick={onDelete} aria-label={`Delete ${s.key}`}>
              Delete
            </button>
          </>
        )}
        {error ? (
          <p role="alert" className="field-error">
            {error}
          </p>
        ) : null}
      </td>
    </tr>
  );
}
