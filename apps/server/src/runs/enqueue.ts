import { randomUUID } from "node:crypto";
import { isUuid, NON_INVOKABLE_AGENT_STATUSES, normalizeHeartbeatPolicy, type WakeSource, type WakeTriggerDetail } from "@staple/contracts";
import { getInvocationBlock, type InvocationBlock } from "../budgets/invocation-block.js";
import type { Database, Queryable } from "../db/database.js";
import { conflict, notFound } from "../errors.js";
import { DISPATCH_CHANNEL } from "./dispatch-channel.js";
import { LIVE_CHANNEL } from "../live/bus.js";
import { RUN_COLUMNS, type RunRow } from "./rows.js";
import { isExecutionPathStatus } from "./states.js";
import { liveRunSql, openBlockerSql } from "../db/predicates.js";
import { runInsertSql } from "./transition.js";
import { cancelRunInTx } from "./cancel-run.js";
import { acquireIfFree, releaseIfHeldBy } from "../issues/execution-lock.js";
import { activePauseHold, isVerifiedInteraction } from "../issues/tree-holds.js";
import { ACTIVITY_COLUMNS, activityValues, recordActivity, type ActivityInput } from "../activity/record.js";
import { decideIssueWake, pickNonIssueCoalesceTarget } from "./wake-decision.js";
import { checkLoopBreaker, LOOP_BREAKER_REASON } from "./loop-guard.js";
import {
  DEFERRED_WAKE_CONTEXT_KEY,
  enrichWakeContext,
  isInteractionWake,
  mergeContexts,
  needsFollowupRun,
  obj,
  type WakeContext,
} from "./wake-context.js";

export interface WakeupRequest {
  agentId: string;
  source: WakeSource;
  triggerDetail: WakeTriggerDetail | null;
  reason: string | null;
  payload: Record<string, unknown> | null;
  context?: WakeContext;
  idempotencyKey?: string | null;
  requestedBy: { type: "user" | "agent" | "system"; id: string | null };
  /** Fields of the new run set by recovery paths (retries). */
  run?: { retryOfRunId?: string | null; processLossRetryCount?: number; continuationAttempt?: number };
  /**
   * The caller's access rule, checked against the woken agent's row (read under its lock, before
   * anything is written); it throws to refuse. A route passes it instead of reading the agent first.
   */
  authorize?: (agent: { id: string; companyId: string }) => void;
  /**
   * The wake's audit row, about the woken agent, written with the wake whatever its outcome; its
   * details get `outcome` (the outcome's kind) and `runId` (the queued or coalesced run, else null).
   * A queued run's row is written by the same statement as the run.
   */
  audit?: { actor: ActivityInput["actor"]; action: string; details: Record<string, unknown> };
}

/** The audit row of a wake with its outcome (WakeupRequest.audit). */
function auditRow(
  audit: NonNullable<WakeupRequest["audit"]>,
  agent: { id: string; companyId: string },
  outcome: string,
  runId: string | null,
): ActivityInput {
  return {
    companyId: agent.companyId,
    actor: audit.actor,
    action: audit.action,
    entityType: "agent",
    entityId: agent.id,
    agentId: agent.id,
    details: { outcome, runId, ...audit.details },
  };
}

export type WakeupOutcome =
  | { kind: "queued"; run: RunRow; wakeupId: string }
  | { kind: "coalesced"; run: RunRow; wakeupId: string; reason: string }
  | { kind: "deferred"; wakeupId: string; reason: string }
  | { kind: "skipped"; wakeupId: string; reason: string; budgetBlock?: InvocationBlock }
  | { kind: "duplicate"; run: RunRow | null; wakeupId: string };

interface AgentFacts {
  id: string;
  companyId: string;
  nameKey: string;
  status: string;
  runtimeConfig: unknown;
}

interface Insert {
  status: string;
  reason: string | null;
  payload: Record<string, unknown> | null;
  runId?: string | null;
  coalescedCount?: number;
  issueId?: string | null;
  finished?: boolean;
}

async function insertWakeup(q: Queryable, agent: AgentFacts, req: WakeupRequest, w: Insert, id = randomUUID()): Promise<string> {
  await q.query(
    `INSERT INTO agent_wakeup_requests (id, company_id, agent_id, source, trigger_detail, reason, payload, status, coalesced_count,
       requested_by_actor_type, requested_by_actor_id, idempotency_key, issue_id, run_id, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14, ${w.finished ? "now()" : "NULL"})`,
    [
      id,
      agent.companyId,
      agent.id,
      req.source,
      req.triggerDetail,
      w.reason,
      w.payload ? JSON.stringify(w.payload) : null,
      w.status,
      w.coalescedCount ?? 0,
      req.requestedBy.type,
      req.requestedBy.id,
      req.idempotencyKey ?? null,
      w.issueId ?? null,
      w.runId ?? null,
    ],
  );
  return id;
}

