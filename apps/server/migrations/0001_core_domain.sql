-- Core domain: companies, agents and their API keys, goals, projects, issues with comments,
-- relations, documents and work products, the activity log, and instance settings.
-- Every CHECK list mirrors a frozen constant in packages/contracts/src/enums.ts
-- (apps/server/test/schema-enums.test.ts keeps them in step).

CREATE TABLE instance_settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE companies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  description text,
  status text NOT NULL DEFAULT 'active'
    CONSTRAINT companies_status_check CHECK (status IN ('active', 'paused', 'archived')),
  pause_reason text
    CONSTRAINT companies_pause_reason_check CHECK (pause_reason IN ('manual', 'budget', 'system', 'company_archived')),
  paused_at timestamptz,
  archived_at timestamptz,
  issue_prefix text NOT NULL CONSTRAINT companies_issue_prefix_key UNIQUE,
  issue_counter integer NOT NULL DEFAULT 0,
  budget_monthly_cents integer NOT NULL DEFAULT 0,
  spent_monthly_cents integer NOT NULL DEFAULT 0,
  require_board_approval_for_new_agents boolean NOT NULL DEFAULT false,
  brand_color text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  name text NOT NULL,
  -- The agent name key (trimmed, lower-cased name) identifies the agent in execution locks.
  name_key text GENERATED ALWAYS AS (lower(btrim(name))) STORED,
  url_key text NOT NULL,
  role text NOT NULL DEFAULT 'general'
    CONSTRAINT agents_role_check CHECK (role IN ('ceo', 'cto', 'cmo', 'cfo', 'security', 'engineer', 'designer', 'pm', 'qa', 'devops', 'researcher', 'general')),
  title text,
  icon text,
  capabilities text,
  status text NOT NULL DEFAULT 'idle'
    CONSTRAINT agents_status_check CHECK (status IN ('active', 'paused', 'idle', 'running', 'error', 'pending_approval', 'terminated')),
  reports_to uuid REFERENCES agents(id) ON DELETE SET NULL,
  adapter_type text NOT NULL DEFAULT 'process'
    CONSTRAINT agents_adapter_type_check CHECK (adapter_type IN ('process', 'http', 'claude_local', 'codex_local')),
  adapter_config jsonb NOT NULL DEFAULT '{}'::jsonb,
  runtime_config jsonb NOT NULL DEFAULT '{}'::jsonb,
  default_environment_id uuid,
  budget_monthly_cents integer NOT NULL DEFAULT 0,
  spent_monthly_cents integer NOT NULL DEFAULT 0,
  pause_reason text
    CONSTRAINT agents_pause_reason_check CHECK (pause_reason IN ('manual', 'budget', 'system', 'company_archived')),
  paused_at timestamptz,
  error_reason text,
  permissions jsonb NOT NULL DEFAULT '{"canCreateAgents": false}'::jsonb,
  last_heartbeat_at timestamptz,
  metadata jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agents_company_idx ON agents (company_id, created_at);
-- Two live agents of one company may not share a name key (locks are keyed by it).
CREATE UNIQUE INDEX agents_company_name_key_live_idx ON agents (company_id, name_key) WHERE status <> 'terminated';

CREATE TABLE agent_api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  name text NOT NULL,
  -- sha256 hex of the plaintext token; the plaintext is shown once and never stored.
  key_hash text NOT NULL CONSTRAINT agent_api_keys_key_hash_key UNIQUE,
  last_used_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_api_keys_agent_idx ON agent_api_keys (agent_id);

CREATE TABLE goals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  title text NOT NULL,
  description text,
  level text NOT NULL DEFAULT 'task'
    CONSTRAINT goals_level_check CHECK (level IN ('company', 'team', 'agent', 'task')),
  status text NOT NULL DEFAULT 'planned'
    CONSTRAINT goals_status_check CHECK (status IN ('planned', 'active', 'achieved', 'cancelled')),
  parent_id uuid REFERENCES goals(id) ON DELETE SET NULL,
  owner_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX goals_company_idx ON goals (company_id, created_at);

