-- Wakeup requests and heartbeat runs. The run engine's transitions are guarded updates over these
-- rows; the CHECK lists mirror WAKEUP_STATUSES and RUN_STATUSES in packages/contracts.

CREATE TABLE agent_wakeup_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  source text NOT NULL CONSTRAINT agent_wakeup_requests_source_check CHECK (source IN ('timer', 'assignment', 'on_demand', 'automation')),
  trigger_detail text CONSTRAINT agent_wakeup_requests_trigger_detail_check CHECK (trigger_detail IN ('manual', 'ping', 'callback', 'system')),
  reason text,
  payload jsonb,
  status text NOT NULL DEFAULT 'queued'
    CONSTRAINT agent_wakeup_requests_status_check CHECK (status IN ('queued', 'deferred_issue_execution', 'claimed', 'coalesced', 'skipped', 'completed', 'failed', 'cancelled', 'timed_out')),
  coalesced_count integer NOT NULL DEFAULT 0,
  requested_by_actor_type text CONSTRAINT agent_wakeup_requests_actor_type_check CHECK (requested_by_actor_type IN ('user', 'agent', 'system')),
  requested_by_actor_id text,
  idempotency_key text,
  issue_id uuid,
  run_id uuid,
  requested_at timestamptz NOT NULL DEFAULT now(),
  claimed_at timestamptz,
  finished_at timestamptz,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_wakeup_requests_agent_status_idx ON agent_wakeup_requests (agent_id, status);
CREATE INDEX agent_wakeup_requests_issue_idx ON agent_wakeup_requests (issue_id, status) WHERE issue_id IS NOT NULL;
CREATE UNIQUE INDEX agent_wakeup_requests_idempotency_idx ON agent_wakeup_requests (agent_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE heartbeat_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  invocation_source text NOT NULL DEFAULT 'on_demand'
    CONSTRAINT heartbeat_runs_invocation_source_check CHECK (invocation_source IN ('timer', 'assignment', 'on_demand', 'automation')),
  trigger_detail text,
  status text NOT NULL DEFAULT 'queued'
    CONSTRAINT heartbeat_runs_status_check CHECK (status IN ('queued', 'scheduled_retry', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out')),
  wakeup_request_id uuid REFERENCES agent_wakeup_requests(id) ON DELETE SET NULL,
  issue_id uuid,
  task_key text,
  started_at timestamptz,
  finished_at timestamptz,
  error text,
  error_code text,
  exit_code integer,
  signal text,
  usage_json jsonb,
  result_json jsonb,
  session_id_before text,
  session_id_after text,
  log_store text,
  log_ref text,
  log_bytes bigint,
  log_sha256 text,
  log_compressed boolean NOT NULL DEFAULT false,
  stdout_excerpt text,
  stderr_excerpt text,
  process_pid integer,
  process_group_id integer,
  process_started_at timestamptz,
  last_output_at timestamptz,
  last_output_seq integer NOT NULL DEFAULT 0,
  last_output_stream text,
  last_output_bytes bigint,
  -- Lease: the server instance executing the run and when its claim lapses unless renewed.
  lease_owner text,
  lease_expires_at timestamptz,
  retry_of_run_id uuid REFERENCES heartbeat_runs(id) ON DELETE SET NULL,
  process_loss_retry_count integer NOT NULL DEFAULT 0,
  scheduled_retry_at timestamptz,
  scheduled_retry_attempt integer NOT NULL DEFAULT 0,
  scheduled_retry_reason text,
  issue_comment_status text NOT NULL DEFAULT 'not_applicable'
    CONSTRAINT heartbeat_runs_issue_comment_status_check CHECK (issue_comment_status IN ('not_applicable', 'satisfied', 'retry_queued', 'retry_exhausted')),
  issue_comment_satisfied_by_comment_id uuid,
  issue_comment_retry_queued_at timestamptz,
  liveness_state text
    CONSTRAINT heartbeat_runs_liveness_state_check CHECK (liveness_state IN ('completed', 'advanced', 'plan_only', 'empty_response', 'blocked', 'failed', 'needs_followup')),
  liveness_reason text,
  continuation_attempt integer NOT NULL DEFAULT 0,
  last_useful_action_at timestamptz,
  next_action text,
  context_snapshot jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX heartbeat_runs_company_created_idx ON heartbeat_runs (company_id, created_at DESC);
CREATE INDEX heartbeat_runs_agent_created_idx ON heartbeat_runs (agent_id, created_at DESC);
CREATE INDEX heartbeat_runs_issue_idx ON heartbeat_runs (issue_id, created_at DESC) WHERE issue_id IS NOT NULL;
-- The claim, reaper and retry passes only ever scan execution-path rows.
CREATE INDEX heartbeat_runs_active_idx ON heartbeat_runs (agent_id, status, created_at)
  WHERE status IN ('queued', 'scheduled_retry', 'running');
CREATE INDEX heartbeat_runs_lease_idx ON heartbeat_runs (lease_expires_at) WHERE status = 'running';
CREATE INDEX heartbeat_runs_retry_due_idx ON heartbeat_runs (scheduled_retry_at) WHERE status = 'scheduled_retry';
