import type { Queryable } from "../../db/database.js";
import { recordActivity } from "../../activity/record.js";
import { insertIssueRow } from "../../issues/insert.js";
import type { WakeupEnqueuer } from "../enqueue.js";
import { decideEscalation, type EscalationFacts } from "./episode.js";
import { lockSql } from "../../issues/execution-lock.js";
import { closedIssueSql, invokableAgentSql, openIssueSql, resolvedBlockerSql } from "../../db/predicates.js";

export const RECOVERY_ORIGIN_KIND = "stranded_issue_recovery";
/** Issue copy never carries raw error text (it may hold secrets); it points at the run instead. */
export const WITHHELD_FAILURE_LINE =
  "Latest retry failure details were withheld from the issue thread; inspect the linked run for evidence.";

export interface StrandedIssue {
  id: string;
  companyId: string;
  identifier: string;
  status: string;
  priority: string;
  projectId: string | null;
  goalId: string | null;
  assigneeAgentId: string | null;
  createdByAgentId: string | null;
  originKind: string;
}

export interface LatestRun {
  id: string;
  status: string;
  error: string | null;
  errorCode: string | null;
}

/** "Failure: …" for issue copy: never the raw error, which may hold secrets. Pure. */
export function failureLine(run: LatestRun | null): string {
  return run && (run.error || run.errorCode) ? WITHHELD_FAILURE_LINE : "Failure details: none recorded.";
}

const issueLink = (identifier: string) => `[${identifier}](/${identifier.split("-")[0]}/issues/${identifier})`;

/**
 * The owner of a recovery issue: the first invokable of the stranded assignee's manager, the
 * creator agent's manager, the creator agent, the CTO, the CEO, and the stranded assignee itself.
 */
async function pickRecoveryOwner(q: Queryable, issue: StrandedIssue): Promise<string | null> {
  const [row] = await q.query<{ id: string | null }>(
    `WITH candidates(ord, id) AS (
       SELECT 1, (SELECT reports_to FROM agents WHERE id = $2)
       UNION ALL SELECT 2, (SELECT reports_to FROM agents WHERE id = $3)
       UNION ALL SELECT 3, $3::uuid
       UNION ALL SELECT 4, (SELECT id FROM agents WHERE company_id = $1 AND role = 'cto' AND ${invokableAgentSql()} ORDER BY created_at LIMIT 1)
       UNION ALL SELECT 5, (SELECT id FROM agents WHERE company_id = $1 AND role = 'ceo' AND ${invokableAgentSql()} ORDER BY created_at LIMIT 1)
       UNION ALL SELECT 6, $2::uuid
     )
     SELECT c.id FROM candidates c JOIN agents a ON a.id = c.id
      WHERE a.company_id = $1 AND ${invokableAgentSql("a")}
      ORDER BY c.ord LIMIT 1`,
    [issue.companyId, issue.assigneeAgentId, issue.createdByAgentId],
  );
  return row?.id ?? null;
}

async function comment(q: Queryable, issue: StrandedIssue, body: string, action: string, runId: string | null) {
  await q.query("INSERT INTO issue_comments (company_id, issue_id, author_type, body) VALUES ($1, $2, 'system', $3)", [
    issue.companyId,
    issue.id,
    body,
  ]);
  await recordActivity(q, {
    companyId: issue.companyId,
    actor: "system",
    action: "issue.comment_added",
    entityType: "issue",
    entityId: issue.id,
    runId,
    details: { identifier: issue.identifier, reason: action },
  });
}

/** Activity reason of a source blocked in place because its recovery issue closed while it was stranded. */
export const RECOVERY_CLOSED_REASON = "stranded_recovery_closed";

/**
 * The facts `decideEscalation` needs, read under the source's row lock. "Moved" means: a run on the
 * source succeeded after its last closed recovery issue was created, or someone other than the
 * source's assignee and the system changed its status or assignee since then.
 */
async function escalationFacts(
  q: Queryable,
  issue: StrandedIssue,
): Promise<
  EscalationFacts & { open: { id: string; identifier: string } | null; closed: { id: string; identifier: string; status: string } | null }