CREATE TABLE projects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  goal_id uuid REFERENCES goals(id) ON DELETE SET NULL,
  name text NOT NULL,
  description text,
  status text NOT NULL DEFAULT 'backlog'
    CONSTRAINT projects_status_check CHECK (status IN ('backlog', 'planned', 'in_progress', 'completed', 'cancelled')),
  lead_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  target_date date,
  color text,
  env jsonb,
  pause_reason text
    CONSTRAINT projects_pause_reason_check CHECK (pause_reason IN ('manual', 'budget', 'system', 'company_archived')),
  paused_at timestamptz,
  archived_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_company_idx ON projects (company_id, created_at);

CREATE TABLE project_workspaces (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name text NOT NULL,
  cwd text,
  repo_url text,
  repo_ref text,
  is_primary boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_workspaces_project_idx ON project_workspaces (project_id, created_at);
CREATE UNIQUE INDEX project_workspaces_one_primary_idx ON project_workspaces (project_id) WHERE is_primary;

CREATE TABLE issues (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  project_id uuid REFERENCES projects(id) ON DELETE SET NULL,
  project_workspace_id uuid REFERENCES project_workspaces(id) ON DELETE SET NULL,
  goal_id uuid REFERENCES goals(id) ON DELETE SET NULL,
  parent_id uuid REFERENCES issues(id) ON DELETE SET NULL,
  title text NOT NULL,
  description text,
  status text NOT NULL DEFAULT 'backlog'
    CONSTRAINT issues_status_check CHECK (status IN ('backlog', 'todo', 'in_progress', 'in_review', 'done', 'blocked', 'cancelled')),
  work_mode text NOT NULL DEFAULT 'standard'
    CONSTRAINT issues_work_mode_check CHECK (work_mode IN ('standard')),
  priority text NOT NULL DEFAULT 'medium'
    CONSTRAINT issues_priority_check CHECK (priority IN ('critical', 'high', 'medium', 'low')),
  assignee_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  assignee_user_id text,
  -- Execution rights: checkout_run_id is the run that checked the issue out; execution_run_id is
  -- the live execution lock. Both point at heartbeat_runs and are cleared when the run ends.
  checkout_run_id uuid,
  execution_run_id uuid,
  execution_agent_name_key text,
  execution_locked_at timestamptz,
  created_by_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  created_by_user_id text,
  issue_number integer NOT NULL,
  identifier text NOT NULL CONSTRAINT issues_identifier_key UNIQUE,
  origin_kind text NOT NULL DEFAULT 'manual'
    CONSTRAINT issues_origin_kind_check CHECK (origin_kind IN ('manual', 'routine_execution', 'stranded_issue_recovery')),
  origin_id text,
  origin_run_id uuid,
  origin_fingerprint text NOT NULL DEFAULT 'default',
  request_depth integer NOT NULL DEFAULT 0 CONSTRAINT issues_request_depth_check CHECK (request_depth BETWEEN 0 AND 1024),
  billing_code text,
  execution_state jsonb,
  started_at timestamptz,
  completed_at timestamptz,
  cancelled_at timestamptz,
  hidden_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT issues_single_assignee_check CHECK (assignee_agent_id IS NULL OR assignee_user_id IS NULL),
  CONSTRAINT issues_company_number_key UNIQUE (company_id, issue_number)
);
CREATE INDEX issues_company_updated_idx ON issues (company_id, updated_at DESC) WHERE hidden_at IS NULL;
CREATE INDEX issues_company_status_idx ON issues (company_id, status) WHERE hidden_at IS NULL;
CREATE INDEX issues_assignee_agent_idx ON issues (assignee_agent_id, status) WHERE assignee_agent_id IS NOT NULL;
CREATE INDEX issues_parent_idx ON issues (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX issues_project_idx ON issues (project_id) WHERE project_id IS NOT NULL;
CREATE INDEX issues_execution_run_idx ON issues (execution_run_id) WHERE execution_run_id IS NOT NULL;
-- One open recovery issue per source issue; concurrent escalations re-read and reuse the winner
-- (docs/runs.md#escalation-and-recovery-issues).
CREATE UNIQUE INDEX issues_open_recovery_per_source_idx ON issues (company_id, origin_kind, origin_id)
  WHERE origin_kind = 'stranded_issue_recovery' AND origin_id IS NOT NULL AND hidden_at IS NULL
    AND status NOT IN ('done', 'cancelled');

-- issue_id blocks related_issue_id.
CREATE TABLE issue_relations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  issue_id uuid NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
  related_issue_id uuid NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
  type text NOT NULL DEFAULT 'blocks' CONSTRAINT issue_relations_type_check CHECK (type IN ('blocks')),
  created_by_agent_id uuid,
  created_by_user_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT issue_relations_no_self_check CHECK (issue_id <> related_issue_id),
  CONSTRAINT issue_relations_edge_key UNIQUE (issue_id, related_issue_id, type)
);
CREATE INDEX issue_relations_related_idx ON issue_relations (related_issue_id);

CREATE TABLE issue_comments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  issue_id uuid NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
  author_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  author_user_id text,
  author_type text NOT NULL CONSTRAINT issue_comments_author_type_check CHECK (author_type IN ('user', 'agent', 'system')),
  created_by_run_id uuid,
  body text NOT NULL,
  -- Agents named in the body (@Name or [@Name](agent://id)), resolved when the comment is written.
  mentioned_agent_ids uuid[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX issue_comments_issue_idx ON issue_comments (issue_id, created_at, id);
CREATE INDEX issue_comments_run_idx ON issue_comments (created_by_run_id) WHERE created_by_run_id IS NOT NULL;

CREATE TABLE documents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  title text,
  format text NOT NULL DEFAULT 'markdown' CONSTRAINT documents_format_check CHECK (format IN ('markdown')),
  latest_body text NOT NULL DEFAULT '',
  latest_revision_id uuid,
  latest_revision_number integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE document_revisions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  document_id uuid NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  revision_number integer NOT NULL,
  title text,
  body text NOT NULL,
  change_summary text,
  created_by_agent_id uuid,
  created_by_user_id text,
  created_by_run_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT document_revisions_number_key UNIQUE (document_id, revision_number)
);
CREATE INDEX document_revisions_run_idx ON document_revisions (created_by_run_id) WHERE created_by_run_id IS NOT NULL;

CREATE TABLE issue_documents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  issue_id uuid NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
  document_id uuid NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  key text NOT NULL CONSTRAINT issue_documents_key_check CHECK (key ~ '^[a-z0-9][a-z0-9_-]*$' AND length(key) <= 64),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT issue_documents_key_key UNIQUE (company_id, issue_id, key)
);

CREATE TABLE issue_work_products (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  issue_id uuid NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
  project_id uuid REFERENCES projects(id) ON DELETE SET NULL,
  type text NOT NULL CONSTRAINT issue_work_products_type_check CHECK (type IN ('preview_url', 'runtime_service', 'pull_request', 'branch', 'commit', 'artifact', 'document')),
  provider text NOT NULL,
  external_id text,
  title text NOT NULL,
  url text,
  status text NOT NULL DEFAULT 'active'
    CONSTRAINT issue_work_products_status_check CHECK (status IN ('active', 'ready_for_review', 'approved', 'changes_requested', 'merged', 'closed', 'failed', 'archived', 'draft')),
  is_primary boolean NOT NULL DEFAULT false,
  summary text,
  metadata jsonb,
  created_by_run_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX issue_work_products_issue_idx ON issue_work_products (issue_id, created_at);

-- Append-only audit trail. Written in the same transaction as the change it describes.
CREATE TABLE activity_log (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  actor_type text NOT NULL DEFAULT 'system' CONSTRAINT activity_log_actor_type_check CHECK (actor_type IN ('user', 'agent', 'system')),
  actor_id text NOT NULL,
  action text NOT NULL,
  entity_type text NOT NULL,
  entity_id text NOT NULL,
  agent_id uuid,
  run_id uuid,
  details jsonb,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX activity_log_company_idx ON activity_log (company_id, created_at DESC);
CREATE INDEX activity_log_entity_idx ON activity_log (entity_type, entity_id, created_at DESC);
CREATE INDEX activity_log_agent_idx ON activity_log (agent_id, created_at DESC) WHERE agent_id IS NOT NULL;
CREATE INDEX activity_log_run_idx ON activity_log (run_id) WHERE run_id IS NOT NULL;
