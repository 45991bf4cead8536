/**
 * The loop breaker's decision (docs/runs.md#loop-breaker), pure: given the agent's recent wakes on
 * one issue, the last progress signal and any open incident, may the agent be woken again?
 *
 * A "wake" here is a run of this agent on this issue that started. A progress signal is a status
 * change, a new document revision, a work product, or a comment by someone other than the agent
 * (system notices do not count). Wakes older than the window or before the last progress signal
 * do not count. More than `maxWakes` counted wakes trip the breaker; an open incident keeps
 * blocking until a progress signal arrives after it tripped.
 */
export interface LoopBreakerFacts {
  settings: { enabled: boolean; maxWakes: number; windowMinutes: number };
  now: Date;
  /** Start times of this agent's earlier runs on the issue (any order). */
  wakeTimes: readonly Date[];
  lastProgressAt: Date | null;
  openIncident: { id: string; trippedAt: Date } | null;
}

export type LoopBreakerDecision =
  | { action: "allow"; clearIncidentId: string | null }
  | { action: "block"; trip: boolean; wakeCount: number; incidentId: string | null };

export function decideLoopBreak(f: LoopBreakerFacts): LoopBreakerDecision {
  const progressAfterTrip = f.openIncident !== null && f.lastProgressAt !== null && f.lastProgressAt > f.openIncident.trippedAt;
  const clearIncidentId = f.openIncident && (progressAfterTrip || !f.settings.enabled) ? f.openIncident.id : null;
  if (!f.settings.enabled) return { action: "allow", clearIncidentId };
  const windowStart = f.now.getTime() - f.settings.windowMinutes * 60_000;
  const since = Math.max(windowStart, f.lastProgressAt ? f.lastProgressAt.getTime() : Number.NEGATIVE_INFINITY);
  const wakeCount = f.wakeTimes.filter((t) => t.getTime() > since).length;
  if (f.openIncident && !progressAfterTrip) return { action: "block", trip: false, wakeCount, incidentId: f.openIncident.id };
  if (wakeCount >= f.settings.maxWakes) return { action: "block", trip: true, wakeCount, incidentId: null };
  return { action: "allow", clearIncidentId };
}
