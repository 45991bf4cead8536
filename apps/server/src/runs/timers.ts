import { invokableAgentSql } from "../db/predicates.js";
import type { Queryable } from "../db/database.js";
import type { WakeupEnqueuer } from "./enqueue.js";

/**
 * Timer heartbeats (docs/runs.md#timer-heartbeats): every invokable agent whose heartbeat is
 * enabled with an interval, and whose last heartbeat (or creation) is at least that long ago, gets
 * a `heartbeat_timer` wake. One set-based query finds the due agents; a due agent with a pending
 * timer run coalesces into it.
 */
export async function tickTimers(
  db: Queryable,
  enqueuer: WakeupEnqueuer,
  now = new Date(),
): Promise<{ checked: number; enqueued: number; skipped: number }> {
  const due = await db.query<{ id: string }>(
    `SELECT a.id FROM agents a
      WHERE ${invokableAgentSql("a")}
        AND (a.runtime_config->'heartbeat'->>'enabled') = 'true'
        AND coalesce((a.runtime_config->'heartbeat'->>'intervalSec')::numeric, 0) > 0
        AND coalesce(a.last_heartbeat_at, a.created_at)
            <= $1::timestamptz - ((a.runtime_config->'heartbeat'->>'intervalSec')::numeric * interval '1 second')`,
    [now.toISOString()],
  );
  let enqueued = 0;
  let skipped = 0;
  for (const agent of due) {
    try {
      const outcome = await enqueuer.enqueue({
        agentId: agent.id,
        source: "timer",
        triggerDetail: "system",
        reason: "heartbeat_timer",
        payload: null,
        context: { source: "scheduler", reason: "interval_elapsed", now: now.toISOString(), taskKey: "__heartbeat__" },
        requestedBy: { type: "system", id: "heartbeat_scheduler" },
      });
      if (outcome.kind === "queued") enqueued++;
      else skipped++;
    } catch {
      skipped++; // e.g. paused between the query and the enqueue
    }
  }
  return { checked: due.length, enqueued, skipped };
}
