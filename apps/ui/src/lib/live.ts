import type { LiveEvent } from "../api/types.js";

/** The SSE event names the board listens to (the contracts' LIVE_EVENT_TYPES and `ready`; a test keeps them equal). */
export const LIVE_EVENT_TYPES: readonly LiveEvent["type"][] = [
  "ready",
  "heartbeat.run.queued",
  "heartbeat.run.status",
  "heartbeat.run.log",
  "agent.status",
  "activity.logged",
];

/** Parses one SSE `data:` payload; null when it is not a live event. */
export function parseLiveEvent(data: string): LiveEvent | null {
  try {
    const v = JSON.parse(data) as Partial<LiveEvent>;
    if (!v || typeof v.type !== "string") return null;
    return {
      type: v.type,
      companyId: String(v.companyId ?? ""),
      at: v.at,
      payload: (v.payload ?? {}) as Record<string, unknown>,
    } as LiveEvent;
  } catch {
    return null;
  }
}