/** The live event announcing a queued run, when someone can hear it (the engine's live bus). */
export type AnnounceQueued = (run: { id: string; companyId: string; agentId: string; invocationSource: string }) => string | null;

/**
 * Inserts the queued wakeup and its run in one statement (ids chosen here so each can name the
 * other), with the wake's audit row and the board's announcement when there are any.
 */
async function insertQueuedRun(
  q: Queryable,
  agent: AgentFacts,
  req: WakeupRequest,
  context: WakeContext,
  issueId: string | null,
  taskKey: string | null,
  announce: AnnounceQueued | undefined,
): Promise<{ run: RunRow; wakeupId: string }> {
  const wakeupId = randomUUID();
  const runId = randomUUID();
  const audit = req.audit ? activityValues(auditRow(req.audit, agent, "queued", runId)) : [];
  const live = announce?.({ id: runId, companyId: agent.companyId, agentId: agent.id, invocationSource: req.source }) ?? null;
  const liveParam = `$${18 + audit.length}`;
  const [run] = await q.query<RunRow>(
    `WITH ${req.audit ? `a AS (INSERT INTO activity_log (${ACTIVITY_COLUMNS}) VALUES ($18, $19, $20, $21, $22, $23, $24, $25, $26::jsonb)), ` : ""}w AS (
       INSERT INTO agent_wakeup_requests (id, company_id, agent_id, source, trigger_detail, reason, payload, status,
         requested_by_actor_type, requested_by_actor_id, idempotency_key, issue_id, run_id)
       VALUES ($1, $3, $4, $5, $6, $7, $8::jsonb, 'queued', $9, $10, $11, $12, $2)
     ), r AS (
       ${runInsertSql(
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
           "retry_of_run_id",
           "process_loss_retry_count",
           "continuation_attempt",
         ],
         ["$2", "$3", "$4", "$5", "$6", "$1", "$12", "$13", "$14::jsonb", "$15", "$16", "$17"],
         RUN_COLUMNS,
       )}
     )
     SELECT r.*, pg_notify('${DISPATCH_CHANNEL}', $4::text) AS notified${live ? `, pg_notify('${LIVE_CHANNEL}', ${liveParam}::text) AS announced` : ""} FROM r`,
    [
      wakeupId,
      runId,
      agent.companyId,
      agent.id,
      req.source,
      req.triggerDetail,
      req.reason,
      req.payload ? JSON.stringify(req.payload) : null,
      req.requestedBy.type,
      req.requestedBy.id,
      req.idempotencyKey ?? null,
      issueId,
      taskKey,
      JSON.stringify(context),
      req.run?.retryOfRunId ?? null,
      req.run?.processLossRetryCount ?? 0,
      req.run?.continuationAttempt ?? 0,
      ...audit,
      ...(live ? [live] : []),
    ],
  );
  const { notified: _n, announced: _a, ...row } = run as RunRow & { notified: unknown; announced?: unknown };
  return { run: row as RunRow, wakeupId };
}

async function coalesceInto(q: Queryable, runId: string, context: WakeContext): Promise<RunRow> {
  const [run] = await q.query<RunRow>(
    `UPDATE heartbeat_runs SET context_snapshot = $2::jsonb, updated_at = now() WHERE id = $1 RETURNING ${RUN_COLUMNS}`,
    [runId, JSON.stringify(context)],
  );
  return run!;
}

/**
 * Turns a wake request into a queued run, a merge into an existing run, a deferred wake, or a
 * recorded skip (docs/runs.md#wakeups-and-coalescing). Issue-scoped wakes decide under the issue's
 * row lock; other wakes under the agent's row lock, so concurrent wakes coalesce instead of piling
 * up, on any number of servers.
 *
 * Runs in the caller's transaction when given one (mutation wakes commit with the mutation).
 */
