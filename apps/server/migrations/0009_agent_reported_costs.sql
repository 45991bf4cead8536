-- Costs an agent reports about itself (POST /companies/:id/cost-events with an agent credential) are
-- marked, so budget enforcement counts them toward that agent's own budget only: one agent's
-- self-report must never hard-stop its whole company or a shared project (budgets/costs.ts).
-- `reported_run_id` is the run the agent reported from (its run JWT or X-Paperclip-Run-Id); it is
-- not `heartbeat_run_id`, which stays the run's own one ledger row written at finalization.
-- Existing rows keep counting everywhere, as they did.
ALTER TABLE cost_events ADD COLUMN agent_reported boolean NOT NULL DEFAULT false;
ALTER TABLE cost_events ADD COLUMN reported_run_id uuid;
