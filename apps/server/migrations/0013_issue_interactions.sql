-- Issue-thread interactions: typed cards in an issue's thread (confirmations, checklists, item
-- verdicts, questions, suggested tasks). `payload` is the validated request, `result` the response
-- or the reason the card ended. Every transition leaves `pending` through a guarded UPDATE.

CREATE TABLE issue_thread_interactions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  issue_id uuid NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
  kind text NOT NULL CONSTRAINT issue_thread_interactions_kind_check
    CHECK (kind IN ('suggest_tasks', 'ask_user_questions', 'request_confirmation', 'request_checkbox_confirmation', 'request_item_verdicts')),
  status text NOT NULL DEFAULT 'pending' CONSTRAINT issue_thread_interactions_status_check
    CHECK (status IN ('pending', 'accepted', 'rejected', 'answered', 'expired', 'cancelled')),
  continuation_policy text NOT NULL CONSTRAINT issue_thread_interactions_continuation_policy_check
    CHECK (continuation_policy IN ('none', 'wake_assignee', 'wake_assignee_on_accept')),
  requested_resolver_policy text NOT NULL CONSTRAINT issue_thread_interactions_requested_resolver_policy_check
    CHECK (requested_resolver_policy IN ('anyone', 'not_creator', 'human_only')),
  effective_resolver_policy text NOT NULL CONSTRAINT issue_thread_interactions_effective_resolver_policy_check
    CHECK (effective_resolver_policy IN ('anyone', 'not_creator', 'human_only')),
  resolver_policy_provenance text NOT NULL CONSTRAINT issue_thread_interactions_resolver_policy_provenance_check
    CHECK (resolver_policy_provenance IN ('explicit', 'inherited')),
  idempotency_key text,
  source_comment_id uuid REFERENCES issue_comments(id) ON DELETE SET NULL,
  source_run_id uuid REFERENCES heartbeat_runs(id) ON DELETE SET NULL,
  title text,
  summary text,
  created_by_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  created_by_user_id text,
  addressee_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  addressee_user_id text,
  payload jsonb NOT NULL,
  result jsonb,
  resolved_by_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  resolved_by_run_id uuid REFERENCES heartbeat_runs(id) ON DELETE SET NULL,
  resolved_by_user_id text,
  resolved_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A repeated create with the same key on the same issue finds the first card instead of a duplicate.
CREATE UNIQUE INDEX issue_thread_interactions_idempotency_uq
  ON issue_thread_interactions (company_id, issue_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX issue_thread_interactions_issue_idx ON issue_thread_interactions (issue_id, created_at);
-- The lifecycle hooks (issue closed, comment, document revision) look only at pending cards.
CREATE INDEX issue_thread_interactions_pending_idx ON issue_thread_interactions (company_id, issue_id) WHERE status = 'pending';
