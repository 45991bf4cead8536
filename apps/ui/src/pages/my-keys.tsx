import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Schemas } from "@staple/api-client";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { QueryState } from "../components/query-state.js";
import { Badge, ErrorNote, Field, PageTitle, Section } from "../components/ui.js";
import { formatTime, relativeTime } from "../lib/format.js";
import { useConfirm } from "../lib/use-confirm.js";

type BoardKey = Schemas["BoardApiKey"];
type CreatedKey = Schemas["CreatedBoardApiKey"];

const KEYS = ["me", "board-api-keys"] as const;

/**
 * The signed-in person's own board API keys (for scripts and the CLI). A key carries its owner's
 * memberships and roles. The token exists in the browser only in the create answer: it is held in
 * this page's state until "Done" and never read back from the server.
 */
export function MyKeysPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: KEYS, queryFn: () => unwrap(api.GET("/api/board-api-keys")) });
  const refresh = () => queryClient.invalidateQueries({ queryKey: KEYS });
  const [name, setName] = useState("");
  const [createdKey, setCreatedKey] = useState<CreatedKey | null>(null);
  const [copied, setCopied] = useState(false);
  const [copyError, setCopyError] = useState<Error | null>(null);
  const create = useMutation({
    mutationFn: () => unwrap(api.POST("/api/board-api-keys", { body: { name: name.trim() } })),
    onMutate: () => {
      setCopied(false);
      setCopyError(null);
    },
    onSuccess: (key) => {
      setCreatedKey(key);
      setName("");
      return refresh();
    },
  });
  const revoke = useConfirm(async (key: BoardKey) => {
    await unwrap(api.DELETE("/api/board-api-keys/{keyId}", { params: { path: { keyId: key.id } } }));
    await refresh();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const copy = async () => {
    if (!createdKey) return;
    try {
      await navigator.clipboard.writeText(createdKey.token);
      setCopied(true);
    } catch {
      setCopyError(new Error("Copying failed: select the key and copy it by hand."));
    }
  };
  return (
    <>
      <PageTitle title="My keys">My keys</PageTitle>
      <p className="muted">
        Personal board API keys for scripts and the CLI. A key acts as you, with your role in each of your companies; revoke a key you no
        longer use.
      </p>
      {createdKey ? (
        <div className="token-box" role="status" aria-label="New board API key">
          <p>
            <strong>Key “{createdKey.name}” created.</strong> Copy it now: you will not see it again.
          </p>
          <div className="token-row">
            <code data-testid="new-board-key">{createdKey.token}</code>
            <button type="button" className="secondary small" onClick={copy}>
              {copied ? "Copied" : "Copy"}
            </button>
            <button type="button" className="secondary small" onClick={() => setCreatedKey(null)}>
              Done
            </button>
          </div>
        </div>
      ) : null}
      <Section title="Keys">
        <QueryState query={keys} loadingLabel="Loading keys…" empty="No keys yet.">
          {(list) => (
            <table className="table keys-table" aria-label="My board API keys">
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
                  <tr key={k.id}>
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
      </Section>
      <Section title="New key">
        <form className="form inline" onSubmit={submit} aria-label="New board API key">
          <Field label="Key name">
            {(id) => (
              <input id={id} value={name} maxLength={120} required onChange={(e) => setName(e.target.value)} placeholder="laptop CLI" />
            )}
          </Field>
          <button type="submit" disabled={create.isPending || !name.trim()}>
            {create.isPending ? "Creating…" : "Create key"}
          </button>
        </form>
        <ErrorNote error={create.error ?? copyError} />
      </Section>
      <ConfirmDialog
        open={revoke.open}
        title="Revoke this key?"
        confirmLabel="Revoke key"
        busyLabel="Revoking…"
        danger
        busy={revoke.busy}
        error={revoke.error}
        onCancel={revoke.cancel}
        onConfirm={() => void revoke.confirm()}
      >
        <p>Scripts and CLIs using “{revoke.subject?.name}” stop working within seconds.</p>
      </ConfirmDialog>
    </>
  );
}
