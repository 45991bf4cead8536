import type { BoardActor, Actor } from "../auth/actor.js";
import type { Database, Queryable } from "../db/database.js";
import { openIssueSql } from "../db/predicates.js";
import { recordActivity } from "../activity/record.js";
import { insertIssueRow } from "../issues/insert.js";
import type { IssueMutationHooks } from "../issues/hooks.js";
import type { Logger } from "../logger.js";
import { findRoutine, type RoutineRow } from "./rows.js";

/**
 * Who an automatic fire (schedule, webhook) acts as when the issue hooks wake the assignee: the
 * wake's `requestedBy` reads it. The audit rows of automatic fires say `system`.
 */
export const ROUTINE_SCHEDULER_ACTOR: BoardActor = Object.freeze({
  kind: "board",
  userId: "routine-scheduler",
  source: "local_implicit",
  companyIds: "all",
}) as BoardActor;

const PAYLOAD_TEXT_MAX = 16_000;

export interface FireOutcome {
  runId: string;
  status: "issue_created" | "coalesced" | "skipped" | "failed";
  issueId: string | null;
}

function issueDescription(routine: RoutineRow, payload: unknown): string | null {
  if (payload === null || payload === undefined) return routine.description;
  let text = JSON.stringify(payload, null, 2);
  if (text.length > PAYLOAD_TEXT_MAX) text = `${text.slice(0, PAYLOAD_TEXT_MAX)}\n… (truncated)`;
  return `${routine.description ?? ""}\n\n---\nTrigger payload:\n\`\`\`json\n${text}\n\`\`\``.trimStart();
}

/**
 * Dispatches one `received` fire inside `q`: the fire row is locked (SKIP LOCKED: another server
 * dispatching it makes this a no-op), then the routine row (serializing fires of one routine, so
 * two concurrent fires cannot both see "no open execution issue"). A fire leaves `received` once:
 * - the routine is no longer active → `skipped` (routine_not_active);
 * - no assignee, or a terminated one → `failed`;
 * - coalesce_if_active / skip_if_active while the routine's latest execution issue is open →
 *   `coalesced` / `skipped`, linked to that issue and its fire;
 * - otherwise a new execution issue through the issue insert and the issue-create hooks (which
 *   enqueue the assignee's wake in this same transaction) → `issue_created`.
 */
export async function dispatchFire(
  q: Queryable,
  hooks: IssueMutationHooks,
  runId: string,
  actor: Actor | "system",
): Promise<FireOutcome | null> {
  const [run] = await q.query<{ id: string; routineId: string; source: string; triggerPayload: unknown }>(
    "SELECT id, routine_id, source, trigger_payload FROM routine_runs WHERE id = $1 AND status = 'received' FOR UPDATE SKIP LOCKED",
    [runId],
  );
  if (!run) return null;
  // FOR NO KEY UPDATE (via findRoutine): does not block the KEY SHARE that run inserts take on the routine.
  const routine = (await findRoutine(q, run.routineId, true))!;
  const finish = async (
    status: FireOutcome["status"],
    f: { issueId?: string | null; intoRunId?: string | null; reason?: string | null },
  ) => {
    await q.query(
      `UPDATE routine_runs SET status = $2, linked_issue_id = $3, coalesced_into_run_id = $4, failure_reason = $5,
              completed_at = now(), updated_at = now()
        WHERE id = $1`,
      [run.id, status, f.issueId ?? null, f.intoRunId ?? null, f.reason ?? null],
    );
    await q.query("UPDATE routines SET last_triggered_at = now() WHERE id = $1", [routine.id]);
    await recordActivity(q, {
      companyId: routine.companyId,
      actor,
      action: "routine.run_triggered",
      entityType: "routine_run",
      entityId: run.id,
      agentId: actor === "system" ? routine.assigneeAgentId : undefined,
      details: { routineId: routine.id, source: run.source, status, issueId: f.issueId ?? null, reason: f.reason ?? null },
    });
    return { runId: run.id, status, issueId: f.issueId ?? null };
  };

  if (routine.status !== "active") return finish("skipped", { reason: "routine_not_active" });
  if (!routine.assigneeAgentId) return finish("failed", { reason: "routine_has_no_assignee" });
  const [agent] = await q.query<{ status: string }>("SELECT status FROM agents WHERE id = $1", [routine.assigneeAgentId]);
  if (!agent || agent.status === "terminated") return finish("failed", { reason: "assignee_terminated" });

  if (routine.concurrencyPolicy !== "always_enqueue") {
    const [open] = await q.query<{ id: string; originRunId: string | null }>(
      `SELECT id, origin_run_id FROM issues
        WHERE origin_kind = 'routine_execution' AND origin_id = $1 AND hidden_at IS NULL AND ${openIssueSql()}
        ORDER BY created_at DESC LIMIT 1`,
      [routine.id],
    );
    if (open) {
      return finish(routine.concurrencyPolicy === "coalesce_if_active" ? "coalesced" : "skipped", {
        issueId: open.id,
        intoRunId: open.originRunId,
        reason: "previous_execution_issue_open",
      });
    }
  }

  const stamp =
    actor === "system"
      ? { actorType: "system" as const, actorId: "system", agentId: null, runId: null }
      : actor.kind === "board"
        ? { actorType: "user" as const, actorId: actor.userId, agentId: null, runId: null }
        : { actorType: "agent" as const, actorId: actor.agentId, agentId: actor.agentId, runId: actor.runId };
  const issue = await insertIssueRow(
    q,
    {
      companyId: routine.companyId,
      title: routine.title,
      description: issueDescription(routine, run.triggerPayload),
      status: "todo",
      priority: routine.priority,
      parentId: routine.parentIssueId,
      goalId: routine.goalId,
      projectId: routine.projectId,
      assigneeAgentId: routine.assigneeAgentId,
      createdByAgentId: stamp.agentId,
      createdByUserId: actor !== "system" && actor.kind === "board" ? actor.userId : null,
      originKind: "routine_execution",
      originId: routine.id,
      originRunId: run.id,
    },
    stamp,
  );
  await hooks.afterCreate(q, issue, actor === "system" ? ROUTINE_SCHEDULER_ACTOR : actor);
  return finish("issue_created", { issueId: issue.id });
}

/**
 * Dispatches fires left `received` (claimed by a schedule pass, here or on a server that died
 * before dispatching). One query finds them; each is dispatched in its own transaction. A fire
 * whose dispatch throws is marked `failed` with the error, so it is not retried forever.
 */
export async function dispatchReceived(db: Database, hooks: IssueMutationHooks, logger: Logger, limit = 500): Promise<FireOutcome[]> {
  const pending = await db.query<{ id: string }>("SELECT id FROM routine_runs WHERE status = 'received' ORDER BY created_at, id LIMIT $1", [
    limit,
  ]);
  const out: FireOutcome[] = [];
  for (const { id } of pending) {
    try {
      const outcome = await db.tx((q) => dispatchFire(q, hooks, id, "system"));
      if (outcome) out.push(outcome);
    } catch (error) {
      logger.error("routine fire dispatch failed", { routineRunId: id, err: error });
      await db.query(
        `UPDATE routine_runs SET status = 'failed', failure_reason = $2, completed_at = now(), updated_at = now()
          WHERE id = $1 AND status = 'received'`,
        [id, `dispatch_error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500)],
      );
    }
  }
  return out;
}
