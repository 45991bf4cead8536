-- Wake breakers (docs/runs.md#idle-timer-wakes, #loop-breaker, #quota-breaker): per-company
-- settings, loop-breaker incidents, provider quota holds, and the timer's idle-check stamp.

-- One row per company that changed a default; no row means the defaults in src/runs/breaker-settings.ts.
CREATE TABLE company_wake_breaker_settings (
  company_id uuid PRIMARY KEY REFERENCES companies(id) ON DELETE CASCADE,
  loop_breaker_enabled boolean NOT NULL,
  loop_max_wakes integer NOT NULL CONSTRAINT company_wake_breaker_settings_max_wakes_check CHECK (loop_max_wakes BETWEEN 2 AND 1000),
  loop_window_minutes integer NOT NULL CONSTRAINT company_wake_breaker_settings_window_check CHECK (loop_window_minutes BETWEEN 1 AND 10080),
  quota_breaker_enabled boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- An agent stopped from being woken on one issue. Open while cleared_at IS NULL; a progress
-- signal on the issue after tripped_at clears it (the next wake decision does).
CREATE TABLE wake_loop_incidents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  issue_id uuid NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
  wake_count integer NOT NULL,
  max_wakes integer NOT NULL,
  window_minutes integer NOT NULL,
  last_progress_at timestamptz,
  blocked_wakes integer NOT NULL DEFAULT 0,
  tripped_at timestamptz NOT NULL DEFAULT now(),
  cleared_at timestamptz,
  cleared_reason text
);
CREATE UNIQUE INDEX wake_loop_incidents_open_uq ON wake_loop_incidents (agent_id, issue_id) WHERE cleared_at IS NULL;
CREATE INDEX wake_loop_incidents_company_idx ON wake_loop_incidents (company_id, tripped_at DESC);

-- A provider said a credential is out of quota until reset_at. One row per credential
-- fingerprint (a hash: never the key itself); a later report moves reset_at forward.
CREATE TABLE provider_quota_holds (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  credential_fingerprint text NOT NULL CONSTRAINT provider_quota_holds_fingerprint_key UNIQUE,
  credential_kind text NOT NULL CONSTRAINT provider_quota_holds_kind_check CHECK (credential_kind IN ('api_key', 'cli_login')),
  adapter_type text NOT NULL,
  company_id uuid REFERENCES companies(id) ON DELETE SET NULL,
  source_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  source_run_id uuid REFERENCES heartbeat_runs(id) ON DELETE SET NULL,
  error_code text,
  reset_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_quota_holds_reset_idx ON provider_quota_holds (reset_at);

-- When the timer last found this agent idle (a skipped timer wake): the next idle check waits a
-- full interval from here, so an idle agent costs one row per interval, not one per pass.
ALTER TABLE agents ADD COLUMN last_timer_check_at timestamptz;

-- The agent page lists recent skipped wakes.
CREATE INDEX agent_wakeup_requests_agent_skipped_idx ON agent_wakeup_requests (agent_id, requested_at DESC) WHERE status = 'skipped';
