import { ROUTINE_CATCH_UP_CAP } from "@staple/contracts";
import type { Database } from "../db/database.js";
import type { Logger } from "../logger.js";
import { owedTicks } from "./cron.js";

/** Most triggers claimed by one pass; the rest wait for the next pass (bounded work per tick). */
export const SCHEDULE_BATCH = 500;

interface DueTrigger {
  id: string;
  routineId: string;
  companyId: string;
  cronExpression: string;
  timezone: string;
  nextRunAt: Date;
  catchUpPolicy: "skip_missed" | "enqueue_missed_with_cap";
}

/**
 * Claims the schedule ticks due at `now`, set-based: one SELECT (the due index, SKIP LOCKED so
 * concurrent servers split the work instead of waiting), one UPDATE that advances every claimed
 * trigger's `next_run_at` guarded by the value it read, and one INSERT of the fires, all in one
 * transaction. A tick is therefore claimed by exactly one server: a second server either skips
 * the locked trigger or finds `next_run_at` already moved, and the unique (trigger_id,
 * scheduled_for) index refuses a duplicate fire whatever happens.
 *
 * Catch-up after downtime, decided once, by whoever claims the overdue trigger:
 * - skip_missed: one fire, for the newest missed tick; the older ones are dropped;
 * - enqueue_missed_with_cap: one fire per missed tick, the newest ROUTINE_CATCH_UP_CAP of them.
 * Either way `next_run_at` moves to the first tick after `now`.
 */
export async function claimDueTicks(db: Database, now: Date, logger: Logger, batch = SCHEDULE_BATCH): Promise<number> {
  return db.tx(async (q) => {
    const due = await q.query<DueTrigger>(
      `SELECT t.id, t.routine_id, t.company_id, t.cron_expression, t.timezone, t.next_run_at, r.catch_up_policy
         FROM routine_triggers t JOIN routines r ON r.id = t.routine_id
        WHERE t.kind = 'schedule' AND t.enabled AND t.next_run_at IS NOT NULL AND t.next_run_at <= $1 AND r.status = 'active'
        ORDER BY t.next_run_at, t.id
        LIMIT $2
        FOR UPDATE OF t SKIP LOCKED`,
      [now.toISOString(), batch],
    );
    if (due.length === 0) return 0;
    const claim = { ids: [] as string[], old: [] as string[], next: [] as (string | null)[] };
    const fires = { routineIds: [] as string[], companyIds: [] as string[], triggerIds: [] as string[], ticks: [] as string[] };
    for (const t of due) {
      const dueAt = new Date(t.nextRunAt);
      let ticks: Date[] = [dueAt];
      let next: Date | null = null;
      try {
        const cap = t.catchUpPolicy === "enqueue_missed_with_cap" ? ROUTINE_CATCH_UP_CAP : 1;
        ({ ticks, next } = owedTicks(t, dueAt, now, cap));
      } catch (error) {
        // A stored schedule croner no longer accepts: fire the tick that was due, then stop.
        logger.warn("routine schedule unreadable; trigger stops after this fire", { triggerId: t.id, err: error });
      }
      claim.ids.push(t.id);
      claim.old.push(dueAt.toISOString());
      claim.next.push(next ? next.toISOString() : null);
      for (const tick of ticks) {
        fires.routineIds.push(t.routineId);
        fires.companyIds.push(t.companyId);
        fires.triggerIds.push(t.id);
        fires.ticks.push(tick.toISOString());
      }
    }
    const claimed = await q.query<{ id: string }>(
      `UPDATE routine_triggers t SET next_run_at = v.next, last_fired_at = $4, updated_at = now()
         FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS v(id, old, next)
        WHERE t.id = v.id AND t.next_run_at = v.old
        RETURNING t.id`,
      [claim.ids, claim.old, claim.next, now.toISOString()],
    );
    if (claimed.length === 0) return 0;
    const inserted = await q.query<{ id: string }>(
      `INSERT INTO routine_runs (company_id, routine_id, trigger_id, source, status, scheduled_for, triggered_at)
       SELECT f.company_id, f.routine_id, f.trigger_id, 'schedule', 'received', f.tick, $5
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[]) AS f(company_id, routine_id, trigger_id, tick)
        WHERE f.trigger_id = ANY($6::uuid[])
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [fires.companyIds, fires.routineIds, fires.triggerIds, fires.ticks, now.toISOString(), claimed.map((c) => c.id)],
    );
    return inserted.length;
  });
}
