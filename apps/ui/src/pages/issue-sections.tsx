import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { Link } from "react-router";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { ActivityEntry, IssueDetail, IssueDocument, IssueRun } from "../api/types.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { Markdown } from "../components/lazy-markdown.js";
import { QueryState } from "../components/query-state.js";
import { Badge, ErrorNote, Field, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { formatTime, relativeTime } from "../lib/format.js";
import { describeLock, lockSeverity, lockState } from "../lib/lock.js";
import { queryKeys } from "../lib/query-keys.js";
import { humanize } from "../lib/status.js";
import { useConfirm } from "../lib/use-confirm.js";
import { describeAction } from "./activity.js";

/** The execution lock, with a confirmed force-release (board recovery for a stuck lock). */
export function LockSection({ issue, runs, onReleased }: { issue: IssueDetail; runs: IssueRun[] | undefined; onReleased: () => unknown }) {
  const { base } = useCompany();
  const api = useApi();
  const lock = lockState(issue);
  const fromList = lock ? runs?.find((r) => r.runId === lock.runId) : undefined;
  // The run may not be one of this issue's runs (a checkout by another run): fetch it then.
  const holder = useQuery({ ...queries.run(api, lock?.runId ?? ""), enabled: !!lock && !fromList });
  const release = useConfirm(async () => {
    await unwrap(api.POST("/api/issues/{id}/admin/force-release", { params: { path: { id: issue.id } } }));
    await onReleased();
  });
  const [released, setReleased] = useState<string | null>(null);
  if (!lock) {
    return released ? (
      <Section title="Execution lock">
        <p className="ok-text" role="status">
          {released}
        </p>
      </Section>
    ) : null;
  }
  const status = fromList?.status ?? holder.data?.status ?? null;
  const severity = lockSeverity(status);
  return (
    <Section title="Execution lock">
      <p className="lock-line" data-lock-run-id={lock.runId}>
        {lock.kind === "checkout" ? "Checked out by " : "Locked by "}
        <Link to={`${base}/runs/${lock.runId}`}>run {lock.runId.slice(0, 8)}</Link>{" "}
        {status ? <Badge status={status} /> : <span className="muted">(status unknown)</span>}
      </p>
      {lock.lockedAt ? <p className="muted small">Since {relativeTime(lock.lockedAt)}</p> : null}
      {severity === "stale" ? <p className="small error-text">The run has finished but still holds the lock.</p> : null}
      <button type="button" className="danger" onClick={() => release.ask(lock.runId)}>
        Force-release lock
      </button>
      <ConfirmDialog
        open={release.open}
        title="Force-release the lock?"
        confirmLabel="Force-release"
        busyLabel="Releasing…"
        danger
        busy={release.busy}
        error={release.error}
        onCancel={release.cancel}
        onConfirm={async () => {
          if (await release.confirm()) setReleased(`Lock of run ${lock.runId.slice(0, 8)} released.`);
        }}
      >
        <p>{describeLock(lock, status)}</p>
        <p className="muted">The assignee stays; the issue can be checked out again.</p>
      </ConfirmDialog>
    </Section>
  );
}

/** Inline editor of the title and description. */
export function EditIssueForm({ issue, onDone }: { issue: IssueDetail; onDone: (saved: boolean) => void }) {
  const api = useApi();
  const [title, setTitle] = useState(issue.title);
  const [description, setDescription] = useState(issue.description ?? "");
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH("/api/issues/{id}", {
          params: { path: { id: issue.id } },
          body: { title: title.trim(), description: description.trim() ? description : null },
        }),
      ),
    onSuccess: () => onDone(true),
  });
  const busy = save.isPending;
  const error = save.error;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="Edit issue">
      <Field label="Title">{(id) => <input id={id} required value={title} onChange={(e) => setTitle(e.target.value)} autoFocus />}</Field>
      <Field label="Description">
        {(id) => <textarea id={id} rows={6} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <ErrorNote error={error} />
      <div className="row end">
        <button type="button" className="secondary" onClick={() => onDone(false)}>
          Cancel
        </button>
        <button type="submit" disabled={busy || !title.trim()}>
          {busy ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}

function RefRow({ r, children }: { r: IssueDetail["children"][number]; children?: ReactNode }) {
  const { base, agentName } = useCompany();
  return (
    <li data-issue-id={r.id}>
      <Badge status={r.status} /> <Link to={`${base}/issues/${r.identifier}`}>{r.identifier}</Link> <span className="grow">{r.title}</span>
      {r.assigneeAgentId ? <span className="muted small">{agentName(r.assigneeAgentId)}</span> : null}
      {children}
    </li>
  );
}

/** Children of the issue (parentId = this issue), with a quick "add sub-issue" form. */
export function SubIssuesSection({ issue, onChanged }: { issue: IssueDetail; onChanged: () => unknown }) {
  const api = useApi();
  const [title, setTitle] = useState("");
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/companies/{companyId}/issues", {
          params: { path: { companyId: issue.companyId } },
          body: { title: title.trim(), parentId: issue.id, priority: issue.priority },
        }),
      ),
    onSuccess: async () => {
      setTitle("");
      await onChanged();
    },
  });
  const busy = create.isPending;
  const error = create.error;
  const add = (e: FormEvent) => {
    e.preventDefault();
    if (title.trim()) create.mutate();
  };
  return (
    <Section title={`Sub-issues (${issue.children.length})`}>
      {issue.children.length === 0 ? (
        <p className="empty">No sub-issues.</p>
      ) : (
        <ul className="plain ref-rows" aria-label="Sub-issues">
          {issue.children.map((r) => (
            <RefRow key={r.id} r={r} />
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={add}>
        <Field label="New sub-issue">
          {(id) => <input id={id} value={title} onChange={(e) => setTitle(e.target.value)} placeholder="Title" />}
        </Field>
        <button type="submit" disabled={busy || !title.trim()}>
          {busy ? "Adding…" : "Add sub-issue"}
        </button>
      </form>
      <ErrorNote error={error} />
    </Section>
  );
}

/** Blocked-by relations (PATCH blockedByIssueIds replaces the set) and the issues this one blocks. */
export function BlockersSection({ issue, onChanged }: { issue: IssueDetail; onChanged: () => unknown }) {
  const api = useApi();
  const { company } = useCompany();
  const [ref, setRef] = useState("");
  const save = async (ids: string[]) => {
    await unwrap(api.PATCH("/api/issues/{id}", { params: { path: { id: issue.id } }, body: { blockedByIssueIds: ids } }));
    await onChanged();
  };
  const change = useMutation({ mutationFn: (fn: () => Promise<void>) => fn() });
  const busy = change.isPending;
  const error = change.error;
  const run = (fn: () => Promise<void>) => change.mutate(fn);
  const add = (e: FormEvent) => {
    e.preventDefault();
    const wanted = ref.trim();
    if (!wanted) return;
    run(async () => {
      const other = await unwrap(api.GET("/api/issues/{id}", { params: { path: { id: wanted } } }));
      if (other.id === issue.id) throw new Error("An issue cannot block itself.");
      if (issue.blockedBy.some((b) => b.id === other.id)) throw new Error(`${other.identifier} already blocks this issue.`);
      await save([...issue.blockedBy.map((b) => b.id), other.id]);
      setRef("");
    });
  };
  return (
    <Section title="Blockers">
      <h3>Blocked by</h3>
      {issue.blockedBy.length === 0 ? (
        <p className="empty">Nothing blocks this issue.</p>
      ) : (
        <ul className="plain ref-rows" aria-label="Blocked by">
          {issue.blockedBy.map((r) => (
            <RefRow key={r.id} r={r}>
              <button
                type="button"
                className="secondary small"
                disabled={busy}
                aria-label={`Remove blocker ${r.identifier}`}
                onClick={() => run(() => save(issue.blockedBy.filter((b) => b.id !== r.id).map((b) => b.id)))}
              >
                Remove
              </button>
            </RefRow>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={add}>
        <Field label="Add blocker" hint={`Identifier of the blocking issue, e.g. ${company.issuePrefix}-4.`}>
          {(id, hint) => <input id={id} aria-describedby={hint} value={ref} onChange={(e) => setRef(e.target.value)} className="mono" />}
        </Field>
        <button type="submit" className="secondary" disabled={busy || !ref.trim()}>
          Add blocker
        </button>
      </form>
      <ErrorNote error={error} />
      {issue.blocks.length ? (
        <>
          <h3>Blocks</h3>
          <ul className="plain ref-rows" aria-label="Blocks">
            {issue.blocks.map((r) => (
              <RefRow key={r.id} r={r} />
            ))}
          </ul>
        </>
      ) : null}
    </Section>
  );
}

interface DocDraft {
  key: string;
  title: string;
  body: string;
  baseRevisionId: string | null;
  isNew: boolean;
}

/** The issue's documents (latest revision shown as text) with a create/revise editor. */
export function DocumentsSection({ issueId }: { issueId: string }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const docs = useQuery(queries.issueDocuments(api, issueId));
  const { agents } = useCompany();
  const [draft, setDraft] = useState<DocDraft | null>(null);
  const saveDoc = useMutation({
    mutationFn: (d: DocDraft) =>
      unwrap(
        api.PUT("/api/issues/{id}/documents/{key}", {
          params: { path: { id: issueId, key: d.key.trim() } },
          body: {
            title: d.title.trim() || null,
            body: d.body,
            format: "markdown",
            ...(d.isNew ? {} : { baseRevisionId: d.baseRevisionId }),
          },
        }),
      ),
    onSuccess: () => {
      setDraft(null);
      return queryClient.invalidateQueries({ queryKey: queryKeys.issueDocuments(issueId) });
    },
  });
  const busy = saveDoc.isPending;
  const error = saveDoc.error;
  const edit = (d: IssueDocument | null) => {
    saveDoc.reset();
    setDraft(
      d
        ? { key: d.key, title: d.title ?? "", body: d.body, baseRevisionId: d.latestRevisionId, isNew: false }
        : { key: "", title: "", body: "", baseRevisionId: null, isNew: true },
    );
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    if (draft) saveDoc.mutate(draft);
  };
  return (
    <Section
      title={`Documents${docs.data ? ` (${docs.data.length})` : ""}`}
      actions={
        !draft ? (
          <button type="button" className="secondary small" onClick={() => edit(null)}>
            New document
          </button>
        ) : null
      }
    >
      {draft ? (
        <form className="doc-editor" onSubmit={save} aria-label={draft.isNew ? "New document" : `Edit document ${draft.key}`}>
          <div className="grid-2">
            <Field label="Key" hint="Lower-case letters, digits, - and _ (e.g. plan).">
              {(id, hint) => (
                <input
                  id={id}
                  aria-describedby={hint}
                  required
                  className="mono"
                  value={draft.key}
                  disabled={!draft.isNew}
                  pattern="[a-z0-9][a-z0-9_\-]*"
                  maxLength={64}
                  onChange={(e) => setDraft({ ...draft, key: e.target.value })}
                  autoFocus={draft.isNew}
                />
              )}
            </Field>
            <Field label="Document title">
              {(id) => (
                <input id={id} value={draft.title} maxLength={200} onChange={(e) => setDraft({ ...draft, title: e.target.value })} />
              )}
            </Field>
          </div>
          <Field label="Body">
            {(id) => (
              <textarea
                id={id}
                rows={10}
                className="mono"
                value={draft.body}
                onChange={(e) => setDraft({ ...draft, body: e.target.value })}
                autoFocus={!draft.isNew}
              />
            )}
          </Field>
          <ErrorNote error={error} />
          <div className="row end">
            <button type="button" className="secondary" onClick={() => setDraft(null)}>
              Cancel
            </button>
            <button type="submit" disabled={busy || !draft.key.trim()}>
              {busy ? "Saving…" : "Save document"}
            </button>
          </div>
        </form>
      ) : null}
      <QueryState query={docs} empty={draft ? undefined : "No documents."}>
        {(list) => (
          <div className="docs">
            {list.map((d) => (
              <article key={d.id} className="doc" aria-labelledby={`doc-${d.id}`}>
                <div className="doc-head">
                  <h3 id={`doc-${d.id}`}>
                    <code>{d.key}</code> {d.title ? <span className="doc-title">{d.title}</span> : null}
                  </h3>
                  <span className="muted small">
                    rev {d.latestRevisionNumber} · {relativeTime(d.updatedAt)}
                  </span>
                  <button
                    type="button"
                    className="secondary small"
                    onClick={() => edit(d)}
                    disabled={!!draft}
                    aria-label={`Edit document ${d.key}`}
                  >
                    Edit
                  </button>
                </div>
                <div className="doc-body">
                  {d.format === "markdown" ? <Markdown source={d.body} mentionNames={agents.map((a) => a.name)} /> : <pre>{d.body}</pre>}
                </div>
              </article>
            ))}
          </div>
        )}
      </QueryState>
    </Section>
  );
}

/** What happened to the issue (GET /api/issues/:id/activity). */
export function IssueActivitySection({ issueId }: { issueId: string }) {
  const { base, agentName } = useCompany();
  const feed = useQuery(queries.issueActivity(useApi(), issueId));
  const actor = (e: ActivityEntry) => (e.actorType === "agent" ? agentName(e.actorId) : e.actorType === "user" ? "Board" : "System");
  return (
    <Section title="Activity">
      <QueryState query={feed} empty="No activity yet.">
        {(entries) => (
          <ol className="mini-feed" aria-label="Issue activity">
            {entries.slice(0, 50).map((e) => (
              <li key={e.id}>
                <time dateTime={e.createdAt} title={formatTime(e.createdAt)} className="muted">
                  {relativeTime(e.createdAt)}
                </time>
                <span>
                  <strong>{actor(e)}</strong> · {describeAction(e.action)}
                  {typeof e.details?.status === "string" ? <span className="muted"> → {humanize(e.details.status)}</span> : null}
                  {e.runId ? (
                    <>
                      {" · "}
                      <Link to={`${base}/runs/${e.runId}`} className="muted">
                        run {e.runId.slice(0, 8)}
                      </Link>
                    </>
                  ) : null}
                </span>
              </li>
            ))}
          </ol>
        )}
      </QueryState>
    </Section>
  );
}
