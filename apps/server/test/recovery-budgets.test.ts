import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createFakeAdapter } from "@staple/adapter-kit";
import { processAdapter } from "@staple/adapter-process";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { reconcileStrandedAssignedIssues } from "../src/runs/recovery/stranded.js";
import { getInvocationBlock } from "../src/budgets/invocation-block.js";

// docs/budgets.md: budget policies, the invocation block at wakeup and claim, hard stops that pause the
// scope and cancel its work, and the reconciliation pass skipping blocked work.
const costly = createFakeAdapter(async () => ({
  exitCode: 0,
  signal: null,
  timedOut: false,
  costUsd: 0.5,
  billingType: "api",
  usage: { inputTokens: 10, outputTokens: 5 },
}));
const t = useTestServer({
  runtime: { adapters: { process: processAdapter, claude_local: costly }, recovery: { strandedReconciliation: false } },
});

const spend = (companyId: string, agentId: string, cents: number) =>
  t.current.tdb.db.query("INSERT INTO cost_events (company_id, agent_id, cost_cents, billing_type) VALUES ($1, $2, $3, 'metered_api')", [
    companyId,
    agentId,
    cents,
  ]);

describe("budget policies", () => {
  it("are board-managed and scoped to the company's own agents and projects", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const foreign = await createAgent(t.current, other.id);
    const res = await t.current.post(`/api/companies/${company.id}/budgets/policies`, {
      scopeType: "agent",
      scopeId: agent.id,
      amount: 1000,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      scopeType: "agent",
      scopeId: agent.id,
      amount: 1000,
      warnPercent: 80,
      hardStopEnabled: true,
      windowKind: "calendar_month_utc",
    });
    expect(
      (await t.current.post(`/api/companies/${company.id}/budgets/policies`, { scopeType: "agent", scopeId: foreign.id, amount: 1 }))
        .status,
    ).toBe(404);
    expect(
      (await t.current.post(`/api/companies/${company.id}/budgets/policies`, { scopeType: "agent", scopeId: agent.id, amount: -1 })).status,
    ).toBe(400);
    const key = await t.current.post(`/api/agents/${agent.id}/keys`, { name: "k" });
    expect(
      (
        await t.current.post(
          `/api/companies/${company.id}/budgets/policies`,
          { scopeType: "company", amount: 5 },
          { token: key.body.token },
        )
      ).status,
    ).toBe(403);
    expect((await t.current.get(`/api/companies/${company.id}/budgets/policies`)).body).toHaveLength(1);
  });

  it("a hard stop pauses the agent, opens incidents and an approval, and blocks the next wake with 409", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterType: "claude_local", adapterConfig: {} });
    await t.current.post(`/api/companies/${company.id}/budgets/policies`, { scopeType: "agent", scopeId: agent.id, amount: 40 });
    const wake = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", payload: { taskKey: "spend" } });
    expect(wake.status).toBe(202);
    await waitFor("agent paused by budget", async () => (await t.current.get(`/api/agents/${agent.id}`)).body.pauseReason === "budget");
    const incidents = (await t.current.get(`/api/companies/${company.id}/budgets/incidents`)).body;
    expect(incidents.map((i: { thresholdType: string }) => i.thresholdType).sort()).toEqual(["hard", "soft"]);
    const [approval] = await t.current.tdb.db.query<{ type: string; status: string }>(
      "SELECT type, status FROM approvals WHERE company_id = $1",
      [company.id],
    );
    expect(approval).toEqual({ type: "budget_override_required", status: "pending" });

    const blocked = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", payload: { taskKey: "again" } });
    expect(blocked.status).toBe(409);
    expect(blocked.body.code).toBe("budget_blocked");
    const [skip] = await t.current.tdb.db.query<{ status: string; reason: string }>(
      "SELECT status, reason FROM agent_wakeup_requests WHERE agent_id = $1 ORDER BY created_at DESC LIMIT 1",
      [agent.id],
    );
    expect(skip).toEqual({ status: "skipped", reason: "budget.blocked" });
  });

  it("a company over its hard stop blocks wakes of all its agents; the block names the scope", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    await t.current.post(`/api/companies/${company.id}/budgets/policies`, { scopeType: "company", amount: 100, windowKind: "lifetime" });
    expect(await getInvocationBlock(t.current.tdb.db, { companyId: company.id, agentId: agent.id })).toBeNull();
    await spend(company.id, agent.id, 100);
    const block = await getInvocationBlock(t.current.tdb.db, { companyId: company.id, agentId: agent.id });
    expect(block).toMatchObject({ scopeType: "company", scopeId: company.id });
    expect((await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand" })).status).toBe(409);
  });

  it("a queued run whose budget ran out meanwhile is cancelled at claim", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    await t.current.post(`/api/companies/${company.id}/budgets/policies`, { scopeType: "agent", scopeId: agent.id, amount: 10 });
    const runId = randomUUID();
    await t.current.tdb.db.query(
      "INSERT INTO heartbeat_runs (id, company_id, agent_id, status, task_key, context_snapshot) VALUES ($1, $2, $3, 'queued', 'k', '{}'::jsonb)",
      [runId, company.id, agent.id],
    );
    await spend(company.id, agent.id, 10);
    t.current.services.engine.poke(agent.id);
    const run = await waitFor("cancelled at claim", async () => {
      const r = (await t.current.get(`/api/heartbeat-runs/${runId}`)).body;
      return r.status === "cancelled" ? r : null;
    });
    expect(run.errorCode).toBe("budget_blocked");
  });

  it("the reconciliation pass skips budget-blocked issues and continues the sweep", async () => {
    const company = await createCompany(t.current);
    const blocked = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "sleep 5"] } });
    const free = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "sleep 5"] } });
    await t.current.post(`/api/companies/${company.id}/budgets/policies`, { scopeType: "agent", scopeId: blocked.id, amount: 1 });
    await spend(company.id, blocked.id, 1);
    const a = await createIssue(t.current, company.id, { status: "backlog" });
    const b = await createIssue(t.current, company.id, { status: "backlog" });
    await t.current.tdb.db.query("UPDATE issues SET status = 'todo', assignee_agent_id = $2 WHERE id = $1", [a.id, blocked.id]);
    await t.current.tdb.db.query("UPDATE issues SET status = 'todo', assignee_agent_id = $2 WHERE id = $1", [b.id, free.id]);
    const result = await reconcileStrandedAssignedIssues(t.current.tdb.db, t.current.services.engine.enqueuer, { companyId: company.id });
    expect(result.assignmentDispatched).toBe(1);
    expect(result.issueIds).toEqual([b.id]);
    expect(result.skipped).toBeGreaterThanOrEqual(1);
    for (const run of await t.current.tdb.db.query<{ id: string }>("SELECT id FROM heartbeat_runs WHERE issue_id = $1", [b.id])) {
      await t.current.post(`/api/heartbeat-runs/${run.id}/cancel`);
    }
  });
});
