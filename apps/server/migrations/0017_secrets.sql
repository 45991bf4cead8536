-- Company secrets, encrypted at rest (AES-256-GCM under a master key that never enters the database),
-- their value history, and which agents may read them. docs/secrets.md describes the model.

-- One row per secret. `key` is what agents and adapter configs name it by (unique per company);
-- `fingerprint` is the latest value's keyed HMAC (stable across master-key re-encryption), the only
-- thing the board ever sees of a value after creation.
CREATE TABLE company_secrets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  key text NOT NULL CONSTRAINT company_secrets_key_format_check CHECK (key ~ '^[A-Za-z0-9_.-]{1,120}$'),
  name text NOT NULL CONSTRAINT company_secrets_name_length_check CHECK (char_length(name) BETWEEN 1 AND 200),
  description text,
  latest_version integer NOT NULL DEFAULT 1 CONSTRAINT company_secrets_latest_version_check CHECK (latest_version >= 1),
  fingerprint text NOT NULL,
  created_by_user_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  rotated_at timestamptz,
  CONSTRAINT company_secrets_id_company_key UNIQUE (id, company_id)
);
CREATE UNIQUE INDEX company_secrets_company_key_key ON company_secrets (company_id, key);

-- Every value a secret has had (rotation adds a version). The ciphertext is bound to its secret id and
-- version through GCM's additional data, so rows cannot be swapped. `key_id` names the master key
-- that encrypted it (a hash of the key, never the key): master-key rotation re-encrypts rows whose
-- key_id is not the current key's.
CREATE TABLE company_secret_versions (
  secret_id uuid NOT NULL REFERENCES company_secrets(id) ON DELETE CASCADE,
  version integer NOT NULL CONSTRAINT company_secret_versions_version_check CHECK (version >= 1),
  ciphertext bytea NOT NULL,
  iv bytea NOT NULL CONSTRAINT company_secret_versions_iv_check CHECK (octet_length(iv) = 12),
  auth_tag bytea NOT NULL CONSTRAINT company_secret_versions_tag_check CHECK (octet_length(auth_tag) = 16),
  key_id text NOT NULL,
  fingerprint text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (secret_id, version)
);
CREATE INDEX company_secret_versions_key_id_idx ON company_secret_versions (key_id);

-- Per-agent grants: an agent reads (API) or receives (secret_ref in its config) only these. Same
-- company enforced by the composite key.
CREATE TABLE agent_secret_grants (
  secret_id uuid NOT NULL,
  agent_id uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  company_id uuid NOT NULL,
  granted_by_user_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (secret_id, agent_id),
  CONSTRAINT agent_secret_grants_secret_fkey FOREIGN KEY (secret_id, company_id) REFERENCES company_secrets (id, company_id) ON DELETE CASCADE
);
CREATE INDEX agent_secret_grants_agent_idx ON agent_secret_grants (agent_id);
