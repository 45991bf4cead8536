import type { LiveEvent } from "../api/types.js";

export const LIVE_EVENT_TYPES: readonly LiveEvent["type"][] = [
  "ready",
  "heartbeat.run.queued",
  "heartbeat.run.status",
  "heartbeat.run.log",
  "heartbeat.run.event",
  "agent.status",
  "activity.logged",
];

const FINISHED_RUN_STATUSES = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

export function isFinishedRunStatus(status: string): boolean {
  return FINISHED_RUN_STATUSES.has(status);
}

/** Parses one SSE `data:` payload; null when it is not a live event. */
export function parseLiveEvent(data: string): LiveEvent | null {
  try {
    const v = JSON.parse(data) as Partial<LiveEvent>;
    if (!v || typeof v.type !== "string") return null;
    return { type: v.type, companyId: String(v.companyId ?? ""), at: v.at, payload: (v.payload ?? {}) as Record<string, unknown> } as LiveEvent;
  } catch {
    return null;
  }
}

/**
 * Applies a live event to a list of runs (anything with a run id and a status): a status event
 * for a listed run updates its status (and start time); other events leave the list as it is.
 * Returns the same array when nothing changed, so React skips the re-render.
 */
export function reduceRuns<R extends { status: string; startedAt?: string | null }>(runs: readonly R[], event: LiveEvent, idOf: (run: R) => string): readonly R[] {
  if (event.type !== "heartbeat.run.status") return runs;
  const runId = event.payload.runId;
  const status = event.payload.status;
  if (typeof runId !== "string" || typeof status !== "string") return runs;
  let changed = false;
  const next = runs.map((run) => {
    if (idOf(run) !== runId || run.status === status) return run;
    changed = true;
    const startedAt = typeof event.payload.startedAt === "string" ? event.payload.startedAt : run.startedAt;
    return { ...run, status, ...(startedAt !== undefined ? { startedAt } : {}) };
  });
  return changed ? next : runs;
}

/** Applies `agent.status` events to a list of agents. */
export function reduceAgents<A extends { id: string; status: string }>(agents: readonly A[], event: LiveEvent): readonly A[] {
  if (event.type !== "agent.status") return agents;
  const { agentId, status } = event.payload;
  if (typeof agentId !== "string" || typeof status !== "string") return agents;
  let changed = false;
  const next = agents.map((a) => {
    if (a.id !== agentId || a.status === status) return a;
    changed = true;
    return { ...a, status };
  });
  return changed ? next : agents;
}

export interface LiveInterest {
  issueId?: string;
  runIds?: readonly string[];
  agentIds?: readonly string[];
  /** Any run event of the company (e.g. dashboard, runs list). */
  anyRun?: boolean;
  /** Any activity of the company. */
  anyActivity?: boolean;
}

/** Whether an event should make a view refetch what it shows (log chunks never do). */
export function touches(event: LiveEvent, interest: LiveInterest): boolean {
  const p = event.payload;
  switch (event.type) {
    case "heartbeat.run.queued":
    case "heartbeat.run.status":
      return (
        !!interest.anyRun ||
        (typeof p.runId === "string" && !!interest.runIds?.includes(p.runId)) ||
        (typeof p.agentId === "string" && !!interest.agentIds?.includes(p.agentId))
      );
    case "agent.status":
      return !!interest.anyRun || (typeof p.agentId === "string" && !!interest.agentIds?.includes(p.agentId));
    case "activity.logged":
      return (
        !!interest.anyActivity ||
        (!!interest.issueId && p.entityType === "issue" && p.entityId === interest.issueId) ||
        (typeof p.runId === "string" && !!interest.runIds?.includes(p.runId)) ||
        (p.entityType === "agent" && typeof p.entityId === "string" && !!interest.agentIds?.includes(p.entityId))
      );
    default:
      return false;
  }
}
