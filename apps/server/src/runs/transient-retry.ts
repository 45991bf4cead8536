import { randomUUID } from "node:crypto";
import type { Database, Queryable } from "../db/database.js";
import { appendRunEvent } from "./run-events.js";
import { decideTransientRetry, type RetryDecision } from "./retry-policy.js";
import { RUN_COLUMNS, type RunRow } from "./rows.js";
import { cancelStaleScheduledRetry } from "./enqueue.js";
import { DISPATCH_CHANNEL } from "./dispatch-channel.js";
import { runInsertSql, runTransitionSql } from "./transition.js";
import { transfer } from "../issues/execution-lock.js";

/** Due scheduled retries promoted per pass (oldest first). */
export const PROMOTE_BATCH = 50;

export type ScheduleResult =
  | Extract<RetryDecision, { outcome: "retry_exhausted" }>
  | { outcome: "scheduled"; run: RunRow; dueAt: Date; attempt: number; maxAttempts: number };

/**
 * Schedules the next bounded retry of a failed run (docs/runs.md#transient-retry) inside `q`: a
 * `scheduled_retry` run (and its wake) due at the computed time, carrying the retry metadata in its
 * context and wake payload; the issue's execution lock moves to it when it pointed at the failed
 * run, so the work is neither orphaned nor taken by someone else meanwhile. Past the cap, records
 * the exhaustion on the failed run and schedules nothing.
 */
export async function scheduleBoundedRetry(
  q: Queryable,
  source: RunRow & { adapterType?: string },
  opts: { now: Date; random: () => number },
): Promise<ScheduleResult> {
  const [agent] = await q.query<{ adapterType: string }>("SELECT adapter_type FROM agents WHERE id = $1", [source.agentId]);
  const adapterType = source.adapterType ?? agent?.adapterType ?? "unknown";
  const retryNotBefore = typeof source.resultJson?.retryNotBefore === "string" ? (source.resultJson.retryNotBefore as string) : null;
  const decision = decideTransientRetry({
    previousAttempt: source.scheduledRetryAttempt,
    adapterType,
    retryNotBefore,
    now: opts.now,
    random: opts.random,
  });
  const retryReason = "transient_failure";
  if (decision.outcome === "retry_exhausted") {
    await appendRunEvent(q, source.id, {
      eventType: "lifecycle",
      level: "warn",
      message: `Bounded retry exhausted after ${decision.maxAttempts} attempts`,
      payload: { retryReason, scheduledRetryAttempt: source.scheduledRetryAttempt, maxAttempts: decision.maxAttempts },
    });
    return decision;
  }
  const issueId = source.issueId ?? (source.contextSnapshot?.issueId as string | undefined) ?? null;
  const meta = {
    issueId,
    retryOfRunId: source.id,
    retryReason,
    errorFamily: (source.resultJson?.errorFamily as string | undefined) ?? "transient_upstream",
    scheduledRetryAttempt: decision.attempt,
    scheduledRetryAt: decision.dueAt.toISOString(),
    transientRetryNotBefore: retryNotBefore,
    codexTransientFallbackMode: decision.fallbackMode,
  };
  const context = { ...(source.contextSnapshot ?? {}), ...meta, wakeReason: "transient_failure_retry" };
  const wakeupId = randomUUID();
  const runId = randomUUID();
  const [run] = await q.query<RunRow>(
    `WITH w AS (
       INSERT INTO agent_wakeup_requests (id, company_id, agent_id, source, trigger_detail, reason, payload, status,
         requested_by_actor_type, requested_by_actor_id, issue_id, run_id)
       VALUES ($1, $3, $4, 'automation', 'system', 'transient_failure_retry', $5::jsonb, 'queued', 'system', 'transient_retry', $6, $2)
     )
     ${runInsertSql(
       "scheduled_retry",
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
         "retry_of_run_id",
         "scheduled_retry_at",
         "scheduled_retry_attempt",
         "scheduled_retry_reason",
         "process_loss_retry_count",
       ],
       ["$2", "$3", "$4", "'automation'", "'system'", "$1", "$6", "$7", "$8::jsonb", "$9", "$10", "$11", "$12", "$13"],
       RUN_COLUMNS,
     )}`,
    [
      wakeupId,
      runId,
      source.companyId,
      source.agentId,
      JSON.stringify(meta),
      issueId,
      source.taskKey,
      JSON.stringify(context),
      source.id,
      decision.dueAt.toISOString(),
      decision.attempt,
      retryReason,
      source.processLossRetryCount,
    ],
  );
  if (issueId) await transfer(q, issueId, source.id, runId);
  await appendRunEvent(q, source.id, {
    eventType: "lifecycle",
    level: "warn",
    message: `Scheduled bounded retry ${decision.attempt}/${decision.maxAttempts} for ${decision.dueAt.toISOString()}`,
    payload: { retryRunId: runId, ...meta },
  });
  return { outcome: "scheduled", run: run!, dueAt: decision.dueAt, attempt: decision.attempt, maxAttempts: decision.maxAttempts };
}

/**
 * Promotes due scheduled retries: at most 50 per pass, oldest due first, rows locked
 * with SKIP LOCKED so concurrent passes on several servers split the work. A retry whose issue
 * was reassigned or cancelled meanwhile is cancelled instead (and releases the lock it held).
 */
export async function promoteDueScheduledRetries(db: Database, now: Date): Promise<{ promoted: number; runIds: string[] }> {
  return db.tx(async (q) => {
    const due = await q.query<{
      id: string;
      agentId: string;
      issueId: string | null;
      issueStatus: string | null;
      assigneeAgentId: string | null;
      issueFound: boolean;
    }>(
      `SELECT r.id, r.agent_id, r.issue_id, i.status AS issue_status, i.assignee_agent_id, (i.id IS NOT NULL) AS issue_found
         FROM heartbeat_runs r LEFT JOIN issues i ON i.id = r.issue_id
        WHERE r.status = 'scheduled_retry' AND r.scheduled_retry_at <= $1
        ORDER BY r.scheduled_retry_at, r.id LIMIT ${PROMOTE_BATCH}
        FOR NO KEY UPDATE OF r SKIP LOCKED`,
      [now.toISOString()],
    );
    const promote: string[] = [];
    for (const row of due) {
      if (row.issueId && row.issueFound && (row.issueStatus === "cancelled" || row.assigneeAgentId !== row.agentId)) {
        await cancelStaleScheduledRetry(q, row.id, row.issueStatus === "cancelled" ? "issue_cancelled" : "issue_reassigned");
        continue;
      }
      promote.push(row.id);
    }
    if (promote.length === 0) return { promoted: 0, runIds: [] };
    const promoted = await q.query<{ id: string; agentId: string }>(
      `WITH p AS (
         ${runTransitionSql({ target: "id = ANY($1::uuid[])", from: ["scheduled_retry"], to: "queued", set: "updated_at = now()", returning: "id, agent_id, wakeup_request_id" })}
       ), w AS (
         UPDATE agent_wakeup_requests SET status = 'queued', updated_at = now() WHERE id IN (SELECT wakeup_request_id FROM p)
       )
       SELECT p.id, p.agent_id, pg_notify('${DISPATCH_CHANNEL}', p.agent_id::text) FROM p`,
      [promote],
    );
    const order = new Map(promote.map((id, i) => [id, i]));
    const runIds = promoted.map((p) => p.id).sort((a, b) => order.get(a)! - order.get(b)!);
    return { promoted: runIds.length, runIds };
  });
}