> {
  const [row] = await q.query<{
    openId: string | null;
    openIdentifier: string | null;
    closedId: string | null;
    closedIdentifier: string | null;
    closedStatus: string | null;
    moved: boolean;
    blockedInPlace: boolean;
  }>(
    `WITH open AS (
       SELECT id, identifier FROM issues WHERE company_id = $1 AND origin_kind = $2 AND origin_id = $3 AND hidden_at IS NULL
          AND ${openIssueSql()} LIMIT 1
     ), closed AS (
       SELECT id, identifier, status, created_at FROM issues WHERE company_id = $1 AND origin_kind = $2 AND origin_id = $3
          AND ${closedIssueSql()} ORDER BY created_at DESC, id DESC LIMIT 1
     )
     SELECT (SELECT id FROM open) AS open_id, (SELECT identifier FROM open) AS open_identifier,
            c.id AS closed_id, c.identifier AS closed_identifier, c.status AS closed_status,
            coalesce(EXISTS (SELECT 1 FROM heartbeat_runs r WHERE r.issue_id = $3::uuid AND r.status = 'succeeded' AND r.created_at > c.created_at)
              OR EXISTS (SELECT 1 FROM activity_log a
                          WHERE a.entity_type = 'issue' AND a.entity_id = $3 AND a.created_at > c.created_at
                            AND a.action = 'issue.updated' AND a.actor_type <> 'system'
                            AND NOT (a.actor_type = 'agent' AND a.actor_id = $4::text)
                            AND (a.details->'changes' ?| ARRAY['status', 'assigneeAgentId', 'assigneeUserId'])), false) AS moved,
            coalesce(EXISTS (SELECT 1 FROM activity_log a
                              WHERE a.entity_type = 'issue' AND a.entity_id = $3 AND a.created_at > c.created_at
                                AND a.details->>'reason' = '${RECOVERY_CLOSED_REASON}' AND a.details->>'recoveryIssueId' = c.id::text), false) AS blocked_in_place
       FROM (SELECT 1) one LEFT JOIN closed c ON true`,
    [issue.companyId, RECOVERY_ORIGIN_KIND, issue.id, issue.assigneeAgentId ?? ""],
  );
  const open = row?.openId ? { id: row.openId, identifier: row.openIdentifier! } : null;
  const closed = row?.closedId ? { id: row.closedId, identifier: row.closedIdentifier!, status: row.closedStatus! } : null;
  return {
    open,
    closed,
    openRecoveryId: open?.id ?? null,
    lastClosedRecovery: closed,
    sourceMovedSince: Boolean(row?.moved),
    alreadyBlockedInPlace: Boolean(row?.blockedInPlace),
  };
}

/**
 * Escalates a stranded issue (docs/runs.md#escalation-and-recovery-issues), under its row lock in
 * the caller's transaction: finds or creates its one open recovery issue (assigned to an owner who
 * is woken), then blocks the source on it with one explanatory comment. One escalation per stranded
 * episode (`decideEscalation`): if the episode's recovery issue was closed while the source is
 * still stranded, the source is blocked in place for the board instead of getting another recovery
 * issue. Concurrent passes serialise on the source row; the partial unique index is the backstop.
 */
