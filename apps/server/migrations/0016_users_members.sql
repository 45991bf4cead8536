-- Users, company memberships and roles (the `authenticated` deployment mode).
--
-- A user signs in with email and password (scrypt hash, see auth/passwords.ts) and gets a row in
-- board_sessions; personal board API keys stay in board_api_keys. Both tables gain a foreign key to
-- users, so deleting a user removes every credential. The instance-level board user `local-board`
-- (the token file, local_trusted login links) is a users row without a password: it can never sign
-- in with one and reaches every company.

CREATE TABLE users (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  email text,
  -- lower(trim(email)): what sign-in and uniqueness compare.
  email_normalized text UNIQUE,
  name text,
  -- NULL: the user cannot sign in with a password (the local board).
  password_hash text,
  -- Reaches every company (the owner created through the setup URL, and the local board).
  is_instance_admin boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((email IS NULL) = (email_normalized IS NULL))
);

-- Every user id the credential tables already hold becomes a users row (in local_trusted that is
-- only 'local-board'), so the foreign keys below hold for existing data.
INSERT INTO users (id, is_instance_admin) VALUES ('local-board', true) ON CONFLICT DO NOTHING;
INSERT INTO users (id, is_instance_admin)
SELECT DISTINCT user_id, true FROM (
  SELECT user_id FROM board_api_keys UNION SELECT user_id FROM board_sessions UNION SELECT user_id FROM board_login_links
) ids
ON CONFLICT DO NOTHING;

ALTER TABLE board_api_keys ADD CONSTRAINT board_api_keys_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE;
ALTER TABLE board_sessions ADD CONSTRAINT board_sessions_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE;
ALTER TABLE board_login_links ADD CONSTRAINT board_login_links_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE;
CREATE INDEX board_api_keys_user_idx ON board_api_keys (user_id);
CREATE INDEX board_sessions_user_idx ON board_sessions (user_id);

-- One role per user and company. Removing a membership is a DELETE (the activity trail keeps the
-- history); the service revokes the user's sessions and keys in the same transaction.
CREATE TABLE company_memberships (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role text NOT NULL CONSTRAINT company_memberships_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (company_id, user_id)
);
CREATE INDEX company_memberships_user_idx ON company_memberships (user_id);

-- Invite links: only the token's sha256 is stored; single use (accepted_at set by a guarded update),
-- with an expiry, revocable.
CREATE TABLE company_invites (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  role text NOT NULL CONSTRAINT company_invites_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  -- true: accepting files a join request an admin approves; false: accepting joins at once.
  requires_approval boolean NOT NULL DEFAULT false,
  created_by_user_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by_user_id text,
  revoked_at timestamptz
);
CREATE INDEX company_invites_company_idx ON company_invites (company_id, created_at DESC);

CREATE TABLE company_join_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  invite_id uuid REFERENCES company_invites(id) ON DELETE SET NULL,
  role text NOT NULL CONSTRAINT company_join_requests_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  status text NOT NULL DEFAULT 'pending' CONSTRAINT company_join_requests_status_check CHECK (status IN ('pending', 'approved', 'rejected')),
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  decided_by_user_id text
);
CREATE UNIQUE INDEX company_join_requests_pending_idx ON company_join_requests (company_id, user_id) WHERE status = 'pending';

-- Sign-in attempts, for rate limiting by email and by client address (and the audit of failures).
CREATE TABLE sign_in_attempts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email_normalized text NOT NULL,
  ip text NOT NULL,
  succeeded boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_attempts_email_idx ON sign_in_attempts (email_normalized, created_at DESC);
CREATE INDEX sign_in_attempts_ip_idx ON sign_in_attempts (ip, created_at DESC);

-- The one-time setup code printed in the log on the first start in authenticated mode.
CREATE TABLE instance_setup_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);

-- CLI sign-in (device-code style): the CLI creates a challenge and already holds the board key it
-- will use; approving the challenge (a signed-in user, in the board) creates that key for the user.
CREATE TABLE cli_auth_challenges (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  secret_hash text NOT NULL,
  pending_key_hash text NOT NULL UNIQUE,
  command text NOT NULL,
  client_name text,
  status text NOT NULL DEFAULT 'pending' CONSTRAINT cli_auth_challenges_status_check CHECK (status IN ('pending', 'approved', 'cancelled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  approved_by_user_id text REFERENCES users(id) ON DELETE CASCADE,
  board_api_key_id uuid REFERENCES board_api_keys(id) ON DELETE SET NULL
);
