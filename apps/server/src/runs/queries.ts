import { TERMINAL_RUN_STATUSES, isUuid } from "@staple/contracts";
import { sqlList } from "../db/sql-list.js";
import { liveRunSql } from "../db/predicates.js";

import type { Database } from "../db/database.js";
import { notFound, validationError } from "../errors.js";
import type { Actor } from "../auth/actor.js";
import { assertCanSee } from "../auth/access.js";
import { findIssue } from "../issues/rows.js";
import { LOG_READ_DEFAULT_BYTES, LOG_READ_MAX_BYTES, type LogStore } from "./log-store.js";
import { RUN_COLUMNS, RUN_SUMMARY_COLUMNS, findRun, type RunRow } from "./rows.js";
import { classifyAndStore } from "./finalize/liveness.js";
import { RUN_COMPACT_COLUMNS } from "./compact-run-columns.js";

export const RUN_LIST_LIMIT_DEFAULT = 100;
export const RUN_LIST_LIMIT_MAX = 1000;
const RESULT_JSON_MAX_CHARS = 64 * 1024;

/** Unclassified finished runs classified per listing of an issue's runs (bounds the read's cost). */
export const LIVENESS_BACKFILL_LIMIT = 20;

/** Read side of runs: lists, one run, its events and log, runs of an issue, issues of a run. */
export function createRunQueries(db: Database, logStore: LogStore) {
  /** Lazily classifies finished runs of the issue that have no liveness verdict yet (bounded). */
  async function backfillLiveness(issueId: string) {
    const pending = await db.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM heartbeat_runs WHERE issue_id = $1 AND liveness_state IS NULL
          AND status IN ${sqlList(TERMINAL_RUN_STATUSES)} ORDER BY created_at DESC LIMIT ${LIVENESS_BACKFILL_LIMIT}`,
      [issueId],
    );
    for (const run of pending) {
      const output =
        typeof run.resultJson?.summary === "string" ? (run.resultJson.summary as string) : ((run.stdoutExcerpt as string | null) ?? null);
      await classifyAndStore(db, run, output);
    }
  }

  async function visibleRun(actor: Actor, id: string): Promise<RunRow> {
    const run = await findRun(db, id);
    if (!run) throw notFound("Heartbeat run not found");
    assertCanSee(actor, run.companyId, "Heartbeat run");
    return run;
  }

  return {
    visibleRun,

    async get(actor: Actor, id: string) {
      const run = await visibleRun(actor, id);
      const text = run.resultJson ? JSON.stringify(run.resultJson) : "";
      if (text.length > RESULT_JSON_MAX_CHARS) {
        return { ...run, resultJson: { truncated: true, originalChars: text.length, stopReason: run.resultJson?.stopReason ?? null } };
      }
      return run;
    },

    async listForCompany(
      companyId: string,
      f: { agentId?: string; status?: string[]; issueId?: string; cursor?: string; limit?: number; summary?: boolean },
    ) {
      const params: unknown[] = [companyId];
      const where = ["r.company_id = $1"];
      if (f.agentId) where.push(`r.agent_id = $${params.push(f.agentId)}`);
      if (f.status?.length) where.push(`r.status = ANY($${params.push(f.status)}::text[])`);
      if (f.issueId) {
        // An id or an identifier, looked up inside the company: another company's issue is unknown here.
        const byId = isUuid(f.issueId);
        const [issue] = await db.query<{ id: string }>(
          `SELECT id FROM issues WHERE company_id = $1 AND ${byId ? "id = $2::uuid" : "identifier = upper($2)"}`,
          [companyId, f.issueId],
        );
        if (!issue) throw validationError(`Unknown issue: ${f.issueId}`, [{ path: ["issueId"], message: "No such issue in this company" }]);
        where.push(`r.issue_id = $${params.push(issue.id)}`);
      }
      if (f.cursor) {
        const [anchor] = await db.query(`SELECT 1 FROM heartbeat_runs WHERE id = $1 AND company_id = $2`, [f.cursor, companyId]);
        if (!anchor) throw validationError("cursor does not name a run of this company", [{ path: ["cursor"], message: "Unknown run" }]);
        // Keyset paging on the list's order; the anchor's time is read in SQL to keep its microseconds.
        const c = params.push(f.cursor);
        where.push(`(r.created_at, r.id) < ((SELECT created_at FROM heartbeat_runs WHERE id = $${c}::uuid), $${c}::uuid)`);
      }
      const limit = Math.min(Math.max(1, f.limit ?? RUN_LIST_LIMIT_DEFAULT), RUN_LIST_LIMIT_MAX);
      const columns = f.summary ? RUN_COMPACT_COLUMNS : RUN_SUMMARY_COLUMNS;
      return db.query(
        `SELECT ${columns}, r.issue_id, i.identifier AS issue_identifier, i.title AS issue_title,
                COALESCE((SELECT sum(ce.cost_cents) FROM cost_events ce WHERE ce.heartbeat_run_id = r.id), 0)::int AS cost_cents
           FROM heartbeat_runs r LEFT JOIN issues i ON i.id = r.issue_id AND i.hidden_at IS NULL
          WHERE ${where.join(" AND ")} ORDER BY r.created_at DESC, r.id DESC LIMIT ${limit}`,
        params,
      );
    },

    async liveRuns(companyId: string) {
      return db.query(
        `SELECT ${RUN_SUMMARY_COLUMNS}, a.name AS agent_name, a.adapter_type, i.identifier AS issue_identifier, i.title AS issue_title
           FROM heartbeat_runs r JOIN agents a ON a.id = r.agent_id LEFT JOIN issues i ON i.id = r.issue_id
          WHERE r.company_id = $1 AND ${liveRunSql("r")}
          ORDER BY r.created_at`,
        [companyId],
      );
    },

    async events(actor: Actor, id: string, afterSeq: number, limit: number) {
      const run = await visibleRun(actor, id);
      return db.query(
        `SELECT id, company_id, run_id, agent_id, seq, event_type, stream, level, message, payload, created_at
           FROM heartbeat_run_events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [run.id, afterSeq, Math.min(Math.max(1, limit), 1000)],
      );
    },

    async log(actor: Actor, id: string, offset: number, limitBytes: number | undefined) {
      const run = await visibleRun(actor, id);
      const limit = Math.min(Math.max(1, limitBytes ?? LOG_READ_DEFAULT_BYTES), LOG_READ_MAX_BYTES);
      const read = await logStore.read({ ...run, logRef: (run.logRef as string | null) ?? null }, offset, limit);
      if (!read) throw notFound("Run log not found");
      return {
        runId: run.id,
        store: read.store,
        logRef: read.logRef,
        content: read.content,
        offset: read.offset,
        ...(read.nextOffset !== null ? { nextOffset: read.nextOffset } : {}),
        ...(read.truncated ? { truncated: true, ...(read.droppedBytes !== null ? { droppedBytes: read.droppedBytes } : {}) } : {}),
      };
    },

    /** Runs of an issue: the runs aimed at it plus runs that wrote activity on it. */
    async forIssue(actor: Actor, ref: string) {
      const issue = await findIssue(db, ref);
      if (!issue) throw notFound("Issue not found");
      assertCanSee(actor, issue.companyId, "Issue");
      await backfillLiveness(issue.id);
      return db.query(
        `SELECT r.id AS run_id, r.status, r.agent_id, a.adapter_type, r.started_at, r.finished_at, r.created_at, r.invocation_source,
                r.error_code, r.usage_json,
                CASE WHEN r.result_json IS NULL THEN NULL ELSE jsonb_strip_nulls(jsonb_build_object(
                  'stopReason', r.result_json->'stopReason', 'timeoutFired', r.result_json->'timeoutFired',
                  'timeoutConfigured', r.result_json->'timeoutConfigured', 'effectiveTimeoutSec', r.result_json->'effectiveTimeoutSec',
                  'summary', left(r.result_json->>'summary', 500))) END AS result_json,
                r.log_bytes, r.retry_of_run_id, r.scheduled_retry_at, r.scheduled_retry_attempt, r.scheduled_retry_reason,
                r.liveness_state, r.liveness_reason, r.continuation_attempt, r.last_useful_action_at, r.next_action,
                (SELECT e.message FROM heartbeat_run_events e WHERE e.run_id = r.id AND e.event_type = 'lifecycle'
                   AND e.message LIKE 'Bounded retry exhausted%' ORDER BY e.id DESC LIMIT 1) AS retry_exhausted_reason
           FROM heartbeat_runs r JOIN agents a ON a.id = r.agent_id
          WHERE r.company_id = $1 AND (r.issue_id = $2 OR EXISTS (
                  SELECT 1 FROM activity_log al WHERE al.run_id = r.id AND al.entity_type = 'issue' AND al.entity_id = $2::text))
          ORDER BY r.created_at DESC`,
        [issue.companyId, issue.id],
      );
    },

    /** Issues a run touched: its target issue and any issue it wrote activity on. */
    async issuesForRun(actor: Actor, id: string) {
      const run = await visibleRun(actor, id);
      return db.query(
        `SELECT DISTINCT ON (i.id) i.id AS issue_id, i.identifier, i.title, i.status, i.priority
           FROM issues i
          WHERE i.company_id = $1 AND i.hidden_at IS NULL AND (i.id = $2 OR EXISTS (
                  SELECT 1 FROM activity_log al WHERE al.run_id = $3 AND al.entity_type = 'issue' AND al.entity_id = i.id::text))
          ORDER BY i.id`,
        [run.companyId, run.issueId, run.id],
      );
    },

    async runtimeState(agentId: string) {
      const [row] = await db.query(
        `SELECT agent_id, adapter_type, session_id, last_run_id, last_run_status, last_error, total_input_tokens, total_output_tokens,
                total_cached_input_tokens, total_cost_cents, total_runs, updated_at FROM agent_runtime_state WHERE agent_id = $1`,
        [agentId],
      );
      return (
        row ?? {
          agentId,
          adapterType: null,
          sessionId: null,
          lastRunId: null,
          lastRunStatus: null,
          lastError: null,
          totalInputTokens: 0,
          totalOutputTokens: 0,
          totalCachedInputTokens: 0,
          totalCostCents: 0,
          totalRuns: 0,
          updatedAt: null,
        }
      );
    },

    async taskSessions(agentId: string) {
      return db.query(
        `SELECT id, agent_id, adapter_type, task_key, session_params_json, session_display_id, last_run_id, last_error, created_at, updated_at
           FROM agent_task_sessions WHERE agent_id = $1 ORDER BY updated_at DESC`,
        [agentId],
      );
    },
  };
}
export type RunQueries = ReturnType<typeof createRunQueries>;
