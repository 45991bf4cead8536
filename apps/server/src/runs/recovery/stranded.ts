import { ACTIVE_WORK_ISSUE_STATUSES } from "@staple/contracts";
import { sqlList } from "../../db/sql-list.js";
import { invokableAgentSql, liveRunSql } from "../../db/predicates.js";
import type { Database, Queryable } from "../../db/database.js";
import type { WakeupEnqueuer } from "../enqueue.js";
import { blockRecoveryIssueInPlace, escalateStrandedIssue } from "./escalation.js";
import { decideStranded, type StrandedFacts } from "./stranded-decision.js";
import { getInvocationBlock } from "../../budgets/invocation-block.js";
import { assignOrphanBlockers } from "./orphan-blockers.js";

export interface ReconcileResult {
  assignmentDispatched: number;
  dispatchRequeued: number;
  continuationRequeued: number;
  escalated: number;
  productiveContinuationObserved: number;
  successfulContinuationObserved: number;
  orphanBlockersAssigned: number;
  skipped: number;
  issueIds: string[];
  /** What the pass probed: the database's time at its start (ISO 8601, UTC, milliseconds: what Date.parse reads), the end of its slice, and whether it stopped at the action limit. */
  scan: { startedAt: string; sliceEnd: string | null; truncated: boolean };
}

/** Actions applied per pass at most; the rest wait for the next pass (bounded work per tick). */
export const RECONCILE_ACTION_LIMIT = 100;

/** Open issues assigned to an agent: the predicate of issues_active_work_idx (migration 0022). */
const ACTIVE_WORK_SQL = `i.status IN ${sqlList(ACTIVE_WORK_ISSUE_STATUSES)} AND i.assignee_agent_id IS NOT NULL AND i.hidden_at IS NULL`;

/**
 * The facts of assigned open issues. Every candidate is probed for its latest run inside the
 * database, but only issues that may need action come back to Node (no live run or deferred wake,
 * invokable agent, latest run not succeeded); the rest are counted by SUMMARY_SQL. Returning all
 * 10,000 rows of a large company was most of the pass's time (bench W5).
 */
const candidates = (source: string) => `
  SELECT i.id, i.company_id, i.identifier, i.status, i.priority, i.project_id, i.goal_id, i.assignee_agent_id,
         i.created_by_agent_id, i.origin_kind, i.checkout_run_id, i.execution_run_id,
         ${invokableAgentSql("a")} AS agent_invokable,
         EXISTS (SELECT 1 FROM heartbeat_runs r WHERE r.issue_id = i.id AND ${liveRunSql("r")}) AS has_active_run,
         EXISTS (SELECT 1 FROM agent_wakeup_requests w WHERE w.issue_id = i.id AND w.status = 'deferred_issue_execution') AS has_deferred_wake,
         EXISTS (SELECT 1 FROM agent_wakeup_requests w WHERE w.issue_id = i.id AND w.status = 'queued') AS has_queued_wake,
         lr.id AS run_id, lr.status AS run_status, lr.error AS run_error, lr.error_code AS run_error_code,
         lr.context_snapshot->>'retryReason' AS run_retry_reason, lr.liveness_state AS run_liveness_state
    FROM ${source} i
    JOIN agents a ON a.id = i.assignee_agent_id
    LEFT JOIN LATERAL (
      SELECT r.id, r.status, r.error, r.error_code, r.context_snapshot, r.liveness_state
        FROM heartbeat_runs r WHERE r.issue_id = i.id ORDER BY r.created_at DESC, r.id DESC LIMIT 1
    ) lr ON true
   WHERE ${ACTIVE_WORK_SQL} AND i.assignee_user_id IS NULL`;

const ACTIONABLE = "agent_invokable AND NOT has_active_run AND NOT has_deferred_wake AND (run_status IS NULL OR run_status <> 'succeeded')";

const CANDIDATES = candidates("issues");
const FACTS_SQL = CANDIDATES;

/**
 * Which candidates a pass probes. `full`: every open agent-assigned issue (of one company when
 * `companyId` is set). `changed`: only issues that may have changed since `since` (a database
 * timestamp) plus the next `sliceSize` issues in id order after `after`, so a steady pass costs
 * O(changes + slice) instead of O(open issues); see createStrandedScanner.
 */
