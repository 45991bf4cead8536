-- Costs an agent reports about itself (POST /companies/:id/cost-events with an agent credential) are
-- marked, so budget enforcement can count them toward that agent's own budget only: one agent's
-- self-report must never hard-stop its whole company or a shared project (budgets/costs.ts).
-- Existing rows keep counting everywhere, as they did.
ALTER TABLE cost_events ADD COLUMN agent_reported boolean NOT NULL DEFAULT false;
