import { useState, type FormEvent } from "react";
import { ISSUE_PRIORITIES } from "@staple/contracts";
import { api } from "../api/client.js";
import type { IssueDetail, IssueRun } from "../api/types.js";
import { MentionTextarea } from "../components/mention-textarea.js";
import { RawLog, Transcript, useRunLog } from "../components/run-output.js";
import { Badge, Empty, ErrorNote, Field, Loading, PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { duration, formatTime, relativeTime } from "../lib/format.js";
import { useLiveEvents } from "../lib/live-context.js";
import { isFinishedRunStatus, reduceRuns } from "../lib/live.js";
import { Link } from "../lib/router.js";
import { ALL_ISSUE_STATUSES, humanize, isLiveRun } from "../lib/status.js";
import { useResource } from "../lib/use-resource.js";
import { BlockersSection, DocumentsSection, EditIssueForm, IssueActivitySection, LockSection, SubIssuesSection } from "./issue-sections.js";

export function IssuePage({ issueRef }: { issueRef: string }) {
  const { base, agents, agentName } = useCompany();
  // Runs take and clear the issue's lock without logging activity: refetch on their status changes too.
  const issue = useResource<IssueDetail>(`issue:${issueRef}`, () => api.issues.get(issueRef), (e) =>
    (e.type === "activity.logged" && e.payload.entityType === "issue" && (!issueId || e.payload.entityId === issueId)) ||
    e.type === "heartbeat.run.status" ||
    e.type === "heartbeat.run.queued",
  );
  const issueId: string | undefined = issue.data?.id;
  const runs = useResource(issueId ? `runs:${issueId}` : null, () => api.issues.runs(issueId!), (e) =>
    e.type === "heartbeat.run.queued" || (e.type === "activity.logged" && e.payload.entityId === issueId) || (e.type === "heartbeat.run.status" && isFinishedRunStatus(String(e.payload.status))),
  );
  const comments = useResource(issueId ? `comments:${issueId}` : null, () => api.issues.comments(issueId!), { issueId });
  // Run status changes apply at once from the event itself; the list refetch above fills in the rest.
  useLiveEvents((event) => {
    if (event.type === "heartbeat.run.status") runs.setData((list) => (list ? (reduceRuns(list, event, (r) => r.runId) as IssueRun[]) : list));
  });

  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState(false);
  const update = async (body: Parameters<typeof api.issues.update>[1]) => {
    setBusy(true);
    setError(null);
    try {
      await api.issues.update(issueRef, body);
      issue.reload();
      runs.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (issue.error && !issue.data) return <ErrorNote error={issue.error} />;
  if (!issue.data) return <Loading />;
  const i = issue.data;
  const latest = runs.data?.[0];

  return (
    <article className="issue-page">
      <PageTitle title={`${i.identifier} ${i.title}`}>
        <span className="muted ident">{i.identifier}</span> {i.title}
      </PageTitle>
      <div className="meta-row">
        <Badge status={i.status} />
        <span className={`priority prio-${i.priority}`}>{humanize(i.priority)} priority</span>
        <span>
          Assignee:{" "}
          {i.assigneeAgentId ? <Link to={`${base}/agents/${i.assigneeAgentId}`}>{agentName(i.assigneeAgentId)}</Link> : <span className="muted">nobody</span>}
        </span>
        <span className="muted">Updated {relativeTime(i.updatedAt)}</span>
      </div>

      <div className="two-col">
        <div className="main-col">
          <Section
            title="Description"
            actions={
              !editing ? (
                <button type="button" className="secondary small" onClick={() => setEditing(true)}>
                  Edit
                </button>
              ) : null
            }
          >
            {editing ? (
              <EditIssueForm
                issue={i}
                onDone={(saved) => {
                  setEditing(false);
                  if (saved) issue.reload();
                }}
              />
            ) : i.description ? (
              <p className="prose">{i.description}</p>
            ) : (
              <Empty>No description.</Empty>
            )}
            {i.ancestors.length ? (
              <p className="muted">
                Part of{" "}
                {i.ancestors.map((a) => (
                  <Link key={a.id} to={`${base}/issues/${a.identifier}`}>
                    {a.identifier} {a.title}
                  </Link>
                ))}
              </p>
            ) : null}
          </Section>

          <SubIssuesSection issue={i} onChanged={() => issue.reload()} />
          <DocumentsSection issueId={i.id} />

          <Section title="Runs" id="runs-heading">
            {!runs.data ? (
              <Loading />
            ) : runs.data.length === 0 ? (
              <Empty>{i.assigneeAgentId ? "No runs yet. The assignee is woken when the issue is assigned or commented on." : "No runs yet. Assign the issue to an agent to start work."}</Empty>
            ) : (
              <ul className="run-list" aria-label="Runs of this issue">
                {runs.data.map((r) => (
                  <li key={r.runId} data-run-id={r.runId}>
                    <Badge status={r.status} />
                    <Link to={`${base}/runs/${r.runId}`}>Run {r.runId.slice(0, 8)}</Link>
                    <span>{agentName(r.agentId)}</span>
                    <span className="muted">{humanize(r.invocationSource)}</span>
                    <span className="muted">{r.startedAt ? `${formatTime(r.startedAt)} · ${duration(r.startedAt, r.finishedAt)}` : "not started"}</span>
                    {r.errorCode ? <span className="error-text">{r.errorCode}</span> : null}
                  </li>
                ))}
              </ul>
            )}
          </Section>

          {latest ? <LatestRunOutput key={latest.runId} run={latest} /> : null}

          <Section title={`Comments${comments.data ? ` (${comments.data.length})` : ""}`}>
            {!comments.data ? (
              <Loading />
            ) : comments.data.length === 0 ? (
              <Empty>No comments yet.</Empty>
            ) : (
              <ol className="comments" aria-label="Comments">
                {comments.data.map((c) => (
                  <li key={c.id} className={`comment from-${c.authorType}`}>
                    <div className="comment-head">
                      <strong>{c.authorType === "agent" ? agentName(c.authorAgentId) : c.authorType === "user" ? "Board" : "System"}</strong>
                      <span className="muted">{formatTime(c.createdAt)}</span>
                      {c.createdByRunId ? (
                        <Link to={`${base}/runs/${c.createdByRunId}`} className="muted">
                          from run {c.createdByRunId.slice(0, 8)}
                        </Link>
                      ) : null}
                    </div>
                    <p className="prose">{c.body}</p>
                  </li>
                ))}
              </ol>
            )}
            <CommentForm issueRef={i.id} hasAssignee={!!i.assigneeAgentId} onPosted={() => comments.reload()} />
          </Section>
          <IssueActivitySection issueId={i.id} />
        </div>

        <aside className="side-col" aria-label="Issue properties">
          <Section title="Properties">
            <Field label="Status">
              {(id) => (
                <select id={id} value={i.status} disabled={busy} onChange={(e) => update({ status: e.target.value as typeof i.status })}>
                  {ALL_ISSUE_STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {humanize(s)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Assignee">
              {(id) => (
                <select id={id} value={i.assigneeAgentId ?? ""} disabled={busy} onChange={(e) => update({ assigneeAgentId: e.target.value || null })}>
                  <option value="">Unassigned</option>
                  {agents
                    .filter((a) => a.status !== "terminated")
                    .map((a) => (
                      <option key={a.id} value={a.id}>
                        {a.name}
                      </option>
                    ))}
                </select>
              )}
            </Field>
            <Field label="Priority">
              {(id) => (
                <select id={id} value={i.priority} disabled={busy} onChange={(e) => update({ priority: e.target.value as typeof i.priority })}>
                  {ISSUE_PRIORITIES.map((p) => (
                    <option key={p} value={p}>
                      {humanize(p)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {i.status !== "cancelled" && i.status !== "done" ? (
              <button type="button" className="danger" disabled={busy} onClick={() => update({ status: "cancelled" })}>
                Cancel issue
              </button>
            ) : null}
            <ErrorNote error={error} />
          </Section>
          <LockSection
            issue={i}
            runs={runs.data}
            onReleased={() => {
              issue.reload();
              runs.reload();
            }}
          />
          <BlockersSection issue={i} onChanged={() => issue.reload()} />
        </aside>
      </div>
    </article>
  );
}

function LatestRunOutput({ run }: { run: IssueRun }) {
  const { base } = useCompany();
  const log = useRunLog(run.runId);
  const live = isLiveRun(run.status);
  return (
    <Section
      title={live ? "Latest run (live)" : "Latest run output"}
      actions={
        <Link to={`${base}/runs/${run.runId}`} className="button secondary small">
          Open run
        </Link>
      }
    >
      <p className="meta-row">
        <Badge status={run.status} /> <span className="muted">{run.resultJson?.summary ?? ""}</span>
      </p>
      <Transcript lines={log.lines} live={live} label="Latest run transcript" />
      {!live ? <RawLog raw={log.raw} /> : null}
    </Section>
  );
}

function CommentForm({ issueRef, hasAssignee, onPosted }: { issueRef: string; hasAssignee: boolean; onPosted: () => void }) {
  const { agents } = useCompany();
  const candidates = agents.filter((a) => a.status !== "terminated").map((a) => ({ id: a.id, name: a.name }));
  const [body, setBody] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!body.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await api.issues.comment(issueRef, body.trim());
      setBody("");
      onPosted();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="comment-form" onSubmit={submit}>
      <Field label="Add a comment" hint={`Type @ to mention an agent (a mention wakes it).${hasAssignee ? " Posting wakes the assignee." : ""}`}>
        {(id, hint) => <MentionTextarea id={id} describedBy={hint} rows={3} value={body} onChange={setBody} candidates={candidates} />}
      </Field>
      <ErrorNote error={error} />
      <div className="row end">
        <button type="submit" disabled={busy || !body.trim()}>
          {busy ? "Posting…" : "Post comment"}
        </button>
      </div>
    </form>
  );
}
