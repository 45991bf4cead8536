import type { Routine, RoutineRun, RoutineTrigger } from "@staple/contracts";
import type { Queryable } from "../db/database.js";

export const ROUTINE_COLUMNS = `id, company_id, project_id, goal_id, parent_issue_id, title, description, assignee_agent_id,
  priority, status, concurrency_policy, catch_up_policy, created_by_agent_id, created_by_user_id, updated_by_agent_id,
  updated_by_user_id, last_triggered_at, created_at, updated_at`;

/** Never the secret: `secret_ciphertext` is read only by the webhook check. */
export const TRIGGER_COLUMNS = `id, company_id, routine_id, kind, label, enabled, cron_expression, timezone, next_run_at,
  last_fired_at, public_id, signing_mode, replay_window_sec, last_rotated_at, created_at, updated_at`;

export type RoutineRow = Omit<Routine, "triggers">;

/** A routine run with its issue and trigger summaries (r = routine_runs, i = issues, t = routine_triggers). */
export const RUN_SELECT = `SELECT r.id, r.company_id, r.routine_id, r.trigger_id, r.source, r.status, r.scheduled_for, r.triggered_at,
    r.idempotency_key, r.trigger_payload, r.linked_issue_id, r.coalesced_into_run_id, r.failure_reason, r.completed_at,
    r.created_at, r.updated_at,
    CASE WHEN i.id IS NULL THEN NULL ELSE json_build_object('id', i.id, 'identifier', i.identifier, 'title', i.title,
      'status', i.status, 'priority', i.priority) END AS linked_issue,
    CASE WHEN t.id IS NULL THEN NULL ELSE json_build_object('id', t.id, 'kind', t.kind, 'label', t.label) END AS trigger
  FROM routine_runs r
  LEFT JOIN issues i ON i.id = r.linked_issue_id
  LEFT JOIN routine_triggers t ON t.id = r.trigger_id`;

export async function findRoutine(q: Queryable, id: string, lock = false): Promise<RoutineRow | undefined> {
  const [row] = await q.query<RoutineRow>(`SELECT ${ROUTINE_COLUMNS} FROM routines WHERE id = $1${lock ? " FOR NO KEY UPDATE" : ""}`, [id]);
  return row;
}

export async function triggersOf(q: Queryable, routineIds: string[]): Promise<Map<string, RoutineTrigger[]>> {
  const out = new Map<string, RoutineTrigger[]>(routineIds.map((id) => [id, []]));
  if (routineIds.length === 0) return out;
  const rows = await q.query<RoutineTrigger>(
    `SELECT ${TRIGGER_COLUMNS} FROM routine_triggers WHERE routine_id = ANY($1::uuid[]) ORDER BY created_at, id`,
    [routineIds],
  );
  for (const t of rows) out.get(t.routineId)?.push(t);
  return out;
}

export async function findRun(q: Queryable, id: string): Promise<RoutineRun | undefined> {
  const [row] = await q.query<RoutineRun>(`${RUN_SELECT} WHERE r.id = $1`, [id]);
  return row;
}
