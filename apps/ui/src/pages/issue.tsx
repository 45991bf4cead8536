import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent, type KeyboardEvent } from "react";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { IssueDetail } from "../api/types.js";
import { AttachmentsSection } from "../components/attachments.js";
import { IssueLabelsSection } from "../components/issue-labels.js";
import { LabelChips } from "../components/label-chip.js";
import { Markdown } from "../components/lazy-markdown.js";
import { MentionTextarea } from "../components/mention-textarea.js";
import { QueryState } from "../components/query-state.js";
import { Badge, Empty, ErrorNote, Field, PageTitle } from "../components/ui.js";
import { useReadOnly } from "../lib/use-read-only.js";
import { useCompany } from "../lib/company-context.js";
import { relativeTime } from "../lib/format.js";
import { queryKeys } from "../lib/query-keys.js";
import { PATHS, useRouteParams } from "../lib/routes.js";
import { humanize } from "../lib/status.js";
import { IssueProperties } from "./issue-rail.js";
import { BlockersSection, DocumentsSection, EditIssueForm, LockSection, SubIssuesSection } from "./issue-sections.js";
import { IssueConversation } from "./issue-timeline.js";

/** /c/:companyId/issues/:ref — the reference is an identifier (ACM-4) or an id. */
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

/**
 * One issue: the conversation (description, comments, runs, changes, interaction cards) with the
 * composer pinned under it, and a compact rail of properties, labels, blockers and the lock. Sub-issues,
 * documents and attachments follow the conversation.
 */
function IssueView({ issue: i }: { issue: IssueDetail }) {
  const { agents, company } = useCompany();
  const runs = useQuery(queries.issueRuns(useApi(), i.id));
  const refresh = useIssueRefresh(i.id);
  const [editing, setEditing] = useState(false);
  const readOnly = useReadOnly(company.id);
  const mentionNames = agents.map((a) => a.name);

  const description = editing ? (
    <EditIssueForm
      issue={i}
      onDone={(saved) => {
        setEditing(false);
        if (saved) void refresh();
      }}
    />
  ) : (
    <>
      <div className="tl-head">
        <strong>Description</strong>
        <span className="muted grow">updated {relativeTime(i.updatedAt)}</span>
        <button type="button" className="secondary small" onClick={() => setEditing(true)}>
          Edit
        </button>
      </div>
      {i.description ? (
        <Markdown source={i.description} mentionNames={mentionNames} issuePrefix={company.issuePrefix} />
      ) : (
        <Empty>No description.</Empty>
      )}
    </>
  );

  return (
    <article className="issue-page">
      <PageTitle title={`${i.identifier} ${i.title}`}>
        <span className="muted ident">{i.identifier}</span> {i.title}
      </PageTitle>
      <div className="meta-row">
        <Badge status={i.status} />
        <span className={`priority prio-${i.priority}`}>{humanize(i.priority)} priority</span>
        <LabelChips labels={i.labels} />
      </div>
      {readOnly ? <p className="callout">You are a viewer in this company: you can read this issue but not change it.</p> : null}
      {/* A disabled fieldset disables every button, field and select inside it (a viewer only reads). */}
      <fieldset className="read-only-scope" disabled={readOnly}>
        <div className="issue-layout">
          <div className="issue-main">
            <div className="conversation">
              <IssueConversation issue={i} description={description} />
              <Composer issueId={i.id} hasAssignee={!!i.assigneeAgentId} />
            </div>
            <div className="issue-more">
              <SubIssuesSection issue={i} onChanged={refresh} />
              <DocumentsSection issueId={i.id} />
              <AttachmentsSection issue={i} />
            </div>
          </div>
          <aside className="issue-rail side-col" aria-label="Issue properties">
            <IssueProperties issue={i} onChanged={refresh} />
            <IssueLabelsSection issue={i} onChanged={refresh} />
            <BlockersSection issue={i} onChanged={refresh} />
            <LockSection issue={i} runs={runs.data} onReleased={refresh} />
          </aside>
        </div>
      </fieldset>
    </article>
  );
}

/** The comment box under the conversation, pinned to the bottom of the window while it scrolls. */
function Composer({ issueId, hasAssignee }: { issueId: string; hasAssignee: boolean }) {
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
    if (body.trim() && !post.isPending) post.mutate();
  };
  // ⌘/Ctrl+Enter posts, as in most chat boxes (plain Enter is a new line; the mention list uses it too).
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) submit(e);
  };
  return (
    <form className="composer comment-form" onSubmit={submit} onKeyDown={onKeyDown}>
      <Field label="Add a comment">
        {(id) => <MentionTextarea id={id} rows={2} value={body} onChange={setBody} candidates={candidates} />}
      </Field>
      <ErrorNote error={post.error} />
      <div className="composer-row">
        <span className="hint">
          Markdown; @ mentions an agent (and wakes it).{hasAssignee ? " Posting wakes the assignee." : ""} <kbd>Ctrl</kbd>+<kbd>Enter</kbd>{" "}
          posts.
        </span>
        <button type="submit" disabled={post.isPending || !body.trim()}>
          {post.isPending ? "Posting…" : "Post comment"}
        </button>
      </div>
    </form>
  );
}
