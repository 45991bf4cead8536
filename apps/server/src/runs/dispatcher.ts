import type { RunEngineResources } from "./resources.js";
import { claimQueuedRuns } from "./claim.js";
import type { RunRow } from "./rows.js";
import type { AgentForRun } from "./prepare-run.js";

/**
 * Starts queued work. `poke(agentId)` runs a claim pass for that agent now; passes for one agent
 * never overlap inside this process (a poke during a pass schedules one more pass), and across
 * processes the claim's row lock and guarded UPDATE keep them correct. Pokes come from this
 * process (enqueue, run end) and from other servers through NOTIFY; the periodic pass catches
 * anything a lost notification missed.
 */
/** Delay of the extra pass after a claim passed over a candidate whose issue row was held. */
const CONTENDED_RETRY_MS = 50;

export function createDispatcher(res: RunEngineResources, start: (run: RunRow, agent?: AgentForRun | null) => Promise<void>) {
  const inflight = new Map<string, Promise<void>>();
  const again = new Set<string>();
  const executing = new Set<Promise<void>>();
  let stopped = false;

  async function pass(agentId: string) {
    do {
      again.delete(agentId);
      const { claimed, cancelled, contended, agents } = await claimQueuedRuns(
        res.db,
        agentId,
        res.instanceId,
        res.leaseMs,
        res.clock?.now() ?? new Date(),
      );
      // A candidate's issue was held by another transaction (claim.ts, lock order): one more pass
      // shortly, when that transaction has most likely committed.
      if (contended) setTimeout(() => poke(agentId), CONTENDED_RETRY_MS).unref();
      for (const run of cancelled) {
        for (const other of (run as RunRow & { promotedAgentIds?: string[] }).promotedAgentIds ?? []) if (other !== agentId) poke(other);
      }
      for (const run of claimed) {
        const p = start(run, agents?.get(run.id));
        executing.add(p);
        void p.finally(() => executing.delete(p));
      }
    } while (again.has(agentId) && !stopped);
  }

  function poke(agentId: string) {
    if (stopped) return;
    if (inflight.has(agentId)) {
      again.add(agentId);
      return;
    }
    const p = pass(agentId)
      .catch((error: unknown) => res.logger.error("dispatch pass failed", { agentId, err: error }))
      .finally(() => inflight.delete(agentId));
    inflight.set(agentId, p);
  }

  return {
    poke,
    /** Looks at every agent with queued work (startup and the periodic pass). */
    async resumeQueued(): Promise<number> {
      const rows = await res.db.query<{ agentId: string }>("SELECT DISTINCT agent_id FROM heartbeat_runs WHERE status = 'queued'");
      for (const r of rows) poke(r.agentId);
      return rows.length;
    },
    /** Stops claiming; resolves when in-flight claim passes are done. */
    async stop() {
      stopped = true;
      await Promise.allSettled([...inflight.values()]);
    },
    /** Resolves when every execution started by this dispatcher has finished. */
    async drain() {
      await Promise.allSettled([...executing]);
    },
    get executingCount() {
      return executing.size;
    },
  };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;
