-- Issue attachments (files stored in Postgres) and company labels on issues.

-- One row per uploaded file. The bytes live in issue_attachment_chunks, so every server on a shared
-- Postgres can serve any attachment, and a download streams chunk by chunk instead of loading the
-- whole file. Rows are immutable once written: there is no update path, only delete.
CREATE TABLE issue_attachments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  issue_id uuid NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
  issue_comment_id uuid REFERENCES issue_comments(id) ON DELETE SET NULL,
  content_type text NOT NULL,
  byte_size bigint NOT NULL CONSTRAINT issue_attachments_byte_size_check CHECK (byte_size > 0),
  sha256 text NOT NULL,
  original_filename text,
  created_by_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  created_by_user_id text,
  -- The heartbeat run an agent uploaded from (X-Paperclip-Run-Id or its run JWT); kept as history.
  created_by_run_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX issue_attachments_issue_idx ON issue_attachments (issue_id, created_at DESC, id DESC);

-- The content of an attachment in order (seq 0, 1, …). Chunks are written in the same transaction
-- as their attachment row, so a visible attachment always has all of its bytes.
CREATE TABLE issue_attachment_chunks (
  attachment_id uuid NOT NULL REFERENCES issue_attachments(id) ON DELETE CASCADE,
  seq integer NOT NULL CONSTRAINT issue_attachment_chunks_seq_check CHECK (seq >= 0),
  data bytea NOT NULL,
  PRIMARY KEY (attachment_id, seq)
);

-- Company labels. Names are unique per company regardless of case.
CREATE TABLE labels (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  name text NOT NULL CONSTRAINT labels_name_length_check CHECK (char_length(name) BETWEEN 1 AND 48),
  color text NOT NULL CONSTRAINT labels_color_format_check CHECK (color ~ '^#[0-9a-fA-F]{6}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT labels_id_company_key UNIQUE (id, company_id)
);
CREATE UNIQUE INDEX labels_company_name_key ON labels (company_id, lower(name));

-- Which labels an issue carries. The (label_id, company_id) foreign key makes a label of another
-- company impossible to attach; deleting a label removes it from every issue (cascade).
CREATE TABLE issue_labels (
  issue_id uuid NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
  label_id uuid NOT NULL,
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issue_id, label_id),
  CONSTRAINT issue_labels_label_fkey FOREIGN KEY (label_id, company_id) REFERENCES labels (id, company_id) ON DELETE CASCADE
);
CREATE INDEX issue_labels_label_idx ON issue_labels (label_id);
