import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { Approval } from "../api/types.js";
import { APPROVAL_TYPE_LABELS, availableDecisions, summarizePayload } from "../lib/approvals.js";
import { useCompany } from "../lib/company-context.js";
import { formatTime, relativeTime } from "../lib/format.js";
import { decisionTone } from "../lib/interactions.js";
import { queryKeys } from "../lib/query-keys.js";
import { Markdown } from "./lazy-markdown.js";
import { QueryState } from "./query-state.js";
import { Badge, ErrorNote } from "./ui.js";

type Decision = "approve" | "reject" | "request-revision";
const DECISION_LABELS: Record<Decision, string> = { approve: "Approve", reject: "Reject", "request-revision": "Request revision" };

/** Who asked: the requesting agent (linked), the board, or the system (a budget hard stop). */
function Requester({ approval: a }: { approval: Approval }) {
  const { base, agentName } = useCompany();
  if (a.requestedByAgentId) return <Link to={`${base}/agents/${a.requestedByAgentId}`}>{agentName(a.requestedByAgentId)}</Link>;
  if (a.requestedByUserId) return <span>Board</span>;
  return <span>System{a.type === "budget_override_required" ? " (budget hard stop)" : ""}</span>;
}

/**
 * One approval: a header row that expands to the request's summary, linked issues, comments and,
 * while the board can still decide, a note with approve / reject / request revision. The decision
 * buttons go away once the approval is decided (the server refuses a second, different decision).
 */
export function ApprovalCard({
  approval: a,
  defaultOpen = false,
  showOwnLink = true,
}: {
  approval: Approval;
  defaultOpen?: boolean;
  showOwnLink?: boolean;
}) {
  const { base } = useCompany();
  const [open, setOpen] = useState(defaultOpen);
  const bodyId = useId();
  return (
    <article className={`approval status-${a.status}`} aria-label={`${APPROVAL_TYPE_LABELS[a.type]} approval`} data-approval-id={a.id}>
      <div className="approval-head">
        <button type="button" className="disclosure" aria-expanded={open} aria-controls={bodyId} onClick={() => setOpen(!open)}>
          <span aria-hidden="true">{open ? "▾" : "▸"}</span> {APPROVAL_TYPE_LABELS[a.type]}
        </button>
        <Badge status={a.status} tone={decisionTone(a.status)} />
        <span className="muted small approval-who">
          from <Requester approval={a} /> ·{" "}
          <time dateTime={a.createdAt} title={formatTime(a.createdAt)}>
            {relativeTime(a.createdAt)}
          </time>
        </span>
        <span className="approval-gist">
          <PayloadGist approval={a} />
        </span>
        {showOwnLink ? (
          <Link to={`${base}/approvals/${a.id}`} className="small">
            Open
          </Link>
        ) : null}
      </div>
      {open ? (
        <div id={bodyId} className="approval-body">
          <ApprovalDetails approval={a} />
        </div>
      ) : null}
    </article>
  );
}

/** The name of the budget scope a budget override names (agents from the company context, projects fetched). */
function useScopeName(a: Approval): string | null {
  const { company, agentName } = useCompany();
  const p = a.payload as { scopeType?: unknown; scopeId?: unknown };
  const isProject = a.type === "budget_override_required" && p.scopeType === "project" && typeof p.scopeId === "string";
  const project = useQuery({ ...projectQuery(useApi(), isProject ? (p.scopeId as string) : ""), enabled: isProject });
  if (a.type !== "budget_override_required" || typeof p.scopeId !== "string") return null;
  if (p.scopeType === "agent") return agentName(p.scopeId);
  if (p.scopeType === "company") return company.name;
  if (p.scopeType === "project") return project.data?.name ?? null;
  return null;
}

function projectQuery(api: ReturnType<typeof useApi>, projectId: string) {
  return {
    queryKey: ["project", projectId] as const,
    queryFn: () => unwrap(api.GET("/api/projects/{id}", { params: { path: { id: projectId } } })),
  };
}

/** One line in the collapsed row: the hire's name or the budget scope and overage. */
function PayloadGist({ approval }: { approval: Approval }) {
  const rows = summarizePayload(approval, useScopeName(approval));
  const pick = (label: string) => rows.find((r) => r.label === label)?.value;
  const text =
    approval.type === "hire_agent"
      ? [pick("Agent"), pick("Role"), pick("Adapter")].filter(Boolean).join(" · ")
      : approval.type === "budget_override_required"
        ? [pick("Scope"), pick("Spent") && pick("Budget") ? `${pick("Spent")} of ${pick("Budget")}` : null].filter(Boolean).join(" · ")
        : (pick("Title") ?? pick("Summary") ?? "");
  return text ? <span>{text}</span> : null;
}

