-- The board inbox's per-person state. The items themselves are computed from the data on every
-- read (failed runs, blocked issues, approvals, interactions, mentions), so nothing here can go
-- stale: a row only says when this person last read or archived the item with this key. An item is
-- unread while it changed after read_at, and hidden while archived_at is not older than its last
-- change, so a new failure after an archive shows the item again without rewriting anything.
CREATE TABLE inbox_item_states (
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  user_id text NOT NULL,
  item_key text NOT NULL CONSTRAINT inbox_item_states_item_key_length_check CHECK (char_length(item_key) BETWEEN 3 AND 200),
  item_kind text NOT NULL
    CONSTRAINT inbox_item_states_item_kind_check CHECK (item_kind IN ('run_failed', 'issue_blocked', 'approval', 'interaction', 'mention')),
  read_at timestamptz,
  archived_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (company_id, user_id, item_key)
);
