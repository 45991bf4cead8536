import { FAILED_RUN_STATUSES, type APPROVAL_TYPES, type InboxItem, type ISSUE_STATUSES } from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import { openIssueSql } from "../db/predicates.js";
import { sqlList } from "../db/sql-list.js";

/** An inbox item before the person's read/archive state is applied. */
export type SourceItem = Omit<InboxItem, "unread" | "archived" | "readAt" | "archivedAt" | "createdAt"> & { createdAt: Date };

/** Each source is bounded: the inbox is a worklist, not an archive of everything that happened. */
const PER_SOURCE_LIMIT = 100;
/** Mentions older than this no longer ask for anyone. */
const MENTION_WINDOW = "30 days";
const EXCERPT = 160;

type IssueStatus = (typeof ISSUE_STATUSES)[number];
interface IssueCols {
  issueId: string;
  identifier: string | null;
  issueTitle: string;
  issueStatus: IssueStatus;
}

const issueRef = (r: IssueCols) => ({ id: r.issueId, identifier: r.identifier, title: r.issueTitle, status: r.issueStatus });
const issuePath = (r: IssueCols) => `/issues/${r.identifier ?? r.issueId}`;
const none = { runId: null, agentId: null, approvalId: null, interactionId: null, commentId: null };

function excerpt(text: string | null | undefined): string | null {
  if (!text) return null;
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > EXCERPT ? `${flat.slice(0, EXCERPT - 1)}…` : flat;
}

const APPROVAL_LABELS: Record<(typeof APPROVAL_TYPES)[number], string> = {
  hire_agent: "Hire an agent",
  approve_ceo_strategy: "Approve the CEO's strategy",
  budget_override_required: "Budget override",
  request_board_approval: "Board approval requested",
};

/**
 * Failed runs, one item per issue: the issue's latest decisive run (succeeded, failed or timed out;
 * a cancelled run decides nothing) failed, and the issue is still open. A later success, or the
 * issue closing, removes the item; a later failure moves its time forward.
 */
async function failedRuns(db: Queryable, companyId: string): Promise<SourceItem[]> {
  const rows = await db.query<
    IssueCols & {
      runId: string;
      agentId: string;
      agentName: string;
      status: string;
      error: string | null;
      errorCode: string | null;
      at: Date;
    }
  >(
    // Per open issue, one probe of the latest-run index (issue_id, created_at DESC, id DESC) that
    // stops at the first decisive run.
    `SELECT l.id AS run_id, l.agent_id, a.name AS agent_name, l.status, l.error, l.error_code, l.at,
            i.id AS issue_id, i.identifier, i.title AS issue_title, i.status AS issue_status
       FROM issues i
       CROSS JOIN LATERAL (
         SELECT r.id, r.agent_id, r.status, r.error, r.error_code, COALESCE(r.finished_at, r.created_at) AS at
           FROM heartbeat_runs r
          WHERE r.issue_id = i.id AND (r.status = 'succeeded' OR r.status IN ${sqlList(FAILED_RUN_STATUSES)})
          ORDER BY r.created_at DESC, r.id DESC LIMIT 1) l
       JOIN agents a ON a.id = l.agent_id
      WHERE i.company_id = $1 AND i.hidden_at IS NULL AND ${openIssueSql("i")} AND l.status IN ${sqlList(FAILED_RUN_STATUSES)}
      ORDER BY l.at DESC LIMIT ${PER_SOURCE_LIMIT}`,
    [companyId],
  );
  return rows.map((r) => ({
    ...none,
    key: `run:${r.issueId}`,
    kind: "run_failed" as const,
    title: `${r.identifier ?? "Issue"}: ${r.issueTitle}`,
    detail: excerpt(
      `${r.agentName}'s run ${r.status === "timed_out" ? "timed out" : "failed"}${r.error ? `: ${r.error}` : r.errorCode ? ` (${r.errorCode})` : ""}`,
    ),
    createdAt: r.at,
    issue: issueRef(r),
    runId: r.runId,
    agentId: r.agentId,
    links: { issue: issuePath(r), run: `/runs/${r.runId}` },
  }));
}

/** Blocked issues, timed from their latest move into `blocked` (or their creation when born blocked). */
async function blockedIssues(db: Queryable, companyId: string): Promise<SourceItem[]> {
  const rows = await db.query<IssueCols & { at: Date; blockers: string[] }>(
    `SELECT i.id AS issue_id, i.identifier, i.title AS issue_title, i.status AS issue_status,
            COALESCE((SELECT max(al.created_at) FROM activity_log al
                       WHERE al.company_id = i.company_id AND al.entity_type = 'issue' AND al.entity_id = i.id::text
                         AND al.action = 'issue.updated' AND al.details->'changes'->'status'->>'to' = i.status), i.created_at) AS at,
            COALESCE((SELECT array_agg(b.identifier ORDER BY b.issue_number) FROM issue_relations rel JOIN issues b ON b.id = rel.issue_id
                       WHERE rel.related_issue_id = i.id AND rel.type = 'blocks'), '{}') AS blockers
       FROM issues i
      WHERE i.company_id = $1 AND i.status = 'blocked' AND i.hidden_at IS NULL
      ORDER BY at DESC LIMIT ${PER_SOURCE_LIMIT}`,
    [companyId],
  );
  return rows.map((r) => ({
    ...none,
    key: `attention:blocked:${r.issueId}`,
    kind: "issue_blocked" as const,
    title: `${r.identifier ?? "Issue"}: ${r.issueTitle}`,
    detail: r.blockers.length ? `Blocked by ${r.blockers.filter(Boolean).join(", ")}` : "Blocked",
    createdAt: r.at,
    issue: issueRef(r),
    links: { issue: issuePath(r) },
  }));
}

