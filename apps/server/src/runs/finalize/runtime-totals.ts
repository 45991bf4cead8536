import { billedCents, normalizeBillingType } from "../outcome.js";
import { applySpend } from "../../budgets/spend.js";
import type { FinalizeStep } from "./pipeline.js";

/**
 * Runtime totals per agent (upserted: concurrent finishes never fail on the insert) and the cost
 * ledger (docs/budgets.md#the-cost-ledger): one cost event per run when it billed cents or used
 * tokens; spend counters of the agent and company move in the same transaction.
 */
export const runtimeTotalsStep: FinalizeStep = {
  name: "runtime_totals_and_cost",
  onlyIfTransitioned: true,
  async run(ctx) {
    const { q, run, agent, result, outcome } = ctx;
    const usage = result?.usage ?? null;
    const input = Math.max(0, Math.floor(usage?.inputTokens ?? 0));
    const output = Math.max(0, Math.floor(usage?.outputTokens ?? 0));
    const cached = Math.max(0, Math.floor(usage?.cachedInputTokens ?? 0));
    const billingType = normalizeBillingType(result?.billingType);
    const cents = billedCents(result?.costUsd, billingType);
    // Lock order: the agent row before its runtime state. A concurrent finalization that queues a
    // retry locks the agent row first (enqueue) and then reaches this upsert; taking the agent row
    // here too keeps every finalization in the order agents → agent_runtime_state, so two runs of one
    // agent finishing together wait for each other instead of deadlocking. One statement: the upsert
    // reads its one row from the locking CTE, so the agent row is locked before the insert (or its
    // conflict's row lock) happens.
    await q.query(
      `WITH locked AS (SELECT id FROM agents WHERE id = $1 FOR NO KEY UPDATE)
       INSERT INTO agent_runtime_state (agent_id, company_id, adapter_type, session_id, last_run_id, last_run_status, last_error,
         total_input_tokens, total_output_tokens, total_cached_input_tokens, total_cost_cents, total_runs)
       SELECT locked.id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1 FROM locked
       ON CONFLICT (agent_id) DO UPDATE SET adapter_type = EXCLUDED.adapter_type,
         session_id = coalesce(EXCLUDED.session_id, agent_runtime_state.session_id), last_run_id = EXCLUDED.last_run_id,
         last_run_status = EXCLUDED.last_run_status, last_error = EXCLUDED.last_error,
         total_input_tokens = agent_runtime_state.total_input_tokens + EXCLUDED.total_input_tokens,
         total_output_tokens = agent_runtime_state.total_output_tokens + EXCLUDED.total_output_tokens,
         total_cached_input_tokens = agent_runtime_state.total_cached_input_tokens + EXCLUDED.total_cached_input_tokens,
         total_cost_cents = agent_runtime_state.total_cost_cents + EXCLUDED.total_cost_cents,
         total_runs = agent_runtime_state.total_runs + 1, updated_at = now()`,
      [
        agent.id,
        agent.companyId,
        agent.adapterType,
        result?.sessionId ?? null,
        run.id,
        outcome.status,
        ctx.finalRun?.error ?? null,
        input,
        output,
        cached,
        cents,
      ],
    );
    if (cents <= 0 && input + output + cached <= 0) return;
    await q.query(
      `INSERT INTO cost_events (company_id, agent_id, issue_id, project_id, heartbeat_run_id, provider, biller, billing_type, model,
         input_tokens, cached_input_tokens, output_tokens, cost_cents)
       SELECT $1, $2, $3, i.project_id, $4, $5, $6, $7, $8, $9, $10, $11, $12
         FROM (SELECT 1) one LEFT JOIN issues i ON i.id = $3
       ON CONFLICT (heartbeat_run_id) WHERE heartbeat_run_id IS NOT NULL DO NOTHING`,
      [
        agent.companyId,
        agent.id,
        run.issueId,
        run.id,
        result?.provider ?? null,
        result?.biller ?? "unknown",
        billingType,
        result?.model ?? null,
        input,
        cached,
        output,
        cents,
      ],
    );
    if (cents > 0) {
      const [issue] = run.issueId
        ? await q.query<{ projectId: string | null }>("SELECT project_id FROM issues WHERE id = $1", [run.issueId])
        : [];
      const changed = await applySpend(q, { companyId: agent.companyId, agentId: agent.id, projectId: issue?.projectId ?? null, cents });
      for (const id of changed) ctx.pokes.add(id);
    }
  },
};
