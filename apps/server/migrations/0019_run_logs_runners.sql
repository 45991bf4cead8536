-- Run logs in the database, and the schema of remote runners (docs/runs.md#run-logs-and-events,
-- docs/runners.md).
--
-- heartbeat_run_log_chunks: a run's NDJSON log as ordered pieces. `byte_offset` is the position of the
-- piece's first byte in the run's whole log (dropped pieces included), so offsets a reader holds stay
-- valid when older pieces are deleted for the per-run cap; `seq` numbers pieces in write order (a
-- remote writer resends a piece with the same seq and it is not stored twice). Writers insert many
-- pieces in one statement; retention deletes by `created_at` (a BRIN index: the table is append-only).

CREATE TABLE heartbeat_run_log_chunks (
  run_id uuid NOT NULL REFERENCES heartbeat_runs(id) ON DELETE CASCADE,
  company_id uuid NOT NULL,
  byte_offset bigint NOT NULL CONSTRAINT heartbeat_run_log_chunks_offset_check CHECK (byte_offset >= 0),
  seq integer NOT NULL,
  stream text NOT NULL CONSTRAINT heartbeat_run_log_chunks_stream_check CHECK (stream IN ('stdout', 'stderr', 'system')),
  content text NOT NULL,
  bytes integer NOT NULL CONSTRAINT heartbeat_run_log_chunks_bytes_check CHECK (bytes > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, byte_offset),
  CONSTRAINT heartbeat_run_log_chunks_seq_unique UNIQUE (run_id, seq)
);
CREATE INDEX heartbeat_run_log_chunks_created_at_brin ON heartbeat_run_log_chunks USING brin (created_at);

-- Runner tokens: created and revoked by the board; a token belongs to one company, or to the whole
-- instance when company_id is NULL. Only a SHA-256 of the token is stored.
CREATE TABLE runner_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid REFERENCES companies(id) ON DELETE CASCADE,
  name text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  token_prefix text NOT NULL,
  created_by_user_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

-- Runners: one row per registered runner process (a restart registers again). `labels` and
-- `adapter_types` are what it advertised; `last_seen_at` is its last heartbeat.
CREATE TABLE runners (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_id uuid NOT NULL REFERENCES runner_tokens(id) ON DELETE CASCADE,
  company_id uuid REFERENCES companies(id) ON DELETE CASCADE,
  name text NOT NULL,
  hostname text,
  labels text[] NOT NULL DEFAULT '{}',
  adapter_types text[] NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'online' CONSTRAINT runners_status_check CHECK (status IN ('online', 'draining', 'offline')),
  version text,
  registered_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX runners_token_idx ON runners (token_id);

-- The runner executing a run (NULL: a server executes it). Its lease_owner is `runner:<id>`.
ALTER TABLE heartbeat_runs ADD COLUMN runner_id uuid REFERENCES runners(id) ON DELETE SET NULL;
CREATE INDEX heartbeat_runs_runner_live_idx ON heartbeat_runs (runner_id) WHERE runner_id IS NOT NULL AND status = 'running';
