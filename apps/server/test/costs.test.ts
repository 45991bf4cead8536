import { describe, expect, it } from "vitest";
import { useTestServer } from "./helpers/test-server.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

const t = useTestServer();

describe("costs: the ledger read by company, agent and project; manual cost events", () => {
  it("sums cost events per window, lists every agent and groups by project", async () => {
    const company = await createCompany(t.current, { budgetMonthlyCents: 1000 });
    const a = await createAgent(t.current, company.id, { name: "Alpha" });
    const b = await createAgent(t.current, company.id, { name: "Beta" });
    const project = await t.current.post(`/api/companies/${company.id}/projects`, { name: "Website" });
    expect(project.status).toBe(201);
    const issue = await createIssue(t.current, company.id, { projectId: project.body.id });

    const empty = await t.current.get(`/api/companies/${company.id}/costs/by-agent`);
    expect(empty.body.map((r: { agentName: string; costCents: number }) => [r.agentName, r.costCents]).sort()).toEqual([
      ["Alpha", 0],
      ["Beta", 0],
    ]);

    const c1 = await t.current.post(`/api/companies/${company.id}/cost-events`, {
      agentId: a.id,
      issueId: issue.id,
      costUsd: 1.234,
      billingType: "api",
      inputTokens: 100,
      outputTokens: 10,
    });
    expect(c1.status).toBe(201);
    expect(c1.body).toMatchObject({ costCents: 123, billingType: "metered_api", projectId: project.body.id });
    expect(
      (
        await t.current.post(`/api/companies/${company.id}/cost-events`, {
          agentId: b.id,
          costCents: 500,
          occurredAt: "2020-01-15T00:00:00Z",
        })
      ).status,
    ).toBe(201);
    expect(
      (await t.current.post(`/api/companies/${company.id}/cost-events`, { agentId: b.id, costUsd: 9, billingType: "subscription" })).body
        .costCents,
    ).toBe(0);

    const all = (await t.current.get(`/api/companies/${company.id}/costs/summary`)).body;
    expect(all).toMatchObject({
      companyId: company.id,
      spendCents: 623,
      budgetCents: 1000,
      utilizationPercent: 62.3,
      inputTokens: 100,
      outputTokens: 10,
    });
    const recent = (await t.current.get(`/api/companies/${company.id}/costs/summary?from=2026-01-01T00:00:00Z`)).body;
    expect(recent.spendCents).toBe(123);
    const byAgent = (await t.current.get(`/api/companies/${company.id}/costs/by-agent`)).body;
    expect(byAgent.map((r: { agentName: string; costCents: number }) => [r.agentName, r.costCents])).toEqual([
      ["Beta", 500],
      ["Alpha", 123],
    ]);
    const byProject = (await t.current.get(`/api/companies/${company.id}/costs/by-project`)).body;
    expect(byProject.map((r: { projectName: string | null; costCents: number }) => [r.projectName, r.costCents])).toEqual([
      [null, 500],
      ["Website", 123],
    ]);
    // Spend counters move with the ledger.
    expect((await t.current.get(`/api/agents/${a.id}`)).body.spentMonthlyCents).toBe(123);
  });

  it("agents report only their own costs; bad input is a 4xx naming the problem", async () => {
    const company = await createCompany(t.current);
    const a = await createAgent(t.current, company.id);
    const b = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, a.id);
    const own = await t.current.post(`/api/companies/${company.id}/cost-events`, { agentId: a.id, costCents: 5 }, { token: key.token });
    expect(own.status).toBe(201);
    expect(
      (await t.current.post(`/api/companies/${company.id}/cost-events`, { agentId: b.id, costCents: 5 }, { token: key.token })).status,
    ).toBe(403);
    expect((await t.current.get(`/api/companies/${company.id}/costs/summary`, { token: key.token })).status).toBe(403);

    const bad = await t.current.post(`/api/companies/${company.id}/cost-events`, { agentId: a.id, costCents: -1 });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("costCents");
    expect((await t.current.post(`/api/companies/${company.id}/cost-events`, { agentId: a.id, costCents: 1, costUsd: 1 })).status).toBe(
      400,
    );
    expect(
      (await t.current.post(`/api/companies/${company.id}/cost-events`, { agentId: "00000000-0000-4000-8000-000000000000", costCents: 1 }))
        .status,
    ).toBe(404);
    expect(
      (await t.current.get(`/api/companies/${company.id}/costs/summary?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`)).status,
    ).toBe(400);
    expect((await t.current.get(`/api/companies/${company.id}/costs/by-agent?from=yesterday`)).status).toBe(400);
  });

  it("a reported cost past an agent's hard limit pauses the agent, like a run's cost", async () => {
    const company = await createCompany(t.current);
    const a = await createAgent(t.current, company.id);
    expect(
      (await t.current.post(`/api/companies/${company.id}/budgets/policies`, { scopeType: "agent", scopeId: a.id, amount: 100 })).status,
    ).toBe(201);
    expect((await t.current.post(`/api/companies/${company.id}/cost-events`, { agentId: a.id, costCents: 150 })).status).toBe(201);
    const agent = (await t.current.get(`/api/agents/${a.id}`)).body;
    expect(agent.status).toBe("paused");
    const incidents = (await t.current.get(`/api/companies/${company.id}/budgets/incidents`)).body;
    expect(incidents.some((i: { thresholdType: string }) => i.thresholdType === "hard")).toBe(true);
    // The hard stop's budget_override_required approval shows on the dashboard as needing the board.
    expect((await t.current.get(`/api/companies/${company.id}/dashboard`)).body.pendingApprovals).toBe(1);
  });
});
