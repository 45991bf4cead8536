import { useQuery } from "@tanstack/react-query";
import { useMemo, useState, type ReactNode } from "react";
import { Link } from "react-router";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { Comment, IssueDetail, IssueRun } from "../api/types.js";
import { InteractionCard } from "../components/interactions/interaction-card.js";
import { Markdown } from "../components/lazy-markdown.js";
import { LiveDuration } from "../components/live-duration.js";
import { QueryState } from "../components/query-state.js";
import { RawLog, Transcript, useRunLog } from "../components/run-output.js";
import { Badge, Empty } from "../components/ui.js";
import { catalogQueries } from "../lib/catalog.js";
import { useCompany } from "../lib/company-context.js";
import { formatTime, relativeTime } from "../lib/format.js";
import { buildTimeline, describeChange, type TimelineEntry } from "../lib/issue-timeline.js";
import { humanize, isLiveRun, statusTone } from "../lib/status.js";

/**
 * The issue as one conversation: its description, then comments, interaction cards, runs (as
 * collapsible cards with live output) and status/assignment changes in the order they happened.
 */
export function IssueConversation({ issue: i, description }: { issue: IssueDetail; description: ReactNode }) {
  const api = useApi();
  const { company } = useCompany();
  const comments = useQuery(queries.issueComments(api, i.id));
  const interactions = useQuery(queries.issueInteractions(api, i.id));
  const runs = useQuery(queries.issueRuns(api, i.id));
  const activity = useQuery(queries.issueActivity(api, i.id));
  const projects = useQuery(catalogQueries.projects(api, company.id)).data;
  const goals = useQuery(catalogQueries.goals(api, company.id)).data;
  // Comments are the conversation: the other lists are additive, so their failure alone does not
  // hide it (each shows its own error above the thread).
  const data = useMemo<TimelineEntry[] | undefined>(
    () =>
      comments.data
        ? buildTimeline({
            comments: comments.data,
            interactions: interactions.data ?? [],
            runs: runs.data ?? [],
            activity: activity.data ?? [],
          })
        : undefined,
    [comments.data, interactions.data, runs.data, activity.data],
  );
  const latestRunId = runs.data?.[0]?.runId;
  const names = {
    project: (id: string | null) => projects?.find((p) => p.id === id)?.name ?? "(unknown)",
    goal: (id: string | null) => goals?.find((g) => g.id === id)?.title ?? "(unknown)",
  };
  const query = {
    data,
    error: comments.error ?? interactions.error ?? runs.error,
    refetch: () => {
      void comments.refetch();
      void interactions.refetch();
      void runs.refetch();
      void activity.refetch();
    },
  };
  return (
    <QueryState query={query}>
      {(entries) => (
        <ol className="timeline" aria-label="Conversation">
          <li className="tl-description" aria-label="Description">
            {description}
          </li>
          {entries.map((entry) => (
            <TimelineItem key={entry.key} entry={entry} latestRunId={latestRunId} names={names} issuePrefix={company.issuePrefix} />
          ))}
          {entries.length === 0 ? (
            <li className="tl-event">
              <Empty>
                {i.assigneeAgentId
                  ? "No comments or runs yet. The assignee is woken when the issue is assigned or commented on."
                  : "No comments or runs yet. Assign the issue to an agent to start work."}
              </Empty>
            </li>
          ) : null}
        </ol>
      )}
    </QueryState>
  );
}

