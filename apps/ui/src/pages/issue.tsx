import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { ISSUE_PRIORITIES } from "@staple/contracts";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { Comment, Interaction, IssueDetail, IssueRun, UpdateIssueInput } from "../api/types.js";
import { AttachmentsSection } from "../components/attachments.js";
import { InteractionCard } from "../components/interactions/interaction-card.js";
import { IssueLabelsSection } from "../components/issue-labels.js";
import { LabelChips } from "../components/label-chip.js";
import { Markdown } from "../components/lazy-markdown.js";
import { MentionTextarea } from "../components/mention-textarea.js";
import { QueryState } from "../components/query-state.js";
import { RawLog, Transcript, useRunLog } from "../components/run-output.js";
import { Badge, Empty, ErrorNote, Field, PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { duration, formatTime, relativeTime } from "../lib/format.js";
import { queryKeys } from "../lib/query-keys.js";
import { mergeThread, type ThreadEntry } from "../lib/interactions.js";
import { PATHS, useRouteParams } from "../lib/routes.js";
import { ALL_ISSUE_STATUSES, humanize, isLiveRun } from "../lib/status.js";
import { BlockersSection, DocumentsSection, EditIssueForm, IssueActivitySection, LockSection, SubIssuesSection } from "./issue-sections.js";

/** /c/:companyId/issues/:ref — the reference is an identifier (ACME-4) or an id. */
export function IssueRoute() {
  const { ref } = useRouteParams(PATHS.issue);
  return <IssuePage key={ref} issueRef={ref} />;
}

export function IssuePage({ issueRef }: { issueRef: string }) {
  const issue = useQuery(queries.issuePage(useApi(), issueRef));
  return <QueryState query={issue}>{(i) => <IssueView issue={i} />}</QueryState>;
}

/** Refreshes everything shown for an issue after a change made here. */
export function useIssueRefresh(issueId: string) {
  const queryClient = useQueryClient();
  return () =>
    Promise.all(
      [queryKeys.issuePages(), queryKeys.issue(issueId), queryKeys.issueRuns(issueId)].map((queryKey) =>
        queryClient.invalidateQueries({ queryKey }),
      ),
    );
}

function IssueView({ issue: i }: { issue: IssueDetail }) {
  const { base, agents, agentName } = useCompany();
  const api = useApi();
  const runs = useQuery(queries.issueRuns(api, i.id));
  const comments = useQuery(queries.issueComments(api, i.id));
  const interactions = useQuery(queries.issueInteractions(api, i.id));
  const thread = useThread(comments, interactions);
  const refresh = useIssueRefresh(i.id);
  const [editing, setEditing] = useState(false);
  const update = useMutation({
    mutationFn: (body: UpdateIssueInput) => unwrap(api.PATCH("/api/issues/{id}", { params: { path: { id: i.id } }, body })),
    onSettled: refresh,
  });
  const busy = update.isPending;
  const latest = runs.data?.[0];
  const mentionNames = agents.map((a) => a.name);

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
          {i.assigneeAgentId ? (
            <Link to={`${base}/agents/${i.assigneeAgentId}`}>{agentName(i.assigneeAgentId)}</Link>
          ) : (
            <span className="muted">nobody</span>
          )}
        </span>
        <span className="muted">Updated {relativeTime(i.updatedAt)}</span>
        <LabelChips labels={i.labels} />
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
                  if (saved) void refresh();
                }}
              />
            ) : i.description ? (
              <Markdown source={i.description} mentionNames={mentionNames} />
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

          <SubIssuesSection issue={i} onChanged={refresh} />
          <DocumentsSection issueId={i.id} />
          <AttachmentsSection issue={i} />

          <Section title="Runs" id="runs-heading">
            <QueryState
              query={runs}
              empty={
                i.assigneeAgentId
                  ? "No runs yet. The assignee is woken when the issue is assigned or commented on."
                  : "No runs yet. Assign the issue to an agent to start work."
              }
            >
              {(list) => (
                <ul className="run-list" aria-label="Runs of this issue">
                  {list.map((r) => (
                    <li key={r.runId} data-run-id={r.runId}>
                      <Badge status={r.status} />
                      <Link to={`${base}/runs/${r.runId}`}>Run {r.runId.slice(0, 8)}</Link>
                      <span>{agentName(r.agentId)}</span>
                      <span className="muted">{humanize(r.invocationSource)}</span>
                      <span className="muted">
                        {r.startedAt ? `${formatTime(r.startedAt)} · ${duration(r.startedAt, r.finishedAt)}` : "not started"}
                      </span>
                      {r.errorCode ? <span className="error-text">{r.errorCode}</span> : null}
                    </li>
                  ))}
                </ul>
              )}
            </QueryState>
          </Section>

          {latest ? <LatestRunOutput key={latest.runId} run={latest} /> : null}

          <Section title={`Comments${comments.data ? ` (${comments.data.length})` : ""}`}>
            <QueryState query={thread} empty="No comments yet.">
              {(list) => (
                <ol className="comments" aria-label="Comments">
                  {list.map((entry) =>
                    entry.kind === "interaction" ? (
                      <li key={entry.interaction.id} className="thread-card">
                        <InteractionCard interaction={entry.interaction} />
                      </li>
                    ) : (
                      <li key={entry.comment.id} className={`comment from-${entry.comment.authorType}`}>
                        <div className="comment-head">
                          <strong>
                            {entry.comment.authorType === "agent"
                              ? agentName(entry.comment.authorAgentId)
                              : entry.comment.authorType === "user"
                                ? "Board"
                                : "System"}
                          </strong>
                          <span className="muted">{formatTime(entry.comment.createdAt)}</span>
                          {entry.comment.createdByRunId ? (
                            <Link to={`${base}/runs/${entry.comment.createdByRunId}`} className="muted">
                              from run {entry.comment.createdByRunId.slice(0, 8)}
                            </Link>
                          ) : null}
                        </div>
                        <Markdown source={entry.comment.body} mentionNames={mentionNames} />
                      </li>
                    ),
                  )}
                </ol>
              )}
            </QueryState>
            <CommentForm issueId={i.id} hasAssignee={!!i.assigneeAgentId} />
          </Section>
          <IssueActivitySection issueId={i.id} />
        </div>

        <aside className="side-col" aria-label="Issue properties">
          <Section title="Properties">
            <Field label="Status">
              {(id) => (
                <select
                  id={id}
                  value={i.status}
                  disabled={busy}
                  onChange={(e) => update.mutate({ status: e.target.value as typeof i.status })}
                >
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
                <select
                  id={id}
                  value={i.assigneeAgentId ?? ""}
                  disabled={busy}
                  onChange={(e) => update.mutate({ assigneeAgentId: e.target.value || null })}
                >
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
                <select
                  id={id}
                  value={i.priority}
                  disabled={busy}
                  onChange={(e) => update.mutate({ priority: e.target.value as typeof i.priority })}
                >
                  {ISSUE_PRIORITIES.map((p) => (
                    <option key={p} value={p}>
                      {humanize(p)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {i.status !== "cancelled" && i.status !== "done" ? (
              <button type="button" className="danger" disabled={busy} onClick={() => update.mutate({ status: "cancelled" })}>
                Cancel issue
              </button>
            ) : null}
            <ErrorNote error={update.error} />
          </Section>
          <IssueLabelsSection issue={i} onChanged={refresh} />
          <LockSection issue={i} runs={runs.data} onReleased={refresh} />
          <BlockersSection issue={i} onChanged={refresh} />
        </aside>
      </div>
    </article>
  );
}

/**
 * Comments and interaction cards as one query-like value for QueryState: data once both lists
 * arrived, the first error otherwise (cards are additive, so a card error alone still shows the
 * comments, with the error above them).
 */
function useThread(
  comments: { data?: Comment[]; error: unknown; refetch: () => unknown },
  interactions: { data?: Interaction[]; error: unknown; refetch: () => unknown },
) {
  const data = useMemo<ThreadEntry[] | undefined>(
    () => (comments.data && (interactions.data || interactions.error) ? mergeThread(comments.data, interactions.data ?? []) : undefined),
    [comments.data, interactions.data, interactions.error],
  );
  return {
    data,
    error: comments.error ?? interactions.error,
    refetch: () => {
      void comments.refetch();
      void interactions.refetch();
    },
  };
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
        <Badge status={run.status} />
      </p>
      {typeof run.resultJson?.summary === "string" && run.resultJson.summary ? <Markdown source={run.resultJson.summary} /> : null}
      <Transcript lines={log.lines} live={live} label="Latest run transcript" />
      {!live ? <RawLog raw={log.raw} /> : null}
    </Section>
  );
}

function CommentForm({ issueId, hasAssignee }: { issueId: string; hasAssignee: boolean }) {
  const { agents } = useCompany();
  const api = useApi();
  const queryClient = useQueryClient();
  const candidates = agents.filter((a) => a.status !== "terminated").map((a) => ({ id: a.id, name: a.name }));
  const [body, setBody] = useState("");
  const post = useMutation({
    mutationFn: () => unwrap(api.POST("/api/issues/{id}/comments", { params: { path: { id: issueId } }, body: { body: body.trim() } })),
    onSuccess: () => {
      setBody("");
      // The issue's whole family: a board comment may also supersede pending interaction cards.
      return queryClient.invalidateQueries({ queryKey: queryKeys.issue(issueId) });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (body.trim()) post.mutate();
  };
  return (
    <form className="comment-form" onSubmit={submit}>
      <Field
        label="Add a comment"
        hint={`Type @ to mention an agent (a mention wakes it).${hasAssignee ? " Posting wakes the assignee." : ""}`}
      >
        {(id, hint) => <MentionTextarea id={id} describedBy={hint} rows={3} value={body} onChange={setBody} candidates={candidates} />}
      </Field>
      <ErrorNote error={post.error} />
      <div className="row end">
        <button type="submit" disabled={post.isPending || !body.trim()}>
          {post.isPending ? "Posting…" : "Post comment"}
        </button>
      </div>
    </form>
  );
}
