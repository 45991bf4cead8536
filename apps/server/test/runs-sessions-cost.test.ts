import { describe, expect, it } from "vitest";
import type { AdapterResult } from "@staple/adapter-kit";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { useRunExecutionServer } from "./helpers/run-execution-kit.js";

/** Sessions, usage and cost through the scripted `claude_local` fake: metered and subscription billing, session resume and clear. */

const { t, fake, fakeBehaviour, wake, waitRunDone } = useRunExecutionServer();

describe("sessions, usage and cost", () => {
  const metered: AdapterResult = {
    exitCode: 0,
    signal: null,
    timedOut: false,
    usage: { inputTokens: 100, outputTokens: 50, cachedInputTokens: 10 },
    costUsd: 0.1234,
    billingType: "api",
    provider: "anthropic",
    model: "m",
    sessionId: "s-1",
  };
  const callsOf = (agentId: string) => fake.calls.filter((c) => c.agent.id === agentId);

  it("records usage, books a metered cost event, updates totals and resumes the task session", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterType: "claude_local", adapterConfig: {} });
    fakeBehaviour.set(agent.id, () => metered);

    const first = await waitRunDone((await wake(agent.id, { payload: { taskKey: "task-a" } })).id);
    expect(first.status, JSON.stringify(first)).toBe("succeeded");
    expect(first.usageJson).toMatchObject({
      inputTokens: 100,
      outputTokens: 50,
      cachedInputTokens: 10,
      costUsd: 0.1234,
      billingType: "api",
      provider: "anthropic",
      model: "m",
    });
    expect(first.sessionIdBefore).toBeNull();
    expect(first.sessionIdAfter).toBe("s-1");
    expect(callsOf(agent.id)[0]!.runtime).toMatchObject({ sessionId: null, taskKey: "task-a" });

    const costs = await t.current.tdb.db.query<Record<string, unknown>>(
      "SELECT agent_id, heartbeat_run_id, cost_cents, billing_type, provider, model, input_tokens, output_tokens, cached_input_tokens FROM cost_events WHERE agent_id = $1",
      [agent.id],
    );
    expect(costs).toEqual([
      {
        agentId: agent.id,
        heartbeatRunId: first.id,
        costCents: 12,
        billingType: "metered_api",
        provider: "anthropic",
        model: "m",
        inputTokens: 100,
        outputTokens: 50,
        cachedInputTokens: 10,
      },
    ]);
    const state = await t.current.get(`/api/agents/${agent.id}/runtime-state`);
    expect(state.body).toMatchObject({
      totalRuns: 1,
      totalInputTokens: 100,
      totalOutputTokens: 50,
      totalCachedInputTokens: 10,
      totalCostCents: 12,
      lastRunStatus: "succeeded",
    });
    const [spend] = await t.current.tdb.db.query<{ agent: number; company: number }>(
      "SELECT a.spent_monthly_cents AS agent, c.spent_monthly_cents AS company FROM agents a JOIN companies c ON c.id = a.company_id WHERE a.id = $1",
      [agent.id],
    );
    expect(spend).toEqual({ agent: 12, company: 12 });

    const sessions = await t.current.tdb.db.query<{
      taskKey: string;
      sessionParamsJson: unknown;
      sessionDisplayId: string;
      lastRunId: string;
    }>("SELECT task_key, session_params_json, session_display_id, last_run_id FROM agent_task_sessions WHERE agent_id = $1", [agent.id]);
    expect(sessions).toEqual([
      { taskKey: "task-a", sessionParamsJson: { sessionId: "s-1" }, sessionDisplayId: "s-1", lastRunId: first.id },
    ]);
    const viaApi = await t.current.get(`/api/agents/${agent.id}/task-sessions`);
    expect(viaApi.status).toBe(200);
    expect(viaApi.body).toEqual([expect.objectContaining({ taskKey: "task-a", adapterType: "claude_local", sessionDisplayId: "s-1" })]);

    // The next wake of the same task resumes the saved session; another task starts fresh.
    const second = await waitRunDone((await wake(agent.id, { payload: { taskKey: "task-a" } })).id);
    expect(second.status).toBe("succeeded");
    expect(second.sessionIdBefore).toBe("s-1");
    expect(callsOf(agent.id)[1]!.runtime).toMatchObject({ sessionId: "s-1", sessionParams: { sessionId: "s-1" }, taskKey: "task-a" });

    fakeBehaviour.set(agent.id, () => ({ exitCode: 0, signal: null, timedOut: false }));
    const other = await waitRunDone((await wake(agent.id, { payload: { taskKey: "task-b" } })).id);
    expect(other.status).toBe("succeeded");
    expect(callsOf(agent.id)[2]!.runtime).toMatchObject({ sessionId: null, taskKey: "task-b" });

    const totals = await t.current.get(`/api/agents/${agent.id}/runtime-state`);
    expect(totals.body).toMatchObject({
      totalRuns: 3,
      totalInputTokens: 200,
      totalOutputTokens: 100,
      totalCachedInputTokens: 20,
      totalCostCents: 24,
    });
    // A run without usage or cost books nothing.
    const costRows = await t.current.tdb.db.query("SELECT id FROM cost_events WHERE agent_id = $1", [agent.id]);
    expect(costRows).toHaveLength(2);
  });

  it("clearSession removes the saved task session", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterType: "claude_local", adapterConfig: {} });
    fakeBehaviour.set(agent.id, () => metered);
    await waitRunDone((await wake(agent.id, { payload: { taskKey: "task-c" } })).id);
    const saved = await t.current.tdb.db.query("SELECT id FROM agent_task_sessions WHERE agent_id = $1 AND task_key = 'task-c'", [
      agent.id,
    ]);
    expect(saved).toHaveLength(1);

    fakeBehaviour.set(agent.id, () => ({ exitCode: 0, signal: null, timedOut: false, clearSession: true }));
    const cleared = await waitRunDone((await wake(agent.id, { payload: { taskKey: "task-c" } })).id);
    expect(cleared.status).toBe("succeeded");
    expect(cleared.sessionIdBefore).toBe("s-1");
    const after = await t.current.tdb.db.query("SELECT id FROM agent_task_sessions WHERE agent_id = $1", [agent.id]);
    expect(after).toEqual([]);

    // And the next run starts without a session.
    fakeBehaviour.set(agent.id, () => ({ exitCode: 0, signal: null, timedOut: false }));
    const fresh = await waitRunDone((await wake(agent.id, { payload: { taskKey: "task-c" } })).id);
    expect(fresh.sessionIdBefore).toBeNull();
    expect(callsOf(agent.id).at(-1)!.runtime.sessionId).toBeNull();
  });

  it("billingType subscription books 0 cents (tokens still recorded)", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterType: "claude_local", adapterConfig: {} });
    fakeBehaviour.set(agent.id, () => ({ ...metered, billingType: "subscription" }));
    const run = await waitRunDone((await wake(agent.id)).id);
    expect(run.status).toBe("succeeded");
    expect(run.usageJson).toMatchObject({ billingType: "subscription", costUsd: 0.1234 });
    const costs = await t.current.tdb.db.query<{ costCents: number; billingType: string; inputTokens: number }>(
      "SELECT cost_cents, billing_type, input_tokens FROM cost_events WHERE heartbeat_run_id = $1",
      [run.id],
    );
    expect(costs).toEqual([{ costCents: 0, billingType: "subscription_included", inputTokens: 100 }]);
    const state = await t.current.get(`/api/agents/${agent.id}/runtime-state`);
    expect(state.body).toMatchObject({ totalCostCents: 0, totalInputTokens: 100 });
    const [spend] = await t.current.tdb.db.query<{ spent: number }>("SELECT spent_monthly_cents AS spent FROM agents WHERE id = $1", [
      agent.id,
    ]);
    expect(spend!.spent).toBe(0);
  });
});
