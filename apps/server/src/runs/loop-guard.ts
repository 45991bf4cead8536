import type { Queryable } from "../db/database.js";
import { recordActivity } from "../activity/record.js";
import { getWakeBreakerSettings } from "./breaker-settings.js";
import { decideLoopBreak, type LoopBreakerDecision } from "./loop-breaker.js";

/** Wake reason (skipped wakes) and error code (runs cancelled at claim) of a tripped loop breaker. */
export const LOOP_BREAKER_REASON = "loop_breaker.tripped";

interface Facts {
  wakeTimes: Date[];
  lastProgressAt: Date | null;
  incidentId: string | null;
  trippedAt: Date | null;
}

/**
 * Gathers the loop breaker's facts for (agent, issue) in one statement and applies its decision
 * (docs/runs.md#loop-breaker): clears an incident after progress, opens one (activity row + a
 * system comment on the issue, which the board sees in the thread and the agent page) when the
 * breaker trips, counts blocked wakes. `excludeRunId` is the run being claimed (not a prior wake).
 * Call under the issue's or the agent's row lock (enqueue and claim hold one).
 */
export async function checkLoopBreaker(
  q: Queryable,
  input: { companyId: string; agentId: string; issueId: string; now: Date; excludeRunId?: string | null },
): Promise<LoopBreakerDecision> {
  const settings = (await getWakeBreakerSettings(q, input.companyId)).loopBreaker;
  const [facts] = (await q.query<Facts>(
    `SELECT
       coalesce((SELECT array_agg(r.started_at) FROM heartbeat_runs r
                  WHERE r.agent_id = $1 AND r.issue_id = $2 AND r.started_at IS NOT NULL
                    AND r.started_at > $3::timestamptz - ($4::int * interval '1 minute')
                    AND r.id IS DISTINCT FROM $5::uuid), '{}') AS wake_times,
       greatest(
         (SELECT max(al.created_at) FROM activity_log al
           WHERE al.entity_type = 'issue' AND al.entity_id = $6 AND al.action = 'issue.updated'
             AND al.details->'changes' ? 'status'),
         (SELECT max(dr.created_at) FROM issue_documents d JOIN document_revisions dr ON dr.document_id = d.document_id WHERE d.issue_id = $2),
         (SELECT max(greatest(wp.created_at, wp.updated_at)) FROM issue_work_products wp WHERE wp.issue_id = $2),
         (SELECT max(c.created_at) FROM issue_comments c
           WHERE c.issue_id = $2 AND c.author_type <> 'system' AND c.author_agent_id IS DISTINCT FROM $1)
       ) AS last_progress_at,
       i.id AS incident_id, i.tripped_at
     FROM (SELECT 1) one
     LEFT JOIN wake_loop_incidents i ON i.agent_id = $1 AND i.issue_id = $2 AND i.cleared_at IS NULL`,
    [input.agentId, input.issueId, input.now.toISOString(), settings.windowMinutes, input.excludeRunId ?? null, input.issueId],
  )) as [Facts];
  const decision = decideLoopBreak({
    settings,
    now: input.now,
    wakeTimes: facts.wakeTimes.map((t) => new Date(t)),
    lastProgressAt: facts.lastProgressAt ? new Date(facts.lastProgressAt) : null,
    openIncident: facts.incidentId ? { id: facts.incidentId, trippedAt: new Date(facts.trippedAt!) } : null,
  });
  if (decision.action === "allow") {
    if (decision.clearIncidentId) {
      await q.query("UPDATE wake_loop_incidents SET cleared_at = $2, cleared_reason = $3 WHERE id = $1 AND cleared_at IS NULL", [
        decision.clearIncidentId,
        input.now.toISOString(),
        settings.enabled ? "progress" : "breaker_disabled",
      ]);
    }
    return decision;
  }
  if (!decision.trip) {
    await q.query("UPDATE wake_loop_incidents SET blocked_wakes = blocked_wakes + 1 WHERE id = $1", [decision.incidentId]);
    return decision;
  }
  const [incident] = await q.query<{ id: string }>(
    `INSERT INTO wake_loop_incidents (company_id, agent_id, issue_id, wake_count, max_wakes, window_minutes, last_progress_at, blocked_wakes, tripped_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)
     ON CONFLICT (agent_id, issue_id) WHERE cleared_at IS NULL DO UPDATE SET blocked_wakes = wake_loop_incidents.blocked_wakes + 1
     RETURNING id`,
    [
      input.companyId,
      input.agentId,
      input.issueId,
      decision.wakeCount,
      settings.maxWakes,
      settings.windowMinutes,
      facts.lastProgressAt,
      input.now.toISOString(),
    ],
  );
  const [agent] = await q.query<{ name: string }>("SELECT name FROM agents WHERE id = $1", [input.agentId]);
  const details = {
    incidentId: incident!.id,
    issueId: input.issueId,
    wakeCount: decision.wakeCount,
    maxWakes: settings.maxWakes,
    windowMinutes: settings.windowMinutes,
    lastProgressAt: facts.lastProgressAt ? new Date(facts.lastProgressAt).toISOString() : null,
  };
  await recordActivity(q, {
    companyId: input.companyId,
    actor: "system",
    action: "agent.loop_breaker_tripped",
    entityType: "issue",
    entityId: input.issueId,
    agentId: input.agentId,
    details,
  });
  // System comments never count as progress and never wake anyone (they bypass the comment hooks).
  await q.query("INSERT INTO issue_comments (company_id, issue_id, author_type, body) VALUES ($1, $2, 'system', $3)", [
    input.companyId,
    input.issueId,
    `Loop breaker: ${agent?.name ?? "the assignee"} was woken ${decision.wakeCount} times on this issue within ${settings.windowMinutes} minutes ` +
      "with no progress (no status change, document revision, work product, or comment from anyone else). " +
      "It is no longer woken for this issue until there is progress: a comment from someone else or a status change resumes it.",
  ]);
  return { ...decision, incidentId: incident!.id };
}