export async function escalateStrandedIssue(
  q: Queryable,
  enqueuer: WakeupEnqueuer,
  input: { issue: StrandedIssue; latestRun: LatestRun | null; retryReason: string; retried: "dispatch" | "continuation" },
): Promise<{ recoveryIssueId: string; created: boolean; blockedInPlace: boolean }> {
  const { issue, latestRun } = input;
  const facts = await escalationFacts(q, issue);
  const decision = decideEscalation(facts);
  if (decision.kind === "block_source_in_place") {
    await blockSourceInPlace(q, { ...input, recovery: facts.closed!, comment: decision.comment });
    return { recoveryIssueId: decision.recoveryIssueId, created: false, blockedInPlace: true };
  }
  let recovery = facts.open ?? undefined;
  let created = false;
  if (!recovery) {
    const owner = await pickRecoveryOwner(q, issue);
    const description = [
      `Automatic recovery of ${issueLink(issue.identifier)} stopped after it ${input.retried === "dispatch" ? "retried dispatch" : "retried continuation"} once.`,
      "",
      `- Source issue: ${issueLink(issue.identifier)}`,
      `- Previous source status: \`${issue.status}\``,
      `- Latest run: ${latestRun ? latestRun.id : "none"}${latestRun ? ` (\`${latestRun.status}\`)` : ""}`,
      `- Retry reason: \`${input.retryReason}\``,
      `- ${failureLine(latestRun)}`,
      "",
      "Required action: Fix the runtime/adapter problem that keeps the run from finishing (inspect the linked run's log and events), then unblock the source issue.",
    ].join("\n");
    await q.query("SAVEPOINT staple_recovery_insert");
    try {
      const row = await insertIssueRow(q, {
        companyId: issue.companyId,
        title: `Recover stalled issue ${issue.identifier}`,
        description,
        status: "todo",
        priority: issue.priority,
        parentId: issue.id,
        projectId: issue.projectId,
        goalId: issue.goalId,
        assigneeAgentId: owner,
        originKind: RECOVERY_ORIGIN_KIND,
        originId: issue.id,
        originRunId: latestRun?.id ?? null,
      });
      await q.query("RELEASE SAVEPOINT staple_recovery_insert");
      recovery = row;
      created = true;
      await recordActivity(q, {
        companyId: issue.companyId,
        actor: "system",
        action: "issue.created",
        entityType: "issue",
        entityId: row.id,
        details: { identifier: row.identifier, sourceIssueId: issue.id, originKind: RECOVERY_ORIGIN_KIND },
      });
      if (owner) {
        await enqueuer
          .enqueue(
            {
              agentId: owner,
              source: "assignment",
              triggerDetail: "system",
              reason: "issue_assigned",
              payload: { issueId: row.id, sourceIssueId: issue.id, strandedRunId: latestRun?.id ?? null },
              context: { source: RECOVERY_ORIGIN_KIND, sourceIssueId: issue.id, strandedRunId: latestRun?.id ?? null },
              requestedBy: { type: "system", id: "stranded_issue_recovery" },
            },
            q,
          )
          .catch(() => null);
      }
    } catch (error) {
      // Lost a race on the one-open-recovery index: reuse the winner's issue.
      await q.query("ROLLBACK TO SAVEPOINT staple_recovery_insert");
      const [winner] = await q.query<{ id: string; identifier: string }>(
        `SELECT id, identifier FROM issues WHERE company_id = $1 AND origin_kind = $2 AND origin_id = $3 AND hidden_at IS NULL
            AND ${openIssueSql()} LIMIT 1`,
        [issue.companyId, RECOVERY_ORIGIN_KIND, issue.id],
      );
      if (!winner) throw error;
      recovery = winner;
    }
  }
  // Source: blocked by its unresolved blockers plus the recovery issue; locks cleared.
  await q.query(
    `DELETE FROM issue_relations rel USING issues b
      WHERE rel.related_issue_id = $1 AND b.id = rel.issue_id AND ${resolvedBlockerSql("rel", "b")}`,
    [issue.id],
  );
  await q.query(
    `INSERT INTO issue_relations (company_id, issue_id, related_issue_id, type) VALUES ($1, $2, $3, 'blocks')
     ON CONFLICT (issue_id, related_issue_id, type) DO NOTHING`,
    [issue.companyId, recovery!.id, issue.id],
  );
  await q.query(`UPDATE issues SET status = 'blocked', ${lockSql.forceRelease}, updated_at = now() WHERE id = $1`, [issue.id]);
  await recordActivity(q, {
    companyId: issue.companyId,
    actor: "system",
    action: "issue.updated",
    entityType: "issue",
    entityId: issue.id,
    details: {
      identifier: issue.identifier,
      changes: { status: { from: issue.status, to: "blocked" } },
      recoveryIssueId: recovery!.id,
      reason: "stranded_issue_recovery",
    },
  });
  await comment(
    q,
    issue,
    [
      `Automatic recovery ${input.retried === "dispatch" ? "retried dispatch" : "retried continuation"} and the run still did not finish, so this issue is blocked until the problem is fixed.`,
      failureLine(latestRun),
      `Recovery issue: ${issueLink(recovery!.identifier)}`,
    ].join("\n\n"),
    "stranded_issue_escalated",
    latestRun?.id ?? null,
  );
  return { recoveryIssueId: recovery!.id, created, blockedInPlace: false };
}

