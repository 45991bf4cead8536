-- Approvals as a board workflow: comments on an approval, approvals linked to issues, and the
-- lookups the approval routes and hire decisions make. The approvals table itself is in 0005.

CREATE TABLE approval_comments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  approval_id uuid NOT NULL REFERENCES approvals(id) ON DELETE CASCADE,
  author_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  author_user_id text,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX approval_comments_approval_idx ON approval_comments (approval_id, created_at);

CREATE TABLE issue_approvals (
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  issue_id uuid NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
  approval_id uuid NOT NULL REFERENCES approvals(id) ON DELETE CASCADE,
  linked_by_agent_id uuid,
  linked_by_user_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issue_id, approval_id)
);
CREATE INDEX issue_approvals_approval_idx ON issue_approvals (approval_id, created_at);

-- Lists are per company, newest first; an agent's own requests are found by requester.
CREATE INDEX approvals_requested_by_agent_idx ON approvals (requested_by_agent_id) WHERE requested_by_agent_id IS NOT NULL;
CREATE INDEX approvals_created_idx ON approvals (company_id, created_at);
