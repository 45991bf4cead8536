import { randomUUID } from "node:crypto";
import { CLOSED_ISSUE_STATUSES, INTERACTION_WAKE_REASONS, NON_INVOKABLE_AGENT_STATUSES } from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import { DISPATCH_CHANNEL } from "./dispatch-channel.js";
import { activePauseHold } from "../issues/tree-holds.js";
import { DEFERRED_WAKE_CONTEXT_KEY, deriveTaskKey, obj, str } from "./wake-context.js";
import { runInsertSql } from "./transition.js";
import { acquireIfFree, releaseForEndedRun } from "../issues/execution-lock.js";
import { closedIssueSql } from "../db/predicates.js";

export interface ReleaseResult {
  /** Agents that got a newly queued run (poke their dispatch after commit). */
  promotedAgentIds: string[];
}

/**
 * `releaseIssueExecutionAndPromote` (docs/runs.md#release-and-promotion), inside the caller's
 * transaction: under the issue row lock, clear the execution lock and checkout if they still name
 * this run (never another run's), then turn the oldest deferred wake for the issue into one queued
 * run that carries every comment the deferred wakes accumulated.
 */
export async function releaseIssueExecutionAndPromote(q: Queryable, run: { id: string; issueId: string | null }): Promise<ReleaseResult> {
  // The run's own issue, plus any issue whose lock names this run: a run may check out an issue it
  // was not woken for (a heartbeat picking work from its inbox). Row locks taken in id order.
  const held = await q.query<{ id: string }>("SELECT id FROM issues WHERE execution_run_id = $1", [run.id]);
  const issueIds = [...new Set([run.issueId, ...held.map((r) => r.id)])].filter((id): id is string => id !== null).sort();
  const promotedAgentIds: string[] = [];
  for (const issueId of issueIds) {
    const [issue] = await q.query<{
      id: string;
      companyId: string;
      status: string;
      assigneeAgentId: string | null;
      executionRunId: string | null;
      checkoutRunId: string | null;
    }>("SELECT id, company_id, status, assignee_agent_id, execution_run_id, checkout_run_id FROM issues WHERE id = $1 FOR NO KEY UPDATE", [
      issueId,
    ]);
    if (!issue) continue;
    if (issue.executionRunId && issue.executionRunId !== run.id) continue; // another live run holds it
    if (issueId !== run.issueId && issue.executionRunId !== run.id) continue; // no longer ours to release
    if (issue.executionRunId === run.id || issue.checkoutRunId === run.id) {
      await releaseForEndedRun(q, issue.id, run.id);
    }
    promotedAgentIds.push(...(await promoteDeferredWake(q, issue)).promotedAgentIds);
  }
  return { promotedAgentIds };
}

async function promoteDeferredWake(
  q: Queryable,
  issue: { id: string; companyId: string; status: string; assigneeAgentId: string | null },
): Promise<ReleaseResult> {
  const deferred = await q.query<{
    id: string;
    agentId: string;
    source: string;
    triggerDetail: string | null;
    payload: unknown;
    requestedByActorType: string | null;
    agentStatus: string;
    agentNameKey: string;
  }>(
    `SELECT w.id, w.agent_id, w.source, w.trigger_detail, w.payload, w.requested_by_actor_type, a.status AS agent_status, a.name_key AS agent_name_key
       FROM agent_wakeup_requests w JOIN agents a ON a.id = w.agent_id
      WHERE w.issue_id = $1 AND w.status = 'deferred_issue_execution'
      ORDER BY w.requested_at, w.id FOR NO KEY UPDATE OF w`,
    [issue.id],
  );
  for (const wake of deferred) {
    if ((NON_INVOKABLE_AGENT_STATUSES as readonly string[]).includes(wake.agentStatus)) {
      await q.query(
        "UPDATE agent_wakeup_requests SET status = 'failed', finished_at = now(), error = 'Agent is not invokable', updated_at = now() WHERE id = $1",
        [wake.id],
      );
      continue;
    }
    const payload = obj(wake.payload);
    const context = { ...obj(payload[DEFERRED_WAKE_CONTEXT_KEY]) };
    if (context.treeHoldInteraction !== true && (await activePauseHold(q, issue.id))) {
      await q.query(
        "UPDATE agent_wakeup_requests SET status = 'cancelled', finished_at = now(), error = 'Issue is held by an active subtree pause', updated_at = now() WHERE id = $1",
        [wake.id],
      );
      continue;
    }
    const reason = str(context.wakeReason);
    // A human comment (or reopen) on a closed issue reopens it; system wakes never do.
    if (
      wake.requestedByActorType === "user" &&
      reason &&
      (INTERACTION_WAKE_REASONS as readonly string[]).includes(reason) &&
      reason !== "issue_comment_mentioned" &&
      (CLOSED_ISSUE_STATUSES as readonly string[]).includes(issue.status)
    ) {
      await q.query(
        `UPDATE issues SET status = 'todo', completed_at = NULL, cancelled_at = NULL, updated_at = now() WHERE id = $1 AND ${closedIssueSql()}`,
        [issue.id],
      );
    }
    const runId = randomUUID();
    await q.query(
      runInsertSql(
        "queued",
        [
          "id",
          "company_id",
          "agent_id",
          "invocation_source",
          "trigger_detail",
          "wakeup_request_id",
          "issue_id",
          "task_key",
          "context_snapshot",
        ],
        ["$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9::jsonb"],
      ),
      [
        runId,
        issue.companyId,
        wake.agentId,
        wake.source,
        wake.triggerDetail,
        wake.id,
        issue.id,
        deriveTaskKey(context),
        JSON.stringify(context),
      ],
    );
    await q.query(
      `UPDATE agent_wakeup_requests SET status = 'queued', reason = 'issue_execution_promoted', run_id = $2, updated_at = now() WHERE id = $1`,
      [wake.id, runId],
    );
    if (wake.agentId === issue.assigneeAgentId) {
      await acquireIfFree(q, issue.id, runId, wake.agentNameKey);
    }
    await q.query(`SELECT pg_notify('${DISPATCH_CHANNEL}', $1::text)`, [wake.agentId]);
    return { promotedAgentIds: [wake.agentId] };
  }
  return { promotedAgentIds: [] };
}
