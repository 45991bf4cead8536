import type { Queryable } from "../db/database.js";

export interface RunEventInput {
  eventType: string;
  stream?: "system" | "stdout" | "stderr";
  level?: "info" | "warn" | "error";
  message?: string | null;
  payload?: unknown;
}

const LIMITS = { string: 16_000, array: 50, keys: 100, depth: 6 };

/**
 * Bounds an event payload (strings 16 K chars, arrays 50, keys 100, depth 6) so no event row is
 * unbounded. Pure.
 */
export function boundPayload(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === "string") return value.length > LIMITS.string ? `${value.slice(0, LIMITS.string)}…[truncated]` : value;
  if (typeof value !== "object") return value;
  if (depth >= LIMITS.depth) return "[depth limit]";
  if (Array.isArray(value)) {
    const items = value.slice(0, LIMITS.array).map((v) => boundPayload(v, depth + 1));
    if (value.length > LIMITS.array) items.push(`…[${value.length - LIMITS.array} more]`);
    return items;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries.slice(0, LIMITS.keys)) out[k] = boundPayload(v, depth + 1);
  if (entries.length > LIMITS.keys) out["…"] = `${entries.length - LIMITS.keys} more keys`;
  return out;
}

/**
 * Appends one event to a run. The sequence number comes from an atomic increment on the run row,
 * so concurrent writers (the executor and a cancel) never collide.
 */
export async function appendRunEvent(q: Queryable, runId: string, event: RunEventInput): Promise<{ id: number; seq: number } | undefined> {
  const [row] = await q.query<{ id: number; seq: number }>(
    `WITH s AS (UPDATE heartbeat_runs SET event_seq = event_seq + 1 WHERE id = $1 RETURNING company_id, agent_id, event_seq)
     INSERT INTO heartbeat_run_events (company_id, run_id, agent_id, seq, event_type, stream, level, message, payload)
     SELECT company_id, $1, agent_id, event_seq, $2, $3, $4, $5, $6::jsonb FROM s RETURNING id, seq`,
    [
      runId,
      event.eventType,
      event.stream ?? "system",
      event.level ?? "info",
      event.message ?? null,
      event.payload === undefined ? null : JSON.stringify(boundPayload(event.payload)),
    ],
  );
  return row;
}