/**
 * The source of a closed recovery issue is still stranded: block it where it stands (assignee
 * kept, locks cleared) with a comment the board sees, once per closed recovery issue. A repeat in
 * the same episode re-blocks without another comment.
 */
async function blockSourceInPlace(
  q: Queryable,
  input: {
    issue: StrandedIssue;
    latestRun: LatestRun | null;
    retryReason: string;
    recovery: { id: string; identifier: string; status: string };
    comment: boolean;
  },
) {
  const { issue, latestRun, recovery } = input;
  await q.query(`UPDATE issues SET status = 'blocked', ${lockSql.forceRelease}, updated_at = now() WHERE id = $1`, [issue.id]);
  await recordActivity(q, {
    companyId: issue.companyId,
    actor: "system",
    action: "issue.updated",
    entityType: "issue",
    entityId: issue.id,
    runId: latestRun?.id ?? null,
    details: {
      identifier: issue.identifier,
      changes: { status: { from: issue.status, to: "blocked" } },
      recoveryIssueId: recovery.id,
      reason: RECOVERY_CLOSED_REASON,
    },
  });
  if (!input.comment) return;
  await comment(
    q,
    issue,
    [
      `Automatic recovery stopped: the recovery issue ${issueLink(recovery.identifier)} was closed (\`${recovery.status}\`), but this issue is still stranded, so it is blocked here instead of opening another recovery issue.`,
      `- Previous status: \`${issue.status}\``,
      `- Latest run: ${latestRun ? `${latestRun.id} (\`${latestRun.status}\`)` : "none"}`,
      `- Retry reason: \`${input.retryReason}\``,
      `- ${failureLine(latestRun)}`,
      "",
      "A human needs to look at this issue: fix what keeps its runs from finishing, then move it back to `todo` (or reassign it). That starts a new recovery episode.",
    ].join("\n"),
    RECOVERY_CLOSED_REASON,
    latestRun?.id ?? null,
  );
}

/**
 * A failing recovery issue is blocked where it stands: assignee kept, no nested
 * recovery issue, one comment per escalation. Its source keeps it as a blocker.
 */
export async function blockRecoveryIssueInPlace(
  q: Queryable,
  input: { issue: StrandedIssue; latestRun: LatestRun | null; retryReason: string },
): Promise<boolean> {
  const { issue, latestRun } = input;
  const [moved] = await q.query<{ id: string }>(
    `UPDATE issues SET status = 'blocked', ${lockSql.forceRelease}, updated_at = now() WHERE id = $1 AND status <> 'blocked' RETURNING id`,
    [issue.id],
  );
  if (!moved) return false;
  await recordActivity(q, {
    companyId: issue.companyId,
    actor: "system",
    action: "issue.updated",
    entityType: "issue",
    entityId: issue.id,
    details: { identifier: issue.identifier, changes: { status: { from: issue.status, to: "blocked" } }, reason: "recovery_issue_failed" },
  });
  await comment(
    q,
    issue,
    [
      "This recovery issue stopped automatic stranded-work recovery: its latest run did not finish.",
      `- Previous status: \`${issue.status}\``,
      `- Latest run: ${latestRun ? `${latestRun.id} (\`${latestRun.status}\`)` : "none"}`,
      `- Retry reason: \`${input.retryReason}\``,
      `- ${failureLine(latestRun)}`,
      "",
      "Recovery issues do not create nested `stranded_issue_recovery` issues; a human needs to look at this one.",
    ].join("\n"),
    "recovery_blocked_in_place",
    latestRun?.id ?? null,
  );
  return true;
}
