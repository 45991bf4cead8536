import type { AdapterResult, AdapterUsage } from "@staple/adapter-kit";
import type { Queryable } from "../db/database.js";

/**
 * Per-run usage for adapters whose CLI reports a running total for the whole session
 * (docs/runs.md#sessions-and-usage):
 * codex's `turn.completed.usage` counts every turn of the thread, so a resumed run would bill the
 * earlier runs again. Such usage becomes a delta against the previous run of the same session
 * (field-wise, never negative), and the raw totals are kept so the next run can subtract them.
 */
export const SESSION_TOTAL_USAGE_ADAPTERS: ReadonlySet<string> = new Set(["codex_local"]);

export interface RunUsage extends AdapterUsage {
  /** The session totals as the adapter reported them (present for session-total adapters). */
  raw?: AdapterUsage;
  usageSource?: "session_delta" | "session_total_first";
}

/** Pure: `current - previous` per field, floored at 0 (a reset session restarts its totals). */
export function sessionUsageDelta(current: AdapterUsage, previousRaw: AdapterUsage | null): RunUsage {
  const raw: AdapterUsage = {
    inputTokens: current.inputTokens,
    outputTokens: current.outputTokens,
    cachedInputTokens: current.cachedInputTokens ?? 0,
  };
  if (!previousRaw) return { ...raw, raw, usageSource: "session_total_first" };
  const minus = (a: number, b: number | undefined) => {
    const d = a - (b ?? 0);
    // A total smaller than before means the CLI started a new thread under the same id: count it whole.
    return d < 0 ? a : d;
  };
  return {
    inputTokens: minus(raw.inputTokens, previousRaw.inputTokens),
    outputTokens: minus(raw.outputTokens, previousRaw.outputTokens),
    cachedInputTokens: minus(raw.cachedInputTokens ?? 0, previousRaw.cachedInputTokens),
    raw,
    usageSource: "session_delta",
  };
}

/**
 * Rewrites `result.usage` to the run's own usage. The previous raw totals are those of the latest
 * earlier run of this agent that ended in the same session (`session_id_after` = the session this
 * run resumed); a fresh session has none.
 */
export async function toRunUsage(
  q: Queryable,
  run: { id: string; agentId: string },
  adapterType: string,
  sessionIdBefore: string | null,
  result: AdapterResult | null,
): Promise<AdapterResult | null> {
  if (!result?.usage || !SESSION_TOTAL_USAGE_ADAPTERS.has(adapterType)) return result;
  let previous: AdapterUsage | null = null;
  if (sessionIdBefore && result.sessionId === sessionIdBefore) {
    const [row] = await q.query<{ usageJson: { raw?: AdapterUsage } | null }>(
      `SELECT usage_json FROM heartbeat_runs
        WHERE agent_id = $1 AND id <> $2 AND session_id_after = $3 AND usage_json ? 'raw'
        ORDER BY finished_at DESC NULLS LAST, created_at DESC LIMIT 1`,
      [run.agentId, run.id, sessionIdBefore],
    );
    previous = row?.usageJson?.raw ?? null;
  }
  return { ...result, usage: sessionUsageDelta(result.usage, previous) };
}
