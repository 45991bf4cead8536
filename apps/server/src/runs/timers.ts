import { ACTIVE_WORK_ISSUE_STATUSES } from "@staple/contracts";
import { sqlList } from "../db/sql-list.js";
import { invokableAgentSql, openBlockerSql } from "../db/predicates.js";
import type { Queryable } from "../db/database.js";
import type { WakeupEnqueuer } from "./enqueue.js";

/** Reason of a timer wake skipped because the agent had nothing actionable (docs/runs.md#idle-timer-wakes). */
export const IDLE_TIMER_SKIP_REASON = "heartbeat.no_actionable_work";

interface DueAgent {
  id: string;
  wakeWhenIdle: boolean;
  resumeTimerSession: boolean;
  hasIssue: boolean;
  hasInteraction: boolean;
  hasApproval: boolean;
  hasMention: boolean;
}

/**
 * Timer heartbeats (docs/runs.md#timer-heartbeats, #idle-timer-wakes): every invokable agent whose
 * heartbeat is enabled with an interval, and whose last heartbeat, creation or idle check is at
 * least that long ago, is due. One set-based query finds the due agents and, for each, whether it
 * has anything actionable: an assigned todo/in_progress issue without open blockers, a pending
 * interaction addressed to it or one resolved since its last heartbeat, an approval it requested
 * decided since then, or a comment mentioning it since then.
 *
 * A due agent with work (or with `runtimeConfig.heartbeat.wakeWhenIdle: true`) gets a
 * `heartbeat_timer` wake, in a fresh adapter session unless `heartbeat.resumeTimerSession: true`;
 * a pending timer run absorbs it. The idle rest get one skipped wake each and their idle-check
 * stamp, in two set-based statements: no run, no process.
 */
export async function tickTimers(
  db: Queryable,
  enqueuer: WakeupEnqueuer,
  now = new Date(),
): Promise<{ checked: number; enqueued: number; skipped: number; idle: number }> {
  const due = await db.query<DueAgent>(
    `WITH due AS (
       SELECT a.id, a.company_id, a.runtime_config->'heartbeat' AS hb, coalesce(a.last_heartbeat_at, a.created_at) AS since
         FROM agents a
        WHERE ${invokableAgentSql("a")}
          AND (a.runtime_config->'heartbeat'->>'enabled') = 'true'
          AND coalesce((a.runtime_config->'heartbeat'->>'intervalSec')::numeric, 0) > 0
          AND greatest(coalesce(a.last_heartbeat_at, a.created_at), coalesce(a.last_timer_check_at, '-infinity'::timestamptz))
              <= $1::timestamptz - ((a.runtime_config->'heartbeat'->>'intervalSec')::numeric * interval '1 second')
     )
     SELECT d.id,
            coalesce((d.hb->>'wakeWhenIdle') = 'true', false) AS wake_when_idle,
            coalesce((d.hb->>'resumeTimerSession') = 'true', false) AS resume_timer_session,
            EXISTS (SELECT 1 FROM issues i
                     WHERE i.assignee_agent_id = d.id AND i.status IN ${sqlList(ACTIVE_WORK_ISSUE_STATUSES)}
                       AND NOT EXISTS (SELECT 1 FROM issue_relations rel JOIN issues b ON b.id = rel.issue_id
                                        WHERE rel.related_issue_id = i.id AND ${openBlockerSql("rel", "b")})) AS has_issue,
            EXISTS (SELECT 1 FROM issue_thread_interactions ti
                     WHERE ti.company_id = d.company_id
                       AND ((ti.status = 'pending' AND ti.addressee_agent_id = d.id)
                         OR (ti.resolved_at > d.since AND (ti.created_by_agent_id = d.id
                              OR EXISTS (SELECT 1 FROM issues ii WHERE ii.id = ti.issue_id AND ii.assignee_agent_id = d.id))))) AS has_interaction,
            EXISTS (SELECT 1 FROM approvals ap
                     WHERE ap.requested_by_agent_id = d.id AND ap.decided_at > d.since) AS has_approval,
            EXISTS (SELECT 1 FROM issue_comments c
                     WHERE c.company_id = d.company_id AND c.created_at > d.since AND d.id = ANY(c.mentioned_agent_ids)
                       AND c.author_agent_id IS DISTINCT FROM d.id) AS has_mention
       FROM due d`,
    [now.toISOString()],
  );
  const idle = due.filter((a) => !a.wakeWhenIdle && !a.hasIssue && !a.hasInteraction && !a.hasApproval && !a.hasMention);
  if (idle.length > 0) {
    await db.query(
      `WITH s AS (
         UPDATE agents SET last_timer_check_at = $1::timestamptz WHERE id = ANY($2::uuid[]) RETURNING id, company_id
       )
       INSERT INTO agent_wakeup_requests (company_id, agent_id, source, trigger_detail, reason, payload, status,
         requested_by_actor_type, requested_by_actor_id, requested_at, finished_at)
       SELECT s.company_id, s.id, 'timer', 'system', '${IDLE_TIMER_SKIP_REASON}',
              jsonb_build_object('checks', jsonb_build_array('assigned_issue', 'interaction', 'approval', 'mention'), 'checkedAt', $1::text),
              'skipped', 'system', 'heartbeat_scheduler', $1::timestamptz, $1::timestamptz
         FROM s`,
      [now.toISOString(), idle.map((a) => a.id)],
    );
  }
  const idleIds = new Set(idle.map((a) => a.id));
  let enqueued = 0;
  let skipped = 0;
  for (const agent of due) {
    if (idleIds.has(agent.id)) continue;
    try {
      const outcome = await enqueuer.enqueue({
        agentId: agent.id,
        source: "timer",
        triggerDetail: "system",
        reason: "heartbeat_timer",
        payload: null,
        context: {
          source: "scheduler",
          reason: "interval_elapsed",
          now: now.toISOString(),
          taskKey: "__heartbeat__",
          // A timer check starts a fresh session so an hourly "anything to do?" does not resume
          // (and pay for) an ever-growing transcript.
          ...(agent.resumeTimerSession ? {} : { forceFreshSession: true }),
        },
        requestedBy: { type: "system", id: "heartbeat_scheduler" },
      });
      if (outcome.kind === "queued") enqueued++;
      else skipped++;
    } catch {
      skipped++; // e.g. paused between the query and the enqueue
    }
  }
  return { checked: due.length, enqueued, skipped, idle: idle.length };
}
