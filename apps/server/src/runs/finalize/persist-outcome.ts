import { RUN_COLUMNS, type RunRow } from "../rows.js";
import { wakeStatusFor } from "../outcome.js";
import type { FinalizeStep } from "./pipeline.js";
import { runTransitionSql } from "../transition.js";

const cols = RUN_COLUMNS.split(",").map((c) => c.trim());

/**
 * Makes the run terminal: a guarded UPDATE from `running` with the outcome, result, usage, log
 * metadata and stop metadata. If a cancel finished the row meanwhile, "cancelled wins": only the
 * log metadata and excerpts are recorded and the later steps are skipped.
 */
export const persistOutcome: FinalizeStep = {
  name: "persist_outcome",
  onlyIfTransitioned: false,
  async run(ctx) {
    const { q, run, outcome, result, log, redact } = ctx;
    const timeoutSec = ctx.timeoutSec;
    const resultJson: Record<string, unknown> = {
      ...(result?.resultJson ? JSON.parse(redact(JSON.stringify(result.resultJson))) : {}),
      stopReason: outcome.stopReason,
      timeoutFired: outcome.status === "timed_out",
      timeoutConfigured: timeoutSec > 0,
      effectiveTimeoutSec: timeoutSec,
    };
    if (result?.summary) resultJson.summary = redact(result.summary);
    if (result?.errorFamily) resultJson.errorFamily = result.errorFamily;
    if (result?.retryNotBefore) resultJson.retryNotBefore = result.retryNotBefore;
    const usage = result?.usage
      ? {
          ...result.usage,
          provider: result.provider ?? null,
          model: result.model ?? null,
          costUsd: result.costUsd ?? null,
          billingType: result.billingType ?? null,
        }
      : null;
    // One statement: the guarded transition, the wake's matching status, and the lifecycle event
    // (its sequence number taken from the same row update).
    const [row] = await q.query<RunRow>(
      `WITH r AS (
         ${runTransitionSql({
           from: ["running"],
           // The outcome's status; the builder refuses anything but an edge out of running.
           to: outcome.status,
           set: `finished_at = now(), error = $3, error_code = $4, exit_code = $5, signal = $6,
                usage_json = $7::jsonb, result_json = $8::jsonb, session_id_after = $9, log_store = CASE WHEN $10::text LIKE 'db:%' THEN 'database' ELSE 'local_file' END, log_ref = $10,
                log_bytes = $11, log_sha256 = $12, stdout_excerpt = $13, stderr_excerpt = $14, lease_expires_at = NULL,
                event_seq = event_seq + 1, updated_at = now(), liveness_state = $18, liveness_reason = left($19, 500),
                next_action = left($20, 500), last_useful_action_at = CASE WHEN $21 THEN now() ELSE last_useful_action_at END`,
           returning: `${cols.join(", ")}, event_seq`,
         })}
       ), w AS (
         UPDATE agent_wakeup_requests SET status = $15, finished_at = now(), error = $3, updated_at = now()
          WHERE id = (SELECT wakeup_request_id FROM r) AND status = 'claimed'
       ), e AS (
         INSERT INTO heartbeat_run_events (company_id, run_id, agent_id, seq, event_type, stream, level, message, payload)
         SELECT company_id, id, agent_id, event_seq, 'lifecycle', 'system', $16, 'run ' || $2::text, $17::jsonb FROM r
       )
       SELECT * FROM r`,
      [
        run.id,
        outcome.status,
        outcome.error ? redact(outcome.error) : null,
        outcome.errorCode,
        result?.exitCode ?? null,
        result?.signal ?? null,
        usage ? JSON.stringify(usage) : null,
        JSON.stringify(resultJson),
        result?.sessionId ?? null,
        log.logRef,
        log.bytes,
        log.sha256,
        log.stdoutExcerpt,
        log.stderrExcerpt,
        wakeStatusFor(outcome.status),
        outcome.status === "succeeded" ? "info" : "warn",
        JSON.stringify({ status: outcome.status, errorCode: outcome.errorCode, exitCode: result?.exitCode ?? null }),
        ctx.liveness?.state ?? null,
        ctx.liveness?.reason ?? null,
        ctx.liveness?.nextAction ?? null,
        ctx.liveness?.useful ?? false,
      ],
    );
    if (!row) {
      await q.query(
        `UPDATE heartbeat_runs SET log_store = CASE WHEN $2::text LIKE 'db:%' THEN 'database' ELSE 'local_file' END, log_ref = $2, log_bytes = $3, log_sha256 = $4, stdout_excerpt = $5,
                stderr_excerpt = $6, exit_code = coalesce(exit_code, $7), signal = coalesce(signal, $8), updated_at = now()
          WHERE id = $1`,
        [run.id, log.logRef, log.bytes, log.sha256, log.stdoutExcerpt, log.stderrExcerpt, result?.exitCode ?? null, result?.signal ?? null],
      );
      ctx.transitioned = false;
      return;
    }
    ctx.transitioned = true;
    const { eventSeq: _seq, ...finalRun } = row as RunRow & { eventSeq: number };
    ctx.finalRun = finalRun as RunRow;
  },
};