function ApprovalDetails({ approval: a }: { approval: Approval }) {
  const { base, agentName } = useCompany();
  const api = useApi();
  const rows = summarizePayload(a, useScopeName(a));
  const issues = useQuery(queries.approvalIssues(api, a.id));
  const hiredAgentId = a.type === "hire_agent" && typeof a.payload.agentId === "string" ? a.payload.agentId : null;
  return (
    <>
      {rows.length ? (
        <dl className="kv approval-summary">
          {rows.map((r) => (
            <div key={r.label} className="kv-row">
              <dt>{r.label}</dt>
              <dd>{r.label === "Agent" && hiredAgentId ? <Link to={`${base}/agents/${hiredAgentId}`}>{r.value}</Link> : r.value}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      <details className="raw-log">
        <summary>Full request (JSON)</summary>
        <pre>{JSON.stringify(a.payload, null, 2)}</pre>
      </details>
      <h3>Linked issues</h3>
      <QueryState query={issues} empty="No linked issues.">
        {(list) => (
          <ul className="plain ref-rows" aria-label="Linked issues">
            {list.map((i) => (
              <li key={i.id}>
                <Badge status={i.status} /> <Link to={`${base}/issues/${i.identifier}`}>{i.identifier}</Link>{" "}
                <span className="grow">{i.title}</span>
              </li>
            ))}
          </ul>
        )}
      </QueryState>
      <ApprovalComments approvalId={a.id} />
      {a.decidedAt || a.decisionNote ? (
        <div className="decision-record">
          <h3>Decision</h3>
          <p>
            <Badge status={a.status} tone={decisionTone(a.status)} />{" "}
            {a.decidedAt ? <span className="muted small">{formatTime(a.decidedAt)}</span> : null}
          </p>
          {a.decisionNote ? <Markdown source={a.decisionNote} /> : <p className="muted small">No note.</p>}
        </div>
      ) : null}
      {a.status === "revision_requested" ? (
        <p className="muted small">
          Waiting for {a.requestedByAgentId ? agentName(a.requestedByAgentId) : "the requester"} to resubmit; the board may still decide
          now.
        </p>
      ) : null}
      <DecisionForm approval={a} />
    </>
  );
}

function ApprovalComments({ approvalId }: { approvalId: string }) {
  const { agentName } = useCompany();
  const api = useApi();
  const queryClient = useQueryClient();
  const comments = useQuery(queries.approvalComments(api, approvalId));
  const [body, setBody] = useState("");
  const fieldId = useId();
  const post = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/approvals/{id}/comments", { params: { path: { id: approvalId } }, body: { body: body.trim() } })),
    onSuccess: () => {
      setBody("");
      return queryClient.invalidateQueries({ queryKey: queryKeys.approvalComments(approvalId) });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (body.trim()) post.mutate();
  };
  return (
    <>
      <h3>Comments</h3>
      <QueryState query={comments} empty="No comments.">
        {(list) => (
          <ol className="comments" aria-label="Approval comments">
            {list.map((c) => (
              <li key={c.id} className={`comment ${c.authorAgentId ? "from-agent" : "from-user"}`}>
                <div className="comment-head">
                  <strong>{c.authorAgentId ? agentName(c.authorAgentId) : "Board"}</strong>
                  <span className="muted">{formatTime(c.createdAt)}</span>
                </div>
                <Markdown source={c.body} />
              </li>
            ))}
          </ol>
        )}
      </QueryState>
      <form className="inline-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={fieldId}>Add a comment</label>
          <input id={fieldId} value={body} onChange={(e) => setBody(e.target.value)} />
        </div>
        <button type="submit" className="secondary" disabled={post.isPending || !body.trim()}>
          Comment
        </button>
      </form>
      <ErrorNote error={post.error} />
    </>
  );
}

function DecisionForm({ approval: a }: { approval: Approval }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [note, setNote] = useState("");
  const noteId = useId();
  const decide = useMutation({
    mutationFn: (decision: Decision) => {
      const body = note.trim() ? { decisionNote: note.trim() } : {};
      const params = { params: { path: { id: a.id } }, body };
      if (decision === "approve") return unwrap(api.POST("/api/approvals/{id}/approve", params));
      if (decision === "reject") return unwrap(api.POST("/api/approvals/{id}/reject", params));
      return unwrap(api.POST("/api/approvals/{id}/request-revision", params));
    },
    onSuccess: (updated) => {
      setNote("");
      // Shown at once; the company family (list, count, dashboard, a hire's agent) refetches behind it.
      queryClient.setQueryData(queryKeys.approvalDetail(a.id), updated);
      queryClient.setQueryData(queryKeys.approvals(a.companyId), (list: Approval[] | undefined) =>
        list?.map((x) => (x.id === updated.id ? updated : x)),
      );
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.company(a.companyId) }),
        queryClient.invalidateQueries({ queryKey: queryKeys.approval(a.id) }),
      ]);
    },
  });
  const decisions = availableDecisions(a.status);
  if (!decisions.length) return null;
  return (
    <form className="decision-form" onSubmit={(e) => e.preventDefault()} aria-label="Decide">
      <div className="field">
        <label htmlFor={noteId}>Decision note (optional)</label>
        <textarea id={noteId} rows={2} value={note} onChange={(e) => setNote(e.target.value)} placeholder="Why, or what to change" />
      </div>
      <ErrorNote error={decide.error} />
      <div className="row">
        {decisions.map((d) => (
          <button
            key={d}
            type="button"
            className={d === "approve" ? undefined : d === "reject" ? "danger" : "secondary"}
            disabled={decide.isPending}
            onClick={() => decide.mutate(d)}
          >
            {DECISION_LABELS[d]}
          </button>
        ))}
        {decide.isPending ? <span className="muted small">Saving…</span> : null}
      </div>
    </form>
  );
}
