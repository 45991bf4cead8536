import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TEST_JWT_SECRET, useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany } from "./helpers/fixtures.js";
import { signAgentJwt } from "../src/auth/agent-jwt.js";

// D15 of the December probe: one self-reported cost event from one agent paused its whole company.
// The rule (budgets/costs.ts): an agent reports only its own cost, at most max($100, its monthly
// budget) per event, attributed to the run it reports from, and counted toward its own budget only.
const t = useTestApp();

async function setup(companyBudgetCents = 15_000) {
  const company = await createCompany(t.current);
  const reporter = await createAgent(t.current, company.id);
  const other = await createAgent(t.current, company.id);
  const policy = await t.current.post(`/api/companies/${company.id}/budgets/policies`, {
    scopeType: "company",
    scopeId: company.id,
    amount: companyBudgetCents,
  });
  expect(policy.status, JSON.stringify(policy.body)).toBe(201);
  const key = await createAgentKey(t.current, reporter.id);
  return { company, reporter, other, key };
}

async function liveRun(companyId: string, agentId: string): Promise<string> {
  const id = randomUUID();
  await t.current.tdb.db.query(
    "INSERT INTO heartbeat_runs (id, company_id, agent_id, status, started_at) VALUES ($1, $2, $3, 'running', now())",
    [id, companyId, agentId],
  );
  return id;
}

const report = (companyId: string, body: Record<string, unknown>, opts: { token?: string; runId?: string } = {}) =>
  t.current.post(`/api/companies/${companyId}/cost-events`, body, opts);

async function companyStatus(companyId: string) {
  return (await t.current.get(`/api/companies/${companyId}`)).body.status as string;
}

async function otherAgentCanWake(agentId: string) {
  const wake = await t.current.post(`/api/agents/${agentId}/wakeup`, { source: "on_demand" });
  return wake.status === 202 && wake.body.status !== "skipped";
}

describe("agent-reported cost events cannot halt the company (D15)", () => {
  it("the probe's reproduction: a 2,000,000,000-cent self-report is refused and the company keeps running", async () => {
    const { company, reporter, other, key } = await setup();
    const res = await report(company.id, { agentId: reporter.id, costCents: 2_000_000_000 }, { token: key.token });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: "cost_event_over_limit", details: { limitCents: 10_000 } });
    expect(await companyStatus(company.id)).toBe("active");
    expect(await otherAgentCanWake(other.id)).toBe(true);
  });

  it("self-reports within the cap past the company budget pause neither the company nor its other agents", async () => {
    const { company, reporter, other, key } = await setup(15_000);
    for (let i = 0; i < 3; i++) {
      expect((await report(company.id, { agentId: reporter.id, costCents: 10_000 }, { token: key.token })).status).toBe(201);
    }
    expect(await companyStatus(company.id)).toBe("active");
    expect(await otherAgentCanWake(other.id)).toBe(true);
    // The spend is still visible in the ledger.
    expect((await t.current.get(`/api/companies/${company.id}/costs/summary`)).body.spendCents).toBe(30_000);
  });

  it("a self-report still trips the reporting agent's own budget", async () => {
    const { company, reporter, other, key } = await setup();
    expect(
      (await t.current.post(`/api/companies/${company.id}/budgets/policies`, { scopeType: "agent", scopeId: reporter.id, amount: 500 }))
        .status,
    ).toBe(201);
    expect((await report(company.id, { agentId: reporter.id, costCents: 600 }, { token: key.token })).status).toBe(201);
    expect((await t.current.get(`/api/agents/${reporter.id}`)).body).toMatchObject({ status: "paused", pauseReason: "budget" });
    expect(await companyStatus(company.id)).toBe("active");
    expect(await otherAgentCanWake(other.id)).toBe(true);
  });

  it("the cap is the larger of $100 and the agent's own monthly budget", async () => {
    const { company, key, reporter } = await setup(1_000_000);
    expect((await report(company.id, { agentId: reporter.id, costCents: 10_001 }, { token: key.token })).status).toBe(422);
    expect((await report(company.id, { agentId: reporter.id, costUsd: 100.01 }, { token: key.token })).status).toBe(422);
    expect((await t.current.patch(`/api/agents/${reporter.id}`, { budgetMonthlyCents: 50_000 })).status).toBe(200);
    expect((await report(company.id, { agentId: reporter.id, costCents: 50_000 }, { token: key.token })).status).toBe(201);
    expect((await report(company.id, { agentId: reporter.id, costCents: 50_001 }, { token: key.token })).status).toBe(422);
  });

  it("the board can still record a large cost, and it stops the company", async () => {
    const { company, reporter, other } = await setup();
    const res = await report(company.id, { agentId: reporter.id, costCents: 2_000_000_000 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ agentReported: false, reportedRunId: null });
    expect(await companyStatus(company.id)).toBe("paused");
    expect(await otherAgentCanWake(other.id)).toBe(false);
  });

  it("an agent's event is attributed to the run it reports from (X-Paperclip-Run-Id or run JWT)", async () => {
    const { company, reporter, key } = await setup();
    const runId = await liveRun(company.id, reporter.id);
    const viaHeader = await report(company.id, { agentId: reporter.id, costCents: 25 }, { token: key.token, runId });
    expect(viaHeader.status, JSON.stringify(viaHeader.body)).toBe(201);
    expect(viaHeader.body).toMatchObject({ agentReported: true, reportedRunId: runId, heartbeatRunId: null, costCents: 25 });

    const jwtRun = await liveRun(company.id, reporter.id);
    const jwt = signAgentJwt({ agentId: reporter.id, companyId: company.id, adapterType: "process", runId: jwtRun }, TEST_JWT_SECRET, 60);
    const viaJwt = await report(company.id, { agentId: reporter.id, costCents: 30, heartbeatRunId: jwtRun }, { token: jwt });
    expect(viaJwt.status, JSON.stringify(viaJwt.body)).toBe(201);
    expect(viaJwt.body).toMatchObject({ agentReported: true, reportedRunId: jwtRun, heartbeatRunId: null });

    // A self-report never takes the run's own ledger row: the run's finalized cost still fits.
    await t.current.tdb.db.query("INSERT INTO cost_events (company_id, agent_id, heartbeat_run_id, cost_cents) VALUES ($1, $2, $3, 7)", [
      company.id,
      reporter.id,
      jwtRun,
    ]);

    // It may not name another run.
    const mismatch = await report(company.id, { agentId: reporter.id, costCents: 1, heartbeatRunId: runId }, { token: jwt });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.code).toBe("cost_event_run_mismatch");
  });
});
