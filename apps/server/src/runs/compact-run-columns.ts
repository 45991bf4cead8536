/**
 * Compact run rows for `?summary=true` run lists: the same keys as a list row, with the heavy or
 * internal fields (usage, sessions, log location, process ids, result) null and the context
 * snapshot cut to its wake identifiers.
 */
export const RUN_COMPACT_COLUMNS = `r.id, r.company_id, r.agent_id, r.invocation_source, r.trigger_detail, r.status, r.wakeup_request_id,
  r.started_at, r.finished_at, r.error, r.error_code, r.exit_code, r.signal, NULL::jsonb AS usage_json, NULL AS session_id_before,
  NULL AS session_id_after, NULL AS log_store, NULL AS log_ref, r.log_bytes, NULL::int AS process_pid, r.last_output_at,
  r.last_output_seq, r.last_output_stream, r.last_output_bytes, r.retry_of_run_id, r.process_loss_retry_count, r.scheduled_retry_at,
  r.scheduled_retry_attempt, r.scheduled_retry_reason, r.liveness_state, r.liveness_reason, r.continuation_attempt,
  r.last_useful_action_at, r.next_action, r.created_at, r.updated_at,
  NULLIF(jsonb_strip_nulls(jsonb_build_object(
    'issueId', r.context_snapshot->'issueId', 'taskId', r.context_snapshot->'taskId', 'taskKey', r.context_snapshot->'taskKey',
    'commentId', r.context_snapshot->'commentId', 'wakeCommentId', r.context_snapshot->'wakeCommentId',
    'wakeReason', r.context_snapshot->'wakeReason', 'wakeSource', r.context_snapshot->'wakeSource',
    'wakeTriggerDetail', r.context_snapshot->'wakeTriggerDetail')), '{}'::jsonb) AS context_snapshot,
  NULL::jsonb AS result_json`;