export type StrandedScope = { kind: "full"; companyId?: string } | { kind: "changed"; since: string; after: string; sliceSize: number };

const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

/**
 * The issues a `changed` pass probes ($1 = since, $2 = after, $3 = slice size): the slice (the
 * next open agent-assigned issues in id order, on issues_active_work_idx), plus issues updated
 * since (per company, on issues_company_updated_idx), issues with a run that finished since
 * (heartbeat_runs_issue_finished_idx) and issues of agents updated since (paused, resumed), looked
 * up by id (an array, so the planner probes an index instead of scanning every issue to join a
 * few hundred). Anything else that can strand an issue without touching those rows (a hold
 * released, a budget raised) is met by the slice, which walks every open issue in turn.
 */
const CHANGED_SCOPE = `
  slice AS MATERIALIZED (SELECT i.* FROM issues i WHERE ${ACTIVE_WORK_SQL} AND i.id > $2::uuid ORDER BY i.id LIMIT $3::int),
  changed AS MATERIALIZED (
    SELECT i.id FROM companies c
      JOIN LATERAL (SELECT id FROM issues WHERE company_id = c.id AND hidden_at IS NULL AND updated_at > $1::timestamptz) i ON true
    UNION SELECT r.issue_id FROM heartbeat_runs r WHERE r.issue_id IS NOT NULL AND r.finished_at IS NOT NULL AND r.finished_at > $1::timestamptz
    UNION SELECT i.id FROM agents a JOIN issues i ON i.assignee_agent_id = a.id AND ${ACTIVE_WORK_SQL}
           WHERE a.updated_at > $1::timestamptz
    EXCEPT SELECT id FROM slice),
  pool AS (SELECT * FROM slice UNION ALL SELECT i.* FROM issues i WHERE i.id = ANY (ARRAY(SELECT id FROM changed)))`;

/**
 * One statement: the candidate scan runs once (materialized), the actionable rows come back as one
 * JSON array (camelCase keys) and the counts of the others as a JSON object; also the database's
 * time at the statement's start and, for a `changed` pass, the last id of its slice (null once the
 * slice reached the end of the id space).
 */
function passSql(scope: StrandedScope) {
  const changed = scope.kind === "changed";
  const filter = !changed && scope.companyId ? " AND i.company_id = $1" : "";
  const sliceEnd = changed ? "(SELECT id::text FROM slice ORDER BY id DESC LIMIT 1)" : "NULL::text";
  return `WITH ${changed ? `${CHANGED_SCOPE}, ` : ""}f AS MATERIALIZED (${changed ? candidates("pool") : CANDIDATES}${filter})
    SELECT
      (SELECT coalesce(json_agg(json_build_object(
         'id', id, 'companyId', company_id, 'identifier', identifier, 'status', status, 'priority', priority,
         'projectId', project_id, 'goalId', goal_id, 'assigneeAgentId', assignee_agent_id, 'createdByAgentId', created_by_agent_id,
         'originKind', origin_kind, 'checkoutRunId', checkout_run_id, 'executionRunId', execution_run_id,
         'agentInvokable', agent_invokable, 'hasActiveRun', has_active_run, 'hasDeferredWake', has_deferred_wake,
         'hasQueuedWake', has_queued_wake, 'runId', run_id, 'runStatus', run_status, 'runError', run_error,
         'runErrorCode', run_error_code, 'runRetryReason', run_retry_reason, 'runLivenessState', run_liveness_state) ORDER BY id), '[]')::text
         FROM f WHERE ${ACTIONABLE}) AS rows,
      (SELECT json_build_object(
         'candidates', count(*),
         'actionable', count(*) FILTER (WHERE ${ACTIONABLE}),
         'productive', count(*) FILTER (WHERE agent_invokable AND NOT has_active_run AND NOT has_deferred_wake AND status = 'in_progress'
                          AND run_status = 'succeeded' AND run_liveness_state IN ('advanced', 'completed', 'blocked', 'needs_followup')),
         'successful', count(*) FILTER (WHERE agent_invokable AND NOT has_active_run AND NOT has_deferred_wake AND status = 'in_progress'
                          AND run_status = 'succeeded' AND (run_liveness_state IS NULL
                          OR run_liveness_state NOT IN ('advanced', 'completed', 'blocked', 'needs_followup'))))::text FROM f) AS summary,
      to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS started_at,
      ${sliceEnd} AS slice_end`;
}

