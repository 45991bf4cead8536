-- Run events, per-agent runtime totals, per-task adapter sessions, and the cost ledger.

CREATE TABLE heartbeat_run_events (
  id bigserial PRIMARY KEY,
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  run_id uuid NOT NULL REFERENCES heartbeat_runs(id) ON DELETE CASCADE,
  agent_id uuid NOT NULL,
  seq integer NOT NULL,
  event_type text NOT NULL,
  stream text NOT NULL DEFAULT 'system' CONSTRAINT heartbeat_run_events_stream_check CHECK (stream IN ('system', 'stdout', 'stderr')),
  level text NOT NULL DEFAULT 'info' CONSTRAINT heartbeat_run_events_level_check CHECK (level IN ('info', 'warn', 'error')),
  message text,
  payload jsonb,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT heartbeat_run_events_seq_key UNIQUE (run_id, seq)
);

CREATE TABLE agent_runtime_state (
  agent_id uuid PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  adapter_type text,
  session_id text,
  state_json jsonb,
  last_run_id uuid,
  last_run_status text,
  last_error text,
  total_input_tokens bigint NOT NULL DEFAULT 0,
  total_output_tokens bigint NOT NULL DEFAULT 0,
  total_cached_input_tokens bigint NOT NULL DEFAULT 0,
  total_cost_cents bigint NOT NULL DEFAULT 0,
  total_runs integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agent_task_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  adapter_type text NOT NULL,
  task_key text NOT NULL,
  session_params_json jsonb,
  session_display_id text CONSTRAINT agent_task_sessions_display_id_check CHECK (length(session_display_id) <= 128),
  last_run_id uuid,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT agent_task_sessions_key UNIQUE (company_id, agent_id, adapter_type, task_key)
);

CREATE TABLE cost_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  issue_id uuid,
  project_id uuid,
  goal_id uuid,
  heartbeat_run_id uuid,
  billing_code text,
  provider text,
  biller text NOT NULL DEFAULT 'unknown',
  billing_type text NOT NULL DEFAULT 'unknown'
    CONSTRAINT cost_events_billing_type_check CHECK (billing_type IN ('metered_api', 'subscription_included', 'subscription_overage', 'credits', 'fixed', 'unknown')),
  model text,
  input_tokens bigint NOT NULL DEFAULT 0,
  cached_input_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  cost_cents integer NOT NULL DEFAULT 0,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cost_events_company_time_idx ON cost_events (company_id, occurred_at DESC);
CREATE INDEX cost_events_agent_time_idx ON cost_events (agent_id, occurred_at DESC);
CREATE UNIQUE INDEX cost_events_run_idx ON cost_events (heartbeat_run_id) WHERE heartbeat_run_id IS NOT NULL;

-- Live events: every activity row is announced on the staple_live channel when its transaction
-- commits, so every server instance (and its WebSocket/SSE clients) hears of it exactly once.
CREATE FUNCTION staple_notify_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('staple_live', json_build_object(
    'type', 'activity.logged',
    'companyId', NEW.company_id,
    'at', NEW.created_at,
    'payload', json_build_object(
      'id', NEW.id, 'action', NEW.action, 'entityType', NEW.entity_type, 'entityId', NEW.entity_id,
      'actorType', NEW.actor_type, 'actorId', NEW.actor_id, 'agentId', NEW.agent_id, 'runId', NEW.run_id)
  )::text);
  RETURN NEW;
END
$$;
CREATE TRIGGER activity_log_notify AFTER INSERT ON activity_log FOR EACH ROW EXECUTE FUNCTION staple_notify_activity();

-- Per-run event sequence, incremented atomically by each event insert (no max(seq)+1 races).
ALTER TABLE heartbeat_runs ADD COLUMN event_seq integer NOT NULL DEFAULT 0;
