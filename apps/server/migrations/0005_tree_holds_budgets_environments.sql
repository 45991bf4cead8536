-- Subtree pause holds, budget policies with their incidents and approvals, and execution
-- environments with per-run leases. CHECK lists mirror packages/contracts/src/enums.ts.

CREATE TABLE issue_tree_holds (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  root_issue_id uuid NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
  mode text NOT NULL CONSTRAINT issue_tree_holds_mode_check CHECK (mode IN ('pause', 'resume', 'cancel', 'restore')),
  status text NOT NULL DEFAULT 'active' CONSTRAINT issue_tree_holds_status_check CHECK (status IN ('active', 'released')),
  reason text,
  release_policy jsonb NOT NULL DEFAULT '{"strategy": "manual"}'::jsonb,
  created_by_actor_type text NOT NULL,
  created_by_actor_id text NOT NULL,
  created_by_run_id uuid,
  released_by_actor_type text,
  released_by_actor_id text,
  released_at timestamptz,
  release_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX issue_tree_holds_active_idx ON issue_tree_holds (root_issue_id) WHERE status = 'active';

CREATE TABLE issue_tree_hold_members (
  hold_id uuid NOT NULL REFERENCES issue_tree_holds(id) ON DELETE CASCADE,
  issue_id uuid NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
  parent_id uuid,
  depth integer NOT NULL,
  status text NOT NULL,
  assignee_agent_id uuid,
  active_run_id uuid,
  skipped boolean NOT NULL DEFAULT false,
  PRIMARY KEY (hold_id, issue_id)
);

CREATE TABLE approvals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  type text NOT NULL CONSTRAINT approvals_type_check CHECK (type IN ('hire_agent', 'approve_ceo_strategy', 'budget_override_required', 'request_board_approval')),
  requested_by_agent_id uuid,
  requested_by_user_id text,
  status text NOT NULL DEFAULT 'pending' CONSTRAINT approvals_status_check CHECK (status IN ('pending', 'revision_requested', 'approved', 'rejected', 'cancelled')),
  payload jsonb,
  decision_note text,
  decided_by_user_id text,
  decided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX approvals_company_status_idx ON approvals (company_id, status);

CREATE TABLE budget_policies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  scope_type text NOT NULL CONSTRAINT budget_policies_scope_type_check CHECK (scope_type IN ('company', 'agent', 'project')),
  scope_id uuid NOT NULL,
  metric text NOT NULL DEFAULT 'billed_cents' CONSTRAINT budget_policies_metric_check CHECK (metric IN ('billed_cents')),
  window_kind text NOT NULL DEFAULT 'calendar_month_utc' CONSTRAINT budget_policies_window_kind_check CHECK (window_kind IN ('calendar_month_utc', 'lifetime')),
  amount integer NOT NULL CONSTRAINT budget_policies_amount_check CHECK (amount >= 0),
  warn_percent integer NOT NULL DEFAULT 80 CONSTRAINT budget_policies_warn_percent_check CHECK (warn_percent BETWEEN 1 AND 100),
  hard_stop_enabled boolean NOT NULL DEFAULT true,
  notify_enabled boolean NOT NULL DEFAULT true,
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX budget_policies_scope_idx ON budget_policies (company_id, scope_type, scope_id) WHERE is_active;

CREATE TABLE budget_incidents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  policy_id uuid NOT NULL REFERENCES budget_policies(id) ON DELETE CASCADE,
  window_start timestamptz NOT NULL,
  threshold_type text NOT NULL CONSTRAINT budget_incidents_threshold_type_check CHECK (threshold_type IN ('soft', 'hard')),
  amount integer NOT NULL,
  observed integer NOT NULL,
  status text NOT NULL DEFAULT 'open' CONSTRAINT budget_incidents_status_check CHECK (status IN ('open', 'resolved', 'dismissed')),
  approval_id uuid REFERENCES approvals(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT budget_incidents_once_key UNIQUE (policy_id, window_start, threshold_type)
);

CREATE TABLE environments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  name text NOT NULL,
  driver text NOT NULL DEFAULT 'local' CONSTRAINT environments_driver_check CHECK (driver IN ('local', 'ssh', 'sandbox', 'plugin')),
  status text NOT NULL DEFAULT 'active' CONSTRAINT environments_status_check CHECK (status IN ('active', 'archived')),
  config jsonb,
  env_vars jsonb,
  metadata jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX environments_one_local_idx ON environments (company_id) WHERE driver = 'local' AND status = 'active';

CREATE TABLE environment_leases (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  environment_id uuid NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  issue_id uuid,
  heartbeat_run_id uuid REFERENCES heartbeat_runs(id) ON DELETE CASCADE,
  status text NOT NULL DEFAULT 'active'
    CONSTRAINT environment_leases_status_check CHECK (status IN ('active', 'released', 'expired', 'failed', 'retained', 'pending_cleanup')),
  lease_policy text NOT NULL DEFAULT 'ephemeral',
  provider text NOT NULL DEFAULT 'local',
  acquired_at timestamptz NOT NULL DEFAULT now(),
  released_at timestamptz,
  failure_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX environment_leases_run_idx ON environment_leases (heartbeat_run_id) WHERE status = 'active';
