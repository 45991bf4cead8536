import { isUuid, type RunStatus, type WakeSource } from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import { selectList, tableColumns, type Assert, type ColumnsOf, type RowMatches } from "../db/row-columns.js";

/** The columns a run row reads (test/row-types.test.ts checks them against the migrated schema). */
export const RUN_ROW = tableColumns("heartbeat_runs", [
  "id",
  "company_id",
  "agent_id",
  "invocation_source",
  "trigger_detail",
  "status",
  "wakeup_request_id",
  "issue_id",
  "task_key",
  "started_at",
  "finished_at",
  "error",
  "error_code",
  "exit_code",
  "signal",
  "usage_json",
  "result_json",
  "session_id_before",
  "session_id_after",
  "log_store",
  "log_ref",
  "log_bytes",
  "log_sha256",
  "log_compressed",
  "stdout_excerpt",
  "stderr_excerpt",
  "process_pid",
  "process_group_id",
  "process_started_at",
  "last_output_at",
  "last_output_seq",
  "last_output_stream",
  "last_output_bytes",
  "lease_owner",
  "lease_expires_at",
  "retry_of_run_id",
  "process_loss_retry_count",
  "scheduled_retry_at",
  "scheduled_retry_attempt",
  "scheduled_retry_reason",
  "issue_comment_status",
  "liveness_state",
  "liveness_reason",
  "continuation_attempt",
  "last_useful_action_at",
  "next_action",
  "context_snapshot",
  "created_at",
  "updated_at",
]);
export const RUN_COLUMNS = selectList(RUN_ROW);

/** List rows leave out the heavy columns (excerpts, full result) and summarize the rest. */
export const RUN_SUMMARY_COLUMNS = `r.id, r.company_id, r.agent_id, r.invocation_source, r.trigger_detail, r.status, r.wakeup_request_id,
  r.started_at, r.finished_at, r.error, r.error_code, r.exit_code, r.signal, r.usage_json, r.session_id_before, r.session_id_after,
  r.log_store, r.log_ref, r.log_bytes, r.process_pid, r.last_output_at, r.last_output_seq, r.last_output_stream, r.last_output_bytes,
  r.retry_of_run_id, r.process_loss_retry_count, r.scheduled_retry_at, r.scheduled_retry_attempt, r.scheduled_retry_reason,
  r.liveness_state, r.liveness_reason, r.continuation_attempt, r.last_useful_action_at, r.next_action, r.created_at, r.updated_at,
  jsonb_strip_nulls(jsonb_build_object(
    'issueId', r.context_snapshot->'issueId', 'taskId', r.context_snapshot->'taskId', 'taskKey', r.context_snapshot->'taskKey',
    'wakeReason', r.context_snapshot->'wakeReason', 'wakeSource', r.context_snapshot->'wakeSource',
    'wakeTriggerDetail', r.context_snapshot->'wakeTriggerDetail', 'wakeCommentId', r.context_snapshot->'wakeCommentId',
    'retryReason', r.context_snapshot->'retryReason')) AS context_snapshot,
  CASE WHEN r.result_json IS NULL THEN NULL ELSE jsonb_strip_nulls(jsonb_build_object(
    'stopReason', r.result_json->'stopReason', 'summary', left(r.result_json->>'summary', 500),
    'errorFamily', r.result_json->'errorFamily', 'retryNotBefore', r.result_json->'retryNotBefore',
    'timeoutFired', r.result_json->'timeoutFired', 'effectiveTimeoutSec', r.result_json->'effectiveTimeoutSec')) END AS result_json`;

export interface RunRow {
  id: string;
  companyId: string;
  agentId: string;
  invocationSource: WakeSource;
  triggerDetail: string | null;
  status: RunStatus;
  wakeupRequestId: string | null;
  issueId: string | null;
  taskKey: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
  errorCode: string | null;
  exitCode: number | null;
  signal: string | null;
  usageJson: Record<string, unknown> | null;
  resultJson: Record<string, unknown> | null;
  sessionIdBefore: string | null;
  sessionIdAfter: string | null;
  logStore: string | null;
  logRef: string | null;
  logBytes: number | null;
  logSha256: string | null;
  logCompressed: boolean;
  stdoutExcerpt: string | null;
  stderrExcerpt: string | null;
  processPid: number | null;
  processGroupId: number | null;
  processStartedAt: Date | null;
  lastOutputAt: Date | null;
  lastOutputSeq: number;
  lastOutputStream: string | null;
  lastOutputBytes: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  retryOfRunId: string | null;
  processLossRetryCount: number;
  scheduledRetryAt: Date | null;
  scheduledRetryAttempt: number;
  scheduledRetryReason: string | null;
  issueCommentStatus: string;
  livenessState: string | null;
  livenessReason: string | null;
  continuationAttempt: number;
  lastUsefulActionAt: Date | null;
  nextAction: string | null;
  contextSnapshot: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
}
export type RunRowCheck = Assert<RowMatches<RunRow, ColumnsOf<typeof RUN_ROW>>>;

export async function findRun(q: Queryable, id: string, lock = false): Promise<RunRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await q.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM heartbeat_runs WHERE id = $1${lock ? " FOR NO KEY UPDATE" : ""}`, [id]);
  return row;
}
