-- Execution workspaces: an isolated git worktree per issue (docs/workspaces.md). A project chooses
-- `isolated_workspace` or `shared_workspace` in execution_workspace_policy; an isolated issue gets one
-- open workspace (partial unique index), which at most one live run holds at a time (holder_run_id,
-- claimed under the row lock; a holder whose run is no longer live is stale and may be replaced).

ALTER TABLE projects ADD COLUMN execution_workspace_policy jsonb;

CREATE TABLE execution_workspaces (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  project_id uuid REFERENCES projects(id) ON DELETE SET NULL,
  project_workspace_id uuid REFERENCES project_workspaces(id) ON DELETE SET NULL,
  source_issue_id uuid REFERENCES issues(id) ON DELETE SET NULL,
  -- The only mode and strategy implemented; Paperclip's other values would need code, not data.
  mode text NOT NULL DEFAULT 'isolated_workspace',
  strategy_type text NOT NULL DEFAULT 'git_worktree',
  name text NOT NULL,
  status text NOT NULL DEFAULT 'active'
    CONSTRAINT execution_workspaces_status_check CHECK (status IN ('active', 'idle', 'in_review', 'archived', 'cleanup_failed')),
  cwd text NOT NULL,
  repo_root text NOT NULL,
  repo_url text,
  base_ref text,
  base_commit text,
  branch_name text NOT NULL,
  provider_type text NOT NULL DEFAULT 'git_worktree',
  holder_run_id uuid REFERENCES heartbeat_runs(id) ON DELETE SET NULL,
  held_at timestamptz,
  last_used_at timestamptz NOT NULL DEFAULT now(),
  opened_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  cleanup_eligible_at timestamptz,
  cleanup_reason text,
  metadata jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- One open workspace per issue; one open workspace per directory (two runs never share a cwd).
CREATE UNIQUE INDEX execution_workspaces_open_issue_idx ON execution_workspaces (source_issue_id)
  WHERE closed_at IS NULL;
CREATE UNIQUE INDEX execution_workspaces_open_cwd_idx ON execution_workspaces (cwd) WHERE closed_at IS NULL;
CREATE INDEX execution_workspaces_company_idx ON execution_workspaces (company_id, created_at DESC);
CREATE INDEX execution_workspaces_holder_idx ON execution_workspaces (holder_run_id) WHERE holder_run_id IS NOT NULL;

ALTER TABLE issue_work_products ADD COLUMN execution_workspace_id uuid REFERENCES execution_workspaces(id) ON DELETE SET NULL;
CREATE INDEX issue_work_products_dedupe_idx ON issue_work_products (issue_id, type, external_id);
