-- Board credentials: Staple is closed by default. A request is the board only when it carries a
-- board credential: a board API key (the CLI's token file under STAPLE_HOME is one) or a board
-- session cookie (set when a person opens a one-time login link). Only hashes are stored.
-- `user_id` is the board user; in local mode it is always 'local-board'. The authenticated mode
-- (members, roles) adds users and memberships and reuses these tables.

CREATE TABLE board_api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id text NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  key_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);

CREATE TABLE board_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  last_seen_at timestamptz,
  revoked_at timestamptz,
  user_agent text
);

-- One-time links that turn into a session cookie. Single use: `used_at` is set by a guarded update.
CREATE TABLE board_login_links (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id text NOT NULL,
  code_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