/** Pending approvals, timed from their last change (a resubmission asks again). */
async function pendingApprovals(db: Queryable, companyId: string): Promise<SourceItem[]> {
  const rows = await db.query<{ id: string; type: (typeof APPROVAL_TYPES)[number]; subject: string | null; at: Date }>(
    `SELECT a.id, a.type, COALESCE(a.payload->>'name', a.payload->>'title', a.payload->>'reason') AS subject, a.updated_at AS at
       FROM approvals a
      WHERE a.company_id = $1 AND a.status = 'pending'
      ORDER BY a.updated_at DESC LIMIT ${PER_SOURCE_LIMIT}`,
    [companyId],
  );
  return rows.map((r) => ({
    ...none,
    key: `approval:${r.id}`,
    kind: "approval" as const,
    title: APPROVAL_LABELS[r.type] ?? r.type,
    detail: excerpt(r.subject),
    createdAt: r.at,
    issue: null,
    approvalId: r.id,
    links: { approval: `/approvals/${r.id}` },
  }));
}

/**
 * Pending interactions a person may answer: not addressed to an agent, addressed to nobody in
 * particular or to this user, and not created by this user.
 */
async function openInteractions(db: Queryable, companyId: string, userId: string): Promise<SourceItem[]> {
  const rows = await db.query<IssueCols & { id: string; kind: string; title: string | null; summary: string | null; at: Date }>(
    `SELECT t.id, t.kind, t.title, t.summary, t.created_at AS at,
            i.id AS issue_id, i.identifier, i.title AS issue_title, i.status AS issue_status
       FROM issue_thread_interactions t
       JOIN issues i ON i.id = t.issue_id
      WHERE t.company_id = $1 AND t.status = 'pending' AND i.hidden_at IS NULL
        AND t.addressee_agent_id IS NULL AND (t.addressee_user_id IS NULL OR t.addressee_user_id = $2)
        AND t.created_by_user_id IS DISTINCT FROM $2
      ORDER BY t.created_at DESC LIMIT ${PER_SOURCE_LIMIT}`,
    [companyId, userId],
  );
  return rows.map((r) => ({
    ...none,
    key: `attention:interaction:${r.id}`,
    kind: "interaction" as const,
    title: r.title ?? `${r.identifier ?? "Issue"}: ${r.issueTitle}`,
    detail: excerpt(r.summary) ?? `${r.kind.replace(/_/g, " ")} on ${r.identifier ?? "an issue"}`,
    createdAt: r.at,
    issue: issueRef(r),
    interactionId: r.id,
    links: { issue: issuePath(r) },
  }));
}

/**
 * Comments by someone else that mention the board: `@board` as a word, or a link to this user
 * (`(user://<id>)`). Only recent ones (MENTION_WINDOW).
 */
async function mentions(db: Queryable, companyId: string, userId: string): Promise<SourceItem[]> {
  const rows = await db.query<IssueCols & { id: string; body: string; authorName: string | null; at: Date }>(
    `SELECT c.id, left(c.body, 400) AS body, c.created_at AS at, COALESCE(a.name, c.author_user_id) AS author_name,
            i.id AS issue_id, i.identifier, i.title AS issue_title, i.status AS issue_status
       FROM issue_comments c
       JOIN issues i ON i.id = c.issue_id
       LEFT JOIN agents a ON a.id = c.author_agent_id
      WHERE c.company_id = $1 AND i.hidden_at IS NULL AND c.created_at > now() - interval '${MENTION_WINDOW}'
        AND c.author_user_id IS DISTINCT FROM $2
        AND (c.body ~* '(^|[^[:alnum:]_])@board([^[:alnum:]_]|$)' OR strpos(c.body, '(user://' || $2 || ')') > 0)
      ORDER BY c.created_at DESC LIMIT ${PER_SOURCE_LIMIT}`,
    [companyId, userId],
  );
  return rows.map((r) => ({
    ...none,
    key: `attention:mention:${r.id}`,
    kind: "mention" as const,
    title: `${r.authorName ?? "Someone"} mentioned the board on ${r.identifier ?? "an issue"}`,
    detail: excerpt(r.body),
    createdAt: r.at,
    issue: issueRef(r),
    commentId: r.id,
    links: { issue: issuePath(r) },
  }));
}

/** Everything that needs `userId` in the company right now, newest first. */
export async function inboxSources(db: Queryable, companyId: string, userId: string): Promise<SourceItem[]> {
  const parts = await Promise.all([
    failedRuns(db, companyId),
    blockedIssues(db, companyId),
    pendingApprovals(db, companyId),
    openInteractions(db, companyId, userId),
    mentions(db, companyId, userId),
  ]);
  return parts.flat().sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.key.localeCompare(b.key));
}
