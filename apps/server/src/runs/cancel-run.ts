import type { Queryable } from "../db/database.js";
import { appendRunEvent } from "./run-events.js";
import { releaseIssueExecutionAndPromote } from "./release-promote.js";
import { releaseRunLeases } from "./environment-leases.js";
import { RUN_COLUMNS, type RunRow } from "./rows.js";
import { EXECUTION_PATH_RUN_STATUSES, FINISHED_WAKEUP_STATUSES, type RunStatus } from "@staple/contracts";
import { sqlList } from "../db/sql-list.js";
import { runTransitionSql } from "./transition.js";
import { CANCEL_CHANNEL } from "./dispatch-channel.js";
import { LIVE_CHANNEL, liveEventText } from "../live/bus.js";

export interface CancelSpec {
  reason: string;
  errorCode: string;
  /** Recorded as result_json.stopReason (`cancelled`, `paused`, a gate code…). */
  stopReason: string;
  /** Status given to the run's wakeup request. */
  wakeStatus: "cancelled" | "skipped";
  /** States the cancel may leave (default: the whole execution path). */
  from?: readonly RunStatus[];
}

export interface CancelledRun extends RunRow {
  previousStatus: string;
  promotedAgentIds: string[];
}

/**
 * The cancel transition (docs/runs.md#cancellation), inside the caller's transaction, and the only
 * way a run becomes `cancelled`: a guarded UPDATE from any cancellable state to `cancelled` with
 * the stop metadata, the wake closed, a lifecycle event, a NOTIFY so whichever server executes the
 * run aborts it (and the board hears of it), its environment leases released, and the issue lock
 * released (deferred wakes promoted). Callers differ only in the reason. Returns undefined when the
 * run was not cancellable (already finished, or not in `spec.from`).
 */
export async function cancelRunInTx(q: Queryable, runId: string, spec: CancelSpec): Promise<CancelledRun | undefined> {
  const update = runTransitionSql({
    alias: "r",
    using: "prev",
    target: "r.id = prev.id",
    from: spec.from ?? EXECUTION_PATH_RUN_STATUSES,
    to: "cancelled",
    set: `finished_at = now(), error = $2, error_code = $3, lease_expires_at = NULL, updated_at = now(),
            result_json = coalesce(r.result_json, '{}'::jsonb) || jsonb_build_object(
              'stopReason', $4::text, 'effectiveTimeoutSec', 0, 'timeoutConfigured', false, 'timeoutFired', false)`,
    returning: `${RUN_COLUMNS.split(",")
      .map((c) => `r.${c.trim()}`)
      .join(", ")}, prev.status AS previous_status`,
  });
  const [run] = await q.query<RunRow & { previousStatus: string }>(
    `WITH prev AS (SELECT id, status FROM heartbeat_runs WHERE id = $1 FOR NO KEY UPDATE) ${update}`,
    [runId, spec.reason, spec.errorCode, spec.stopReason],
  );
  if (!run) return undefined;
  if (run.wakeupRequestId) {
    await q.query(
      `UPDATE agent_wakeup_requests SET status = $2, finished_at = now(), error = $3, updated_at = now()
        WHERE id = $1 AND status NOT IN ${sqlList(FINISHED_WAKEUP_STATUSES)}`,
      [run.wakeupRequestId, spec.wakeStatus, spec.reason],
    );
  }
  await appendRunEvent(q, run.id, {
    eventType: "lifecycle",
    level: "warn",
    message: "run cancelled",
    payload: { reason: spec.reason, errorCode: spec.errorCode },
  });
  if (run.previousStatus === "running") await q.query(`SELECT pg_notify('${CANCEL_CHANNEL}', $1::text)`, [run.id]);
  // The board hears of every cancel, queued runs included (delivered on commit, once per server).
  await q.query(`SELECT pg_notify('${LIVE_CHANNEL}', $1::text)`, [
    liveEventText("heartbeat.run.status", run.companyId, {
      runId: run.id,
      agentId: run.agentId,
      status: "cancelled",
      errorCode: spec.errorCode,
    }),
  ]);
  await releaseRunLeases(q, run, "cancelled", null);
  const { promotedAgentIds } = await releaseIssueExecutionAndPromote(q, run);
  return { ...run, promotedAgentIds };
}
