-- Routines: recurring work. A routine fires through its triggers (a cron schedule, a signed public
-- webhook, or the API); every fire is one routine_runs row, and a dispatched fire creates one
-- execution issue (issues.origin_kind = 'routine_execution', origin_id = routine, origin_run_id = fire).
--
-- Exactly once: a schedule tick is claimed by advancing routine_triggers.next_run_at with an UPDATE
-- guarded by its old value (under FOR UPDATE SKIP LOCKED), in the same transaction that inserts the
-- tick's routine_runs row; the unique (trigger_id, scheduled_for) index refuses a second row for one
-- tick whatever happens. A fire leaves `received` exactly once, under the run row's lock.

CREATE TABLE routines (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  project_id uuid REFERENCES projects(id) ON DELETE SET NULL,
  goal_id uuid REFERENCES goals(id) ON DELETE SET NULL,
  parent_issue_id uuid REFERENCES issues(id) ON DELETE SET NULL,
  title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
  description text,
  assignee_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  priority text NOT NULL DEFAULT 'medium' CONSTRAINT routines_priority_check
    CHECK (priority IN ('critical', 'high', 'medium', 'low')),
  status text NOT NULL DEFAULT 'active' CONSTRAINT routines_status_check
    CHECK (status IN ('active', 'paused', 'archived')),
  concurrency_policy text NOT NULL DEFAULT 'coalesce_if_active' CONSTRAINT routines_concurrency_policy_check
    CHECK (concurrency_policy IN ('coalesce_if_active', 'skip_if_active', 'always_enqueue')),
  catch_up_policy text NOT NULL DEFAULT 'skip_missed' CONSTRAINT routines_catch_up_policy_check
    CHECK (catch_up_policy IN ('skip_missed', 'enqueue_missed_with_cap')),
  created_by_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  created_by_user_id text,
  updated_by_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  updated_by_user_id text,
  last_triggered_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routines_company_idx ON routines (company_id, created_at);

CREATE TABLE routine_triggers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  routine_id uuid NOT NULL REFERENCES routines(id) ON DELETE CASCADE,
  kind text NOT NULL CONSTRAINT routine_triggers_kind_check CHECK (kind IN ('schedule', 'webhook', 'api')),
  label text CHECK (label IS NULL OR char_length(label) <= 120),
  enabled boolean NOT NULL DEFAULT true,
  cron_expression text,
  timezone text,
  -- The next tick to fire; NULL while the trigger or its routine cannot fire (disabled, paused, archived).
  next_run_at timestamptz,
  last_fired_at timestamptz,
  public_id text UNIQUE,
  -- The webhook signing secret, AES-256-GCM under a key derived from the server secret (HMAC
  -- verification needs the secret itself, so a one-way hash cannot serve).
  secret_ciphertext text,
  signing_mode text CONSTRAINT routine_triggers_signing_mode_check CHECK (signing_mode IN ('hmac_sha256', 'bearer')),
  replay_window_sec integer CHECK (replay_window_sec IS NULL OR replay_window_sec BETWEEN 30 AND 86400),
  last_rotated_at timestamptz,
  created_by_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  created_by_user_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'schedule' OR (cron_expression IS NOT NULL AND timezone IS NOT NULL)),
  CHECK (kind <> 'webhook' OR (public_id IS NOT NULL AND secret_ciphertext IS NOT NULL AND signing_mode IS NOT NULL))
);
CREATE INDEX routine_triggers_routine_idx ON routine_triggers (routine_id, created_at);
-- The schedule pass's one query: due schedule triggers in next-fire order.
CREATE INDEX routine_triggers_due_idx ON routine_triggers (next_run_at)
  WHERE kind = 'schedule' AND enabled AND next_run_at IS NOT NULL;

CREATE TABLE routine_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  routine_id uuid NOT NULL REFERENCES routines(id) ON DELETE CASCADE,
  trigger_id uuid REFERENCES routine_triggers(id) ON DELETE SET NULL,
  source text NOT NULL CONSTRAINT routine_runs_source_check CHECK (source IN ('schedule', 'manual', 'api', 'webhook')),
  status text NOT NULL DEFAULT 'received' CONSTRAINT routine_runs_status_check
    CHECK (status IN ('received', 'issue_created', 'coalesced', 'skipped', 'failed')),
  scheduled_for timestamptz,
  triggered_at timestamptz NOT NULL DEFAULT now(),
  idempotency_key text,
  trigger_payload jsonb,
  linked_issue_id uuid REFERENCES issues(id) ON DELETE SET NULL,
  coalesced_into_run_id uuid REFERENCES routine_runs(id) ON DELETE SET NULL,
  failure_reason text,
  completed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (source <> 'schedule' OR scheduled_for IS NOT NULL)
);
-- One fire per schedule tick, whichever server claims it.
CREATE UNIQUE INDEX routine_runs_tick_once_idx ON routine_runs (trigger_id, scheduled_for) WHERE scheduled_for IS NOT NULL;
CREATE UNIQUE INDEX routine_runs_idempotency_idx ON routine_runs (routine_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX routine_runs_routine_idx ON routine_runs (routine_id, created_at DESC);
-- Fires claimed but not dispatched yet (a server died between the two steps): the pass retries them.
CREATE INDEX routine_runs_received_idx ON routine_runs (created_at) WHERE status = 'received';
-- Coalesce/skip look up a routine's open execution issue.
CREATE INDEX issues_routine_origin_idx ON issues (origin_id, created_at DESC) WHERE origin_kind = 'routine_execution';