function TimelineItem({
  entry,
  latestRunId,
  names,
  issuePrefix,
}: {
  entry: TimelineEntry;
  latestRunId: string | undefined;
  names: { project: (id: string | null) => string; goal: (id: string | null) => string };
  issuePrefix: string;
}) {
  const { agentName } = useCompany();
  switch (entry.kind) {
    case "comment":
      return <CommentItem comment={entry.comment} issuePrefix={issuePrefix} />;
    case "interaction":
      return (
        <li className="thread-card tl-card">
          <InteractionCard interaction={entry.interaction} />
        </li>
      );
    case "run":
      return <RunCard run={entry.run} latest={entry.run.runId === latestRunId} />;
    case "event": {
      const e = entry.event;
      const actor = e.actorType === "agent" ? agentName(e.actorId) : e.actorType === "user" ? "Board" : "System";
      const text =
        e.action === "issue.created"
          ? "created the issue"
          : entry.changes.map((c) => describeChange(c, { agent: (id) => agentName(id), ...names })).join(", ");
      return (
        <li className="tl-event" data-activity-id={e.id}>
          <strong>{actor}</strong> {text}{" "}
          <time dateTime={e.createdAt} title={formatTime(e.createdAt)}>
            · {relativeTime(e.createdAt)}
          </time>
        </li>
      );
    }
  }
}

function CommentItem({ comment: c, issuePrefix }: { comment: Comment; issuePrefix: string }) {
  const { base, agents, agentName } = useCompany();
  const mentionNames = useMemo(() => agents.map((a) => a.name), [agents]);
  return (
    <li className={`comment from-${c.authorType}`} data-comment-id={c.id}>
      <div className="tl-head">
        <strong>{c.authorType === "agent" ? agentName(c.authorAgentId) : c.authorType === "user" ? "Board" : "System"}</strong>
        <time className="muted" dateTime={c.createdAt} title={formatTime(c.createdAt)}>
          {relativeTime(c.createdAt)}
        </time>
        {c.createdByRunId ? (
          <Link to={`${base}/runs/${c.createdByRunId}`} className="muted">
            from run {c.createdByRunId.slice(0, 8)}
          </Link>
        ) : null}
      </div>
      <Markdown source={c.body} mentionNames={mentionNames} issuePrefix={issuePrefix} />
    </li>
  );
}

/** A run as a card: open while live and for the latest run; its output streams in while open. */
function RunCard({ run: r, latest }: { run: IssueRun; latest: boolean }) {
  const { agentName } = useCompany();
  const live = isLiveRun(r.status);
  // Open while live and for the latest run, unless the person toggled it: an older run folds
  // away once it finished and a newer one exists.
  const [toggled, setToggled] = useState<boolean | null>(null);
  const open = toggled ?? (live || latest);
  const tone = statusTone(r.status);
  return (
    <li className="tl-run" data-run-id={r.runId}>
      <details
        className={`run-card${tone === "good" ? " run-done" : tone === "bad" ? " run-bad" : ""}`}
        open={open}
        onToggle={(e) => {
          if (e.currentTarget.open !== open) setToggled(e.currentTarget.open);
        }}
      >
        <summary>
          <Badge status={r.status} />
          <strong>Run {r.runId.slice(0, 8)}</strong>
          <span>{agentName(r.agentId)}</span>
          <span className="muted">{humanize(r.invocationSource)}</span>
          <LiveDuration startedAt={r.startedAt} finishedAt={r.finishedAt} />
          {r.errorCode ? <span className="error-text">{r.errorCode}</span> : null}
        </summary>
        {open ? <RunCardBody run={r} live={live} /> : null}
      </details>
    </li>
  );
}

function RunCardBody({ run: r, live }: { run: IssueRun; live: boolean }) {
  const { base } = useCompany();
  const log = useRunLog(r.runId);
  const summary = typeof r.resultJson?.summary === "string" ? r.resultJson.summary : "";
  return (
    <div className="run-card-body">
      {summary ? <Markdown source={summary} /> : null}
      <Transcript lines={log.lines} live={live} label={`Transcript of run ${r.runId.slice(0, 8)}`} />
      <div className="row">
        <Link to={`${base}/runs/${r.runId}`} className="button secondary small">
          Open run
        </Link>
        {!live ? <RawLog raw={log.raw} /> : null}
      </div>
    </div>
  );
}
