import { isProcessAlive, isProcessGroupAlive, signalProcessGroup } from "@staple/adapter-kit";
import type { Database } from "../db/database.js";
import { appendRunEvent } from "./run-events.js";
import type { RunEngineResources } from "./resources.js";
import type { RunRow } from "./rows.js";
import { RUN_COLUMNS } from "./rows.js";
import { runFinalizeSteps, type FinalizeContext } from "./finalize/pipeline.js";
import { isRunnerLease } from "./recovery/detached-process.js";

export interface ReapResult {
  reaped: number;
  runIds: string[];
  pokes: Set<string>;
}

export const PROCESS_DETACHED = "process_detached";

/**
 * Runs whose lease expired (the server executing them stopped renewing it) are finished as
 * `failed`/`process_lost` through the normal finalization pipeline, which queues the single
 * process-loss retry and releases the issue lock. Leftover agent processes of the run (same host)
 * are killed first, so no orphan keeps working. The claim is a guarded `FOR UPDATE SKIP LOCKED`
 * selection, so concurrent reapers on several servers never finalize one run twice.
 * `foreignOwnersToo` reaps every running run not owned by `instanceId` (embedded database at
 * startup: no other server can exist).
 */
export async function reapExpiredLeases(res: RunEngineResources, opts: { foreignOwnersToo?: boolean } = {}): Promise<ReapResult> {
  const db: Database = res.db;
  const pokes = new Set<string>();
  const runIds: string[] = [];
  const expired = await db.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM heartbeat_runs
      WHERE status = 'running' AND lease_owner IS DISTINCT FROM $1
        AND (lease_expires_at IS NULL OR lease_expires_at < now() OR $2::boolean)
      ORDER BY created_at LIMIT 200`,
    [res.instanceId, Boolean(opts.foreignOwnersToo)],
  );
  for (const candidate of expired) {
    // A runner's run: its pid and group are on the runner's machine, never looked at or signalled here
    // (docs/runners.md#vanished-runners); an expired lease means the runner vanished.
    const local = !isRunnerLease(candidate.leaseOwner);
    // A live leader keeps the run (docs/runs.md#lease-expiry-and-orphaned-processes): it is only
    // detached from its (lost) server. Its lease is extended so the check repeats once per lease
    // period, not on every pass.
    if (local && candidate.processPid && isProcessAlive(candidate.processPid)) {
      await db.tx(async (q) => {
        const [marked] = await q.query<{ id: string }>(
          `UPDATE heartbeat_runs SET error_code = $2, error = $3, lease_owner = NULL,
                  lease_expires_at = now() + ($4::int * interval '1 millisecond'), updated_at = now()
            WHERE id = $1 AND status = 'running' AND error_code IS DISTINCT FROM $2 RETURNING id`,
          [
            candidate.id,
            PROCESS_DETACHED,
            `Lost in-memory process handle, but child pid ${candidate.processPid} is still alive`,
            res.leaseMs,
          ],
        );
        if (marked) {
          await appendRunEvent(q, candidate.id, {
            eventType: "lifecycle",
            level: "warn",
            message: `Run detached: pid ${candidate.processPid} still alive after its server stopped`,
            payload: { pid: candidate.processPid },
          });
        } else {
          await q.query(
            "UPDATE heartbeat_runs SET lease_expires_at = now() + ($2::int * interval '1 millisecond') WHERE id = $1 AND status = 'running'",
            [candidate.id, res.leaseMs],
          );
        }
      });
      continue;
    }
    // The leader is gone but descendants of its group live on: stop them (no orphan keeps working).
    let groupNote = "";
    if (local && candidate.processGroupId && isProcessGroupAlive(candidate.processGroupId)) {
      signalProcessGroup(candidate.processGroupId, "SIGKILL");
      groupNote = `; killed the descendant process group ${candidate.processGroupId}`;
    }
    await db.tx(async (q) => {
      const [run] = await q.query<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM heartbeat_runs WHERE id = $1 AND status = 'running' AND lease_owner IS DISTINCT FROM $2
            AND (lease_expires_at IS NULL OR lease_expires_at < now() OR $3::boolean) FOR NO KEY UPDATE SKIP LOCKED`,
        [candidate.id, res.instanceId, Boolean(opts.foreignOwnersToo)],
      );
      if (!run) return;
      const [agent] = await q.query<{ adapterType: string }>("SELECT adapter_type FROM agents WHERE id = $1", [run.agentId]);
      const ctx: FinalizeContext = {
        q,
        run,
        agent: { id: run.agentId, companyId: run.companyId, adapterType: agent?.adapterType ?? "unknown" },
        outcome: {
          status: "failed",
          error: local
            ? `Process lost -- the server executing this run stopped${groupNote}`
            : "Process lost -- the runner executing this run stopped renewing its lease",
          errorCode: "process_lost",
          stopReason: "process_lost",
        },
        result: null,
        log: {
          logRef: (run.logRef as string | null) ?? null,
          bytes: Number(run.logBytes ?? 0),
          sha256: (run.logSha256 as string | null) ?? null,
          stdoutExcerpt: (run.stdoutExcerpt as string | null) ?? null,
          stderrExcerpt: (run.stderrExcerpt as string | null) ?? null,
        },
        timeoutSec: 0,
        redact: (t) => t,
        transitioned: false,
        finalRun: null,
        pokes,
      };
      await runFinalizeSteps(res.finalizeSteps, ctx);
      if (ctx.transitioned) runIds.push(run.id);
    });
  }
  return { reaped: runIds.length, runIds, pokes };
}
