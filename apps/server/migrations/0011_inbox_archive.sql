-- Per-user inbox archive (the board's Mine tab) and agent configuration revisions.

-- One row per (issue, user) while the issue is archived from that user's inbox. Archiving again
-- moves archived_at forward; unarchiving deletes the row. The archive lapses by itself when the
-- issue sees activity after archived_at (see src/inbox/queries.ts), so nothing needs rewriting.
CREATE TABLE issue_inbox_archives (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  issue_id uuid NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
  user_id text NOT NULL,
  archived_by_actor_type text NOT NULL
    CONSTRAINT issue_inbox_archives_actor_type_check CHECK (archived_by_actor_type IN ('user', 'agent', 'system')),
  archived_by_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  archived_by_run_id uuid,
  archived_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT issue_inbox_archives_issue_user_key UNIQUE (issue_id, user_id)
);
CREATE INDEX issue_inbox_archives_company_user_idx ON issue_inbox_archives (company_id, user_id);

-- A snapshot of an agent's configuration before and after each change that touched it. Rows are
-- append-only; a rollback writes a new row (source 'rollback') naming the revision it restored.
-- Snapshots hold the stored adapter config (secret env values included): reads mask them.
CREATE TABLE agent_config_revisions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  created_by_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  created_by_user_id text,
  source text NOT NULL
    CONSTRAINT agent_config_revisions_source_check CHECK (source IN ('patch', 'instructions_path_patch', 'rollback')),
  rolled_back_from_revision_id uuid REFERENCES agent_config_revisions(id) ON DELETE SET NULL,
  changed_keys text[] NOT NULL,
  before_config jsonb NOT NULL,
  after_config jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_config_revisions_agent_idx ON agent_config_revisions (agent_id, created_at DESC, id DESC);
