import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { IssueDetail } from "../api/types.js";
import { LABEL_PALETTE } from "../lib/label-color.js";
import { queryKeys } from "../lib/query-keys.js";
import { LabelChip } from "./label-chip.js";
import { ErrorNote, Field, Section } from "./ui.js";

/**
 * The issue's labels: remove one, add one of the company's labels, or create a new label and add
 * it in one go. Every change sends the full set (`labelIds` replaces the issue's labels).
 */
export function IssueLabelsSection({ issue, onChanged }: { issue: IssueDetail; onChanged: () => unknown }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const all = useQuery(queries.labels(api, issue.companyId));
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const [color, setColor] = useState<string>(LABEL_PALETTE[0]);
  const colorId = useId();
  const current = issue.labels.map((l) => l.id);
  const save = async (labelIds: string[]) => {
    await unwrap(api.PATCH("/api/issues/{id}", { params: { path: { id: issue.id } }, body: { labelIds } }));
    await Promise.all([onChanged(), queryClient.invalidateQueries({ queryKey: queryKeys.issues(issue.companyId) })]);
  };
  const change = useMutation({ mutationFn: (fn: () => Promise<void>) => fn() });
  const busy = change.isPending;
  const available = (all.data ?? []).filter((l) => !current.includes(l.id));

  const create = (e: FormEvent) => {
    e.preventDefault();
    const wanted = name.trim();
    if (!wanted) return;
    change.mutate(async () => {
      const label = await unwrap(
        api.POST("/api/companies/{companyId}/labels", { params: { path: { companyId: issue.companyId } }, body: { name: wanted, color } }),
      );
      await queryClient.invalidateQueries({ queryKey: queryKeys.labels(issue.companyId) });
      await save([...current, label.id]);
      setName("");
      setCreating(false);
    });
  };

  return (
    <Section title="Labels">
      {issue.labels.length === 0 ? (
        <p className="empty">No labels.</p>
      ) : (
        <ul className="plain label-list" aria-label="Labels of this issue">
          {issue.labels.map((l) => (
            <li key={l.id}>
              <LabelChip label={l}>
                <button
                  type="button"
                  className="chip-remove"
                  aria-label={`Remove label ${l.name}`}
                  disabled={busy}
                  onClick={() => change.mutate(() => save(current.filter((id) => id !== l.id)))}
                >
                  ×
                </button>
              </LabelChip>
            </li>
          ))}
        </ul>
      )}
      {available.length ? (
        <Field label="Add label">
          {(id) => (
            <select
              id={id}
              value=""
              disabled={busy}
              onChange={(e) => {
                // Read now: the select is controlled back to "" before the mutation runs.
                const picked = e.target.value;
                if (picked) change.mutate(() => save([...current, picked]));
              }}
            >
              <option value="">Choose a label…</option>
              {available.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : null}
      {creating ? (
        <form className="label-create" onSubmit={create} aria-label="New label">
          <Field label="New label name">
            {(id) => <input id={id} required maxLength={48} value={name} onChange={(e) => setName(e.target.value)} autoFocus />}
          </Field>
          <div className="label-create-row">
            <label htmlFor={colorId}>Colour</label>
            <input id={colorId} type="color" value={color} onChange={(e) => setColor(e.target.value)} />
            <LabelChip label={{ name: name.trim() || "Preview", color }} />
          </div>
          <div className="row">
            <button type="submit" disabled={busy || !name.trim()}>
              {busy ? "Adding…" : "Create and add"}
            </button>
            <button type="button" className="secondary" onClick={() => setCreating(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <button type="button" className="secondary small" onClick={() => setCreating(true)}>
          New label…
        </button>
      )}
      <ErrorNote error={change.error ?? all.error} />
    </Section>
  );
}