interface FactsRow {
  id: string;
  companyId: string;
  identifier: string;
  status: string;
  priority: string;
  projectId: string | null;
  goalId: string | null;
  assigneeAgentId: string;
  createdByAgentId: string | null;
  originKind: string;
  checkoutRunId: string | null;
  executionRunId: string | null;
  agentInvokable: boolean;
  hasActiveRun: boolean;
  hasDeferredWake: boolean;
  hasQueuedWake: boolean;
  runId: string | null;
  runStatus: string | null;
  runError: string | null;
  runErrorCode: string | null;
  runRetryReason: string | null;
  runLivenessState: string | null;
}

function toFacts(r: FactsRow): StrandedFacts {
  return {
    issue: {
      id: r.id,
      companyId: r.companyId,
      identifier: r.identifier,
      status: r.status,
      priority: r.priority,
      projectId: r.projectId,
      goalId: r.goalId,
      assigneeAgentId: r.assigneeAgentId,
      createdByAgentId: r.createdByAgentId,
      originKind: r.originKind,
      checkoutRunId: r.checkoutRunId,
      executionRunId: r.executionRunId,
    },
    agentInvokable: r.agentInvokable,
    hasActiveRun: r.hasActiveRun,
    hasDeferredWake: r.hasDeferredWake,
    hasQueuedWake: r.hasQueuedWake,
    latestRun: r.runId
      ? {
          id: r.runId,
          status: r.runStatus!,
          error: r.runError,
          errorCode: r.runErrorCode,
          retryReason: r.runRetryReason,
          livenessState: r.runLivenessState,
        }
      : null,
  };
}

/**
 * Stranded assigned-issue reconciliation (docs/runs.md#stranded-issue-reconciliation): every open
 * issue assigned to an agent must have a live run, a pending wake, or a recorded reason. One
 * set-based query gathers the facts of all candidates (the query count does not grow with the
 * number of issues); each issue that needs action is then re-checked and acted on under its row
 * lock, so concurrent passes (or servers) never act twice on one issue.
 */
export async function reconcileStrandedAssignedIssues(
  db: Database,
  enqueuer: WakeupEnqueuer,
  opts: { companyId?: string; scope?: StrandedScope } = {},
): Promise<ReconcileResult> {
  const scope: StrandedScope = opts.scope ?? { kind: "full", companyId: opts.companyId };
  const result: ReconcileResult = {
    assignmentDispatched: 0,
    dispatchRequeued: 0,
    continuationRequeued: 0,
    escalated: 0,
    productiveContinuationObserved: 0,
    successfulContinuationObserved: 0,
    orphanBlockersAssigned: 0,
    skipped: 0,
    issueIds: [],
    scan: { startedAt: "", sliceEnd: null, truncated: false },
  };
  const params =
    scope.kind === "changed" ? [scope.since, scope.after || ZERO_UUID, scope.sliceSize] : scope.companyId ? [scope.companyId] : [];
  const [pass] = await db.query<{ rows: string; summary: string; startedAt: string; sliceEnd: string | null }>(passSql(scope), params);
  result.scan.startedAt = pass!.startedAt;
  result.scan.sliceEnd = pass!.sliceEnd;
  const rows = JSON.parse(pass!.rows) as FactsRow[];
  const summary = JSON.parse(pass!.summary) as { candidates: number; actionable: number; productive: number; successful: number };
  result.productiveContinuationObserved = summary!.productive;
  result.successfulContinuationObserved = summary!.successful;
  // Candidates not fetched (work pending, agent not invokable, latest run succeeded) count as skipped,
  // except the in-progress ones observed above.
  result.skipped = summary!.candidates - summary!.actionable - summary!.productive - summary!.successful;
  // Issues under an active pause hold are left as they are (one query for every hold's subtree, at
  // any depth; `UNION` over the id alone ends the walk even on a corrupt parent loop).
  const held = new Set(
    (
      await db.query<{ id: string }>(
        `WITH RECURSIVE down(id) AS (
         SELECT root_issue_id FROM issue_tree_holds WHERE status = 'active' AND mode = 'pause'
         UNION
         SELECT c.id FROM issues c JOIN down ON c.parent_id = down.id
       ) SELECT id FROM down`,
      )
    ).map((r) => r.id),
  );
  let actions = 0;
  for (const row of rows) {
    if (held.has(row.id)) {
      result.skipped++;
      continue;
    }
    const decision = decideStranded(toFacts(row));
    switch (decision.kind) {
      case "skip":
        result.skipped++;
        continue;
      case "observed_productive":
        result.productiveContinuationObserved++;
        continue;
      case "observed_successful":
        result.successfulContinuationObserved++;
        continue;
    }
    if (actions >= RECONCILE_ACTION_LIMIT) {
      result.scan.truncated = true;
      break;
    }
    actions++;
    const applied = await db.tx(async (q) => {
      await q.query("SELECT id FROM issues WHERE id = $1 FOR NO KEY UPDATE", [row.id]);
      const [fresh] = await q.query<FactsRow>(`${FACTS_SQL} AND i.id = $1`, [row.id]);
      if (!fresh) return null;
      const facts = toFacts(fresh);
      const now = decideStranded(facts);
      if (now.kind !== decision.kind) return null; // another pass got here first
      return applyAction(q, enqueuer, facts, now);
    });
    if (!applied) {
      result.skipped++;
      continue;
    }
    result[applied]++;
    result.issueIds.push(row.id);
  }
  result.orphanBlockersAssigned = (await assignOrphanBlockers(db, enqueuer, { companyId: opts.companyId })).length;
  return result;
}

