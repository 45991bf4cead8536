import { NON_INVOKABLE_AGENT_STATUSES, WAITING_AGENT_STATUSES, normalizeHeartbeatPolicy } from "@staple/contracts";
import { sqlList } from "../db/sql-list.js";
import { openBlockerSql } from "../db/predicates.js";
import { runTransitionSql } from "./transition.js";
import { lockSql } from "../issues/execution-lock.js";
import type { Database } from "../db/database.js";
import { claimGate } from "./claim-gate.js";
import { RUN_COLUMNS, type RunRow } from "./rows.js";
import { agentForRunSql, type AgentForRun } from "./prepare-run.js";
import { cancelRunInTx } from "./cancel-run.js";
import { activePauseHold } from "../issues/tree-holds.js";
import { getInvocationBlock } from "../budgets/invocation-block.js";
import { recordActivity } from "../activity/record.js";
import { activeQuotaHoldFor } from "./quota-holds.js";
import { checkLoopBreaker, LOOP_BREAKER_REASON } from "./loop-guard.js";

/** How many queued candidates one claim pass inspects beyond the free slots (to skip cancelled ones). */
const CANDIDATE_MARGIN = 20;

export interface ClaimResult {
  claimed: RunRow[];
  /** The agent of each claimed run as its execution needs it, by run id (prepare-run.ts, agentForRunSql). */
  agents?: Map<string, AgentForRun | null>;
  /** Runs the claim gate cancelled (their issues may need their locks and deferred wakes handled). */
  cancelled: RunRow[];
  /**
   * A candidate was passed over because another transaction held its issue row (see the lock order
   * below); it stays queued and the caller should try again shortly.
   */
  contended?: boolean;
}

/** The runner label an agent is bound to (`runtimeConfig.runner`), or null: servers execute its runs. */
export function boundRunnerLabel(runtimeConfig: unknown): string | null {
  const label = runtimeConfig && typeof runtimeConfig === "object" ? (runtimeConfig as Record<string, unknown>).runner : undefined;
  return typeof label === "string" && label.trim() !== "" ? label.trim() : null;
}

/** A claim on behalf of a runner (docs/runners.md#claim-and-execution) instead of this server. */
export interface RunnerClaim {
  runnerId: string;
  /** At most this many runs (the runner's free capacity). */
  max: number;
}

interface Candidate {
  id: string;
  projectId: string | null;
  issueId: string | null;
  contextSnapshot: Record<string, unknown> | null;
  issueFound: boolean;
  issueStatus: string | null;
  assigneeAgentId: string | null;
  blocked: boolean;
}

/**
 * Claims queued runs of one agent for this server (docs/runs.md#claims-and-leases), enforcing the
 * agent's concurrency inside the database:
 *
 * 1. `SELECT … FROM agents … FOR UPDATE` serialises claim passes for the agent across every server.
 * 2. A new statement (fresh snapshot, after the lock) counts the agent's running runs.
 * 3. Candidates are picked in rank order (ready in-progress issue, ready issue, no issue, blocked
 *    issue; then issue priority; then age) with `FOR UPDATE SKIP LOCKED`.
 * 4. The chosen rows move queued -> running with a lease (owner + expiry) in one guarded UPDATE.
 *
 * The issue's execution lock is stamped only when the run's agent is the assignee (lazy locking).
 *
 * Lock order: the claim takes agent → runs → issues, while an issue write that wakes (a comment, a
 * status change) takes issue → runs (it coalesces into the queued run). So the candidates' issue
 * rows are taken with `SKIP LOCKED`, never waited for: a candidate whose issue another transaction
 * holds is passed over (`contended`) and claimed by the next pass, instead of the two
 * transactions deadlocking. Row locks are `FOR NO KEY UPDATE` (no key changes), so foreign-key
 * checks of other writers (which take `FOR KEY SHARE`) do not wait on them.
 *
 * Runner binding (docs/runners.md#binding-agents): a server never claims runs of an agent bound to
 * a runner label (they stay queued); a `forRunner` claim takes only such runs, stamps `runner_id`,
 * and takes at most `forRunner.max`. The binding is read under the agent row lock.
 */