export function createWakeupEnqueuer(db: Database, announce?: AnnounceQueued) {
  /** `seen.agent`: the woken agent's row, once read (for the audit of outcomes written here). */
  async function enqueueIn(q: Queryable, req: WakeupRequest, seen: { agent?: AgentFacts } = {}): Promise<WakeupOutcome> {
    const [agent] = isUuid(req.agentId)
      ? await q.query<AgentFacts>(
          `SELECT id, company_id, name_key, status, runtime_config FROM agents WHERE id = $1${req.context?.issueId || req.payload?.issueId ? "" : " FOR NO KEY UPDATE"}`,
          [req.agentId],
        )
      : [];
    if (!agent) throw notFound("Agent not found");
    req.authorize?.(agent);
    seen.agent = agent;
    // Budget first: a blocked wake is recorded as skipped (a trace of every attempt), the caller
    // answers 409 (docs/budgets.md#the-invocation-gate).
    const wakeIssueId =
      (typeof req.context?.issueId === "string" ? req.context.issueId : null) ??
      (typeof req.payload?.issueId === "string" ? req.payload.issueId : null);
    const [scopeIssue] =
      wakeIssueId && isUuid(wakeIssueId)
        ? await q.query<{ projectId: string | null }>("SELECT project_id FROM issues WHERE id = $1", [wakeIssueId])
        : [];
    const budgetBlock = await getInvocationBlock(q, {
      companyId: agent.companyId,
      agentId: agent.id,
      projectId: scopeIssue?.projectId ?? null,
    });
    if (budgetBlock) {
      const wakeupId = await insertWakeup(q, agent, req, {
        status: "skipped",
        reason: "budget.blocked",
        payload: req.payload,
        issueId: null,
        finished: true,
      });
      return { kind: "skipped", reason: "budget.blocked", wakeupId, budgetBlock };
    }
    if ((NON_INVOKABLE_AGENT_STATUSES as readonly string[]).includes(agent.status)) {
      throw conflict("Agent is not invokable in its current state", { status: agent.status }, "agent_not_invokable");
    }
    if (req.idempotencyKey) {
      // Two wakes with one key arriving together: the second waits here, then finds the first.
      await q.query("SELECT pg_advisory_xact_lock(hashtextextended('staple.wake:' || $1::text || ':' || $2::text, 0))", [
        agent.id,
        req.idempotencyKey,
      ]);
      const [dup] = await q.query<{ id: string; runId: string | null }>(
        "SELECT id, run_id FROM agent_wakeup_requests WHERE agent_id = $1 AND idempotency_key = $2",
        [agent.id, req.idempotencyKey],
      );
      if (dup) {
        const [run] = dup.runId ? await q.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM heartbeat_runs WHERE id = $1`, [dup.runId]) : [];
        return { kind: "duplicate", run: run ?? null, wakeupId: dup.id };
      }
    }
    const skip = async (reason: string, payload = req.payload, issueId: string | null = null): Promise<WakeupOutcome> => ({
      kind: "skipped",
      reason,
      wakeupId: await insertWakeup(q, agent, req, { status: "skipped", reason, payload, issueId, finished: true }),
    });

    const policy = normalizeHeartbeatPolicy(agent.runtimeConfig);
    if (req.source === "timer" && !policy.enabled) return skip("heartbeat.disabled");
    if (req.source !== "timer" && !policy.wakeOnDemand) return skip("heartbeat.wakeOnDemand.disabled");

    const { context, issueId, taskKey } = enrichWakeContext({
      source: req.source,
      triggerDetail: req.triggerDetail,
      reason: req.reason,
      payload: req.payload,
      context: req.context,
    });

    if (!issueId) {
      // Non-issue wake: fold into the same task's pending run (agent row lock held above).
      const sameTask = await q.query<{ id: string; status: string; contextSnapshot: unknown }>(
        `SELECT id, status, context_snapshot FROM heartbeat_runs
          WHERE agent_id = $1 AND ${liveRunSql()} AND issue_id IS NULL AND task_key IS NOT DISTINCT FROM $2
          ORDER BY created_at DESC`,
        [agent.id, taskKey],
      );
      const target = pickNonIssueCoalesceTarget(sameTask, needsFollowupRun(context));
      if (target) {
        const run = await coalesceInto(q, target.id, mergeContexts(target.contextSnapshot, context));
        const wakeupId = await insertWakeup(q, agent, req, {
          status: "coalesced",
          reason: req.reason,
          payload: req.payload,
          runId: run.id,
          coalescedCount: 1,
          finished: true,
        });
        return { kind: "coalesced", run, wakeupId, reason: "same_task_key" };
      }
      return { kind: "queued", ...(await insertQueuedRun(q, agent, req, context, null, taskKey, announce)) };
    }

    const [issue] = await q.query<{ id: string; status: string; assigneeAgentId: string | null; executionRunId: string | null }>(
      "SELECT id, status, assignee_agent_id, execution_run_id FROM issues WHERE id = $1 AND company_id = $2 FOR NO KEY UPDATE",
      [issueId, agent.companyId],
    );
    if (!issue) return skip("issue_execution_issue_not_found", req.payload, null);

    // A paused subtree takes no new work; a human's comment still reaches the agent
    // (docs/runs.md#tree-holds).
    const hold = await activePauseHold(q, issue.id);
    if (hold) {
      if (!(await isVerifiedInteraction(q, issue.id, context, req.requestedBy))) {
        await recordActivity(q, {
          companyId: agent.companyId,
          actor: "system",
          action: "issue.tree_hold_wakeup_deferred",
          entityType: "issue",
          entityId: issue.id,
          agentId: agent.id,
          details: { holdId: hold.id, rootIssueId: hold.rootIssueId, requestedReason: req.reason, source: req.source },
        });
        return skip("issue_tree_hold_active", req.payload, issueId);
      }
      context.treeHoldInteraction = true;
      context.activeTreeHold = { holdId: hold.id, rootIssueId: hold.rootIssueId, interaction: true };
    }

    let active: { id: string; status: string; agentId: string; agentNameKey: string | null } | null = null;
    if (issue.executionRunId) {
      const [run] = await q.query<{ id: string; status: string; agentId: string; agentNameKey: string | null }>(
        `SELECT r.id, r.status, r.agent_id, a.name_key AS agent_name_key FROM heartbeat_runs r JOIN agents a ON a.id = r.agent_id WHERE r.id = $1`,
        [issue.executionRunId],
      );
      active = run && isExecutionPathStatus(run.status) ? run : null;
      if (active && active.status === "scheduled_retry" && (active.agentId !== issue.assigneeAgentId || issue.status === "cancelled")) {
        await cancelStaleScheduledRetry(q, active.id, issue.status === "cancelled" ? "issue_cancelled" : "issue_reassigned");
        active = null;
      }
      if (!active) await releaseIfHeldBy(q, issue.id, issue.executionRunId);
    }
    if (!active) {
      // Adopt a live run already working this issue (running first, then oldest).
      const [adopt] = await q.query<{ id: string; status: string; agentId: string; agentNameKey: string | null }>(
        `SELECT r.id, r.status, r.agent_id, a.name_key AS agent_name_key FROM heartbeat_runs r JOIN agents a ON a.id = r.agent_id
          WHERE r.issue_id = $1 AND ${liveRunSql("r")}
          ORDER BY (r.status = 'running') DESC, r.created_at LIMIT 1`,
        [issue.id],
      );
      if (adopt && adopt.status === "scheduled_retry" && (adopt.agentId !== issue.assigneeAgentId || issue.status === "cancelled")) {
        await cancelStaleScheduledRetry(q, adopt.id, issue.status === "cancelled" ? "issue_cancelled" : "issue_reassigned");
      } else if (adopt) {
        active = adopt;
        await acquireIfFree(q, issue.id, adopt.id, adopt.agentNameKey);
      }
    }
    const [{ blocked, blockerIds }] = (await q.query<{ blocked: boolean; blockerIds: string[] }>(
      `SELECT count(*) > 0 AS blocked, coalesce(array_agg(b.id), '{}') AS blocker_ids
         FROM issue_relations rel JOIN issues b ON b.id = rel.issue_id
        WHERE rel.related_issue_id = $1 AND ${openBlockerSql("rel", "b")}`,
      [issue.id],
    )) as [{ blocked: boolean; blockerIds: string[] }];

    const outcome = decideIssueWake({
      activeRun: active ? { id: active.id, status: active.status, agentNameKey: active.agentNameKey } : null,
      agentNameKey: agent.nameKey,
      dependencyBlocked: blocked,
      interaction: isInteractionWake(context),
      needsFollowup: needsFollowupRun(context),
    });
    switch (outcome.kind) {
      case "skip":
        return skip(outcome.reason, { ...(req.payload ?? {}), issueId, unresolvedBlockerIssueIds: blockerIds }, issueId);
      case "coalesce": {
        const [current] = await q.query<{ contextSnapshot: unknown }>("SELECT context_snapshot FROM heartbeat_runs WHERE id = $1", [
          outcome.runId,
        ]);
        const run = await coalesceInto(q, outcome.runId, mergeContexts(current?.contextSnapshot, context));
        const wakeupId = await insertWakeup(q, agent, req, {
          status: "coalesced",
          reason: outcome.reason,
          payload: req.payload,
          runId: run.id,
          coalescedCount: 1,
          issueId,
          finished: true,
        });
        return { kind: "coalesced", run, wakeupId, reason: outcome.reason };
      }
      case "defer": {
        const [existing] = await q.query<{ id: string; payload: unknown }>(
          `SELECT id, payload FROM agent_wakeup_requests WHERE agent_id = $1 AND issue_id = $2 AND status = 'deferred_issue_execution'
            ORDER BY requested_at LIMIT 1 FOR NO KEY UPDATE`,
          [agent.id, issueId],
        );
        if (existing) {
          const prev = obj(existing.payload);
          const merged = {
            ...prev,
            ...(req.payload ?? {}),
            issueId,
            [DEFERRED_WAKE_CONTEXT_KEY]: mergeContexts(prev[DEFERRED_WAKE_CONTEXT_KEY], context),
          };
          await q.query(
            "UPDATE agent_wakeup_requests SET payload = $2::jsonb, coalesced_count = coalesced_count + 1, updated_at = now() WHERE id = $1",
            [existing.id, JSON.stringify(merged)],
          );
          return { kind: "deferred", wakeupId: existing.id, reason: outcome.reason };
        }
        const payload = { ...(req.payload ?? {}), issueId, [DEFERRED_WAKE_CONTEXT_KEY]: context };
        const wakeupId = await insertWakeup(q, agent, req, {
          status: "deferred_issue_execution",
          reason: outcome.reason,
          payload,
          issueId,
        });
        return { kind: "deferred", wakeupId, reason: outcome.reason };
      }
      case "queue": {
        // Loop breaker (docs/runs.md#loop-breaker): an agent looping on this issue with no
        // progress is not woken for it; the claim pass checks again for runs queued elsewhere.
        const loop = await checkLoopBreaker(q, { companyId: agent.companyId, agentId: agent.id, issueId, now: new Date() });
        if (loop.action === "block")
          return skip(LOOP_BREAKER_REASON, { ...(req.payload ?? {}), issueId, loopIncidentId: loop.incidentId }, issueId);
        if (outcome.dependencyBlockedInteraction) {
          context.dependencyBlockedInteraction = true;
          context.unresolvedBlockerIssueIds = blockerIds;
        }
        return { kind: "queued", ...(await insertQueuedRun(q, agent, req, context, issueId, taskKey, announce)) };
      }
    }
  }

  return {
    /** Enqueues in `q` when given (the caller's transaction), else in a transaction of its own. */
    enqueue(req: WakeupRequest, q?: Queryable): Promise<WakeupOutcome> {
      const audited = async (tx: Queryable) => {
        const seen: { agent?: AgentFacts } = {};
        const outcome = await enqueueIn(tx, req, seen);
        // A queued run's audit row went in with it (insertQueuedRun).
        if (req.audit && seen.agent && outcome.kind !== "queued")
          await recordActivity(tx, auditRow(req.audit, seen.agent, outcome.kind, "run" in outcome && outcome.run ? outcome.run.id : null));
        return outcome;
      };
      return q ? audited(q) : db.tx(audited);
    },
  };
}
export type WakeupEnqueuer = ReturnType<typeof createWakeupEnqueuer>;

/**
 * A scheduled retry whose issue was reassigned or cancelled must not hold the issue: cancel it
 * (guarded on `scheduled_retry`) through the one cancel path, with the same side effects as any
 * cancel: wake closed, event, NOTIFY, leases and issue lock released, deferred wakes promoted
 * (docs/runs.md#transient-retry).
 */
export async function cancelStaleScheduledRetry(
  q: Queryable,
  runId: string,
  code: "issue_reassigned" | "issue_cancelled",
): Promise<boolean> {
  const reason =
    code === "issue_cancelled"
      ? "Cancelled because the issue was cancelled before the scheduled retry became due"
      : "Cancelled because the issue was reassigned before the scheduled retry became due";
  const run = await cancelRunInTx(q, runId, {
    reason,
    errorCode: code,
    stopReason: code,
    wakeStatus: "cancelled",
    from: ["scheduled_retry"],
  });
  return run !== undefined;
}