type Counter = Exclude<keyof ReconcileResult, "issueIds">;

async function applyAction(
  q: Queryable,
  enqueuer: WakeupEnqueuer,
  f: StrandedFacts,
  action: ReturnType<typeof decideStranded>,
): Promise<Counter | null> {
  const issue = f.issue;
  const run = f.latestRun;
  // Budget-blocked work is skipped before any enqueue; the sweep continues with the next issue.
  if (
    action.kind !== "block_recovery_in_place" &&
    (await getInvocationBlock(q, { companyId: issue.companyId, agentId: issue.assigneeAgentId!, projectId: issue.projectId }))
  ) {
    return null;
  }
  const wake = (
    reason: string,
    source: "assignment" | "automation",
    payload: Record<string, unknown>,
    context: Record<string, unknown>,
    retryOf: string | null,
  ) =>
    enqueuer.enqueue(
      {
        agentId: issue.assigneeAgentId!,
        source,
        triggerDetail: "system",
        reason,
        payload: { issueId: issue.id, ...payload },
        context,
        requestedBy: { type: "system", id: "stranded_issue_reconciler" },
        run: { retryOfRunId: retryOf },
      },
      q,
    );
  switch (action.kind) {
    case "dispatch":
      await wake(
        "issue_assigned",
        "assignment",
        { mutation: "assigned_todo_liveness_dispatch" },
        { source: "issue.assigned_todo_liveness_dispatch" },
        null,
      );
      return "assignmentDispatched";
    case "requeue_dispatch":
      await wake(
        "issue_assignment_recovery",
        "automation",
        { retryOfRunId: run!.id },
        { retryReason: "assignment_recovery", source: "issue.assignment_recovery", retryOfRunId: run!.id },
        run!.id,
      );
      return "dispatchRequeued";
    case "requeue_continuation":
      await wake(
        "issue_continuation_needed",
        "automation",
        { retryOfRunId: run?.id ?? null },
        { retryReason: "issue_continuation_needed", source: "issue.continuation_recovery", retryOfRunId: run?.id ?? null },
        run?.id ?? null,
      );
      return "continuationRequeued";
    case "escalate":
      await escalateStrandedIssue(q, enqueuer, { issue, latestRun: run, retryReason: action.retryReason, retried: action.retried });
      return "escalated";
    case "block_recovery_in_place":
      return (await blockRecoveryIssueInPlace(q, { issue, latestRun: run, retryReason: action.retryReason })) ? "escalated" : null;
    default:
      return null;
  }
}