export async function claimQueuedRuns(
  db: Database,
  agentId: string,
  owner: string,
  leaseMs: number,
  now: Date = new Date(),
  forRunner?: RunnerClaim,
): Promise<ClaimResult> {
  // Most pokes find nothing to do (the run that just ended, a duplicate notification): check
  // without a transaction or lock first. A run queued right after this check sends its own poke.
  // A server's pass skips a bound agent here too (no row lock taken for runs it never executes).
  const [pending] = await db.query<{ queued: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM heartbeat_runs r JOIN agents a ON a.id = r.agent_id
                     WHERE r.agent_id = $1 AND r.status = 'queued'
                       AND ($2::boolean OR jsonb_typeof(a.runtime_config->'runner') IS DISTINCT FROM 'string'
                            OR btrim(a.runtime_config->>'runner') = '')) AS queued`,
    [agentId, Boolean(forRunner)],
  );
  if (!pending?.queued) return { claimed: [], cancelled: [] };
  return db.tx(async (q) => {
    const [agent] = await q.query<{
      id: string;
      companyId: string;
      status: string;
      nameKey: string;
      runtimeConfig: unknown;
      adapterType: string;
      adapterConfig: unknown;
    }>(
      "SELECT id, company_id, status, name_key, runtime_config, adapter_type, adapter_config FROM agents WHERE id = $1 FOR NO KEY UPDATE",
      [agentId],
    );
    if (!agent) return { claimed: [], cancelled: [] };
    if ((NON_INVOKABLE_AGENT_STATUSES as readonly string[]).includes(agent.status)) {
      const cancelled: RunRow[] = [];
      const queued = await q.query<{ id: string }>(
        "SELECT id FROM heartbeat_runs WHERE agent_id = $1 AND status = 'queued' FOR NO KEY UPDATE SKIP LOCKED",
        [agentId],
      );
      for (const { id } of queued) {
        const run = await cancelRunInTx(q, id, {
          reason: "Cancelled because the agent is not invokable",
          errorCode: "agent_not_invokable",
          stopReason: "paused",
          wakeStatus: "cancelled",
        });
        if (run) cancelled.push(run);
      }
      return { claimed: [], cancelled };
    }
    // Quota breaker (docs/runs.md#quota-breaker): while the agent's credential is out of quota its
    // queued runs stay queued (not failed); the periodic pass pokes again and claims after the reset.
    if (await activeQuotaHoldFor(q, agent, now)) return { claimed: [], cancelled: [] };
    if ((boundRunnerLabel(agent.runtimeConfig) !== null) !== Boolean(forRunner)) return { claimed: [], cancelled: [] };
    const { maxConcurrentRuns } = normalizeHeartbeatPolicy(agent.runtimeConfig);
    // A new statement after the row lock: its snapshot sees every claim committed before ours, so
    // the running count cannot be stale. Candidates and the count come from the same snapshot.
    let candidates = await q.query<Candidate & { running: number }>(
      `SELECT r.id, r.issue_id, r.context_snapshot, (i.id IS NOT NULL) AS issue_found, i.status AS issue_status, i.project_id,
              i.assignee_agent_id, coalesce(b.blocked, false) AS blocked,
              (SELECT count(*)::int FROM heartbeat_runs x WHERE x.agent_id = $1 AND x.status = 'running') AS running
         FROM heartbeat_runs r
         LEFT JOIN issues i ON i.id = r.issue_id
         LEFT JOIN LATERAL (
           SELECT true AS blocked FROM issue_relations rel JOIN issues bi ON bi.id = rel.issue_id
            WHERE rel.related_issue_id = r.issue_id AND ${openBlockerSql("rel", "bi")} LIMIT 1
         ) b ON true
        WHERE r.agent_id = $1 AND r.status = 'queued'
        ORDER BY CASE WHEN r.issue_id IS NULL THEN 2 WHEN coalesce(b.blocked, false) THEN 3
                      WHEN i.status = 'in_progress' THEN 0 ELSE 1 END,
                 CASE i.priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END,
                 r.created_at, r.id
        LIMIT $2
        FOR NO KEY UPDATE OF r SKIP LOCKED`,
      [agentId, maxConcurrentRuns + CANDIDATE_MARGIN],
    );
    if (candidates.length === 0) return { claimed: [], cancelled: [] };
    const issueIds = [...new Set(candidates.filter((c) => c.issueId && c.issueFound).map((c) => c.issueId!))];
    let contended = false;
    if (issueIds.length > 0) {
      const held = await q.query<{ id: string }>("SELECT id FROM issues WHERE id = ANY($1::uuid[]) FOR NO KEY UPDATE SKIP LOCKED", [
        issueIds,
      ]);
      const mine = new Set(held.map((h) => h.id));
      contended = issueIds.some((id) => !mine.has(id));
      if (contended) candidates = candidates.filter((c) => !(c.issueId && c.issueFound) || mine.has(c.issueId));
      if (candidates.length === 0) return { claimed: [], cancelled: [], contended };
    }
    let slots = Math.min(maxConcurrentRuns - candidates[0]!.running, forRunner ? forRunner.max : Number.POSITIVE_INFINITY);
    if (slots <= 0) return { claimed: [], cancelled: [], contended };

    const toClaim: string[] = [];
    const cancelled: RunRow[] = [];
    for (const c of candidates) {
      if (slots <= 0) break;
      const hold = c.issueId && c.issueFound ? await activePauseHold(q, c.issueId) : null;
      const budget = await getInvocationBlock(q, { companyId: agent.companyId, agentId, projectId: c.projectId });
      if (budget) {
        const run = await cancelRunInTx(q, c.id, {
          reason: budget.reason,
          errorCode: "budget_blocked",
          stopReason: "budget_paused",
          wakeStatus: "cancelled",
        });
        if (run) cancelled.push(run);
        continue;
      }
      const gate = claimGate({
        runAgentId: agentId,
        context: c.contextSnapshot,
        hasIssue: c.issueId !== null,
        issue: c.issueFound ? { status: c.issueStatus!, assigneeAgentId: c.assigneeAgentId, blocked: c.blocked } : null,
        held: Boolean(hold),
      });
      if (gate.action === "cancel") {
        const run = await cancelRunInTx(q, c.id, {
          reason: gate.reason,
          errorCode: gate.errorCode,
          stopReason: gate.errorCode,
          wakeStatus: gate.errorCode === "issue_tree_hold_active" ? "cancelled" : "skipped",
        });
        if (run) cancelled.push(run);
        if (run && hold) {
          await recordActivity(q, {
            companyId: run.companyId,
            actor: "system",
            action: "issue.tree_hold_run_interrupted",
            entityType: "heartbeat_run",
            entityId: run.id,
            agentId: run.agentId,
            runId: run.id,
            details: { issueId: c.issueId, holdId: hold.id, rootIssueId: hold.rootIssueId },
          });
        }
        continue;
      }
      if (c.issueId && c.issueFound) {
        // Loop breaker (docs/runs.md#loop-breaker): covers every path a run is queued by (wakes, promotions, retries).
        const loop = await checkLoopBreaker(q, { companyId: agent.companyId, agentId, issueId: c.issueId, now, excludeRunId: c.id });
        if (loop.action === "block") {
          const run = await cancelRunInTx(q, c.id, {
            reason: "Not started: the loop breaker stopped waking this agent for this issue until there is progress",
            errorCode: LOOP_BREAKER_REASON,
            stopReason: LOOP_BREAKER_REASON,
            wakeStatus: "skipped",
          });
          if (run) cancelled.push(run);
          continue;
        }
      }
      toClaim.push(c.id);
      slots--;
    }
    if (toClaim.length === 0) return { claimed: [], cancelled, contended };

    // One statement moves the runs to running with their lease, marks their wakes claimed, stamps
    // the issue lock for the assignee's runs (lazy locking: only if free), marks the agent running
    // and reads the agent as each run's execution needs it.
    const rows = await q.query<RunRow & { agentForRun: AgentForRun | null }>(
      `WITH c AS (
         ${runTransitionSql({
           target: "id = ANY($1::uuid[])",
           from: ["queued"],
           to: "running",
           set: "started_at = coalesce(started_at, now()), lease_owner = $2, lease_expires_at = now() + ($3::int * interval '1 millisecond'), runner_id = $6::uuid, updated_at = now()",
           returning: RUN_COLUMNS,
         })}
       ), w AS (
         UPDATE agent_wakeup_requests SET status = 'claimed', claimed_at = now(), updated_at = now()
          WHERE id IN (SELECT wakeup_request_id FROM c)
       ), i AS (
         ${lockSql.acquireForClaimed("c", "$4")}
       ), a AS (
         UPDATE agents SET status = 'running', updated_at = now()
          WHERE id = $5 AND status IN ${sqlList(WAITING_AGENT_STATUSES)} AND EXISTS (SELECT 1 FROM c)
       )
       SELECT c.*, ${agentForRunSql("c.agent_id", "coalesce(c.task_key, '')")} AS agent_for_run FROM c`,
      [toClaim, owner, leaseMs, agent.nameKey, agentId, forRunner?.runnerId ?? null],
    );
    const agents = new Map<string, AgentForRun | null>();
    const claimed = rows.map(({ agentForRun, ...run }) => {
      agents.set(run.id, agentForRun);
      return run as RunRow;
    });
    return { claimed, cancelled, contended, agents };
  });
}
