import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany } from "./helpers/fixtures.js";
import { insertRun } from "./helpers/interaction-fixtures.js";

const t = useTestApp();

type Row = Record<string, number | string | null>;
const sum = (rows: Row[], key: string) => rows.reduce((s, r) => s + Number(r[key] ?? 0), 0);

/** Posts ledger rows as the board and returns them as the ledger stored them. */
async function seed(companyId: string, events: Record<string, unknown>[]) {
  const rows: Row[] = [];
  for (const e of events) {
    const res = await t.current.post(`/api/companies/${companyId}/cost-events`, e);
    expect(res.status).toBe(201);
    rows.push(res.body);
  }
  return rows;
}

describe("cost aggregates read from the ledger: by agent with budgets, by agent and model, by day, per run", () => {
  it("every aggregate equals the sum of its ledger rows, inside the window and the company only", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const a = await createAgent(t.current, company.id, { name: "Ada", budgetMonthlyCents: 1000 });
    const b = await createAgent(t.current, company.id, { name: "Bob" });
    const stranger = await createAgent(t.current, other.id, { name: "Stranger" });
    const runA = await insertRun(t.current, company.id, a.id);
    const rows = await seed(company.id, [
      {
        agentId: a.id,
        heartbeatRunId: runA,
        model: "sonnet",
        provider: "anthropic",
        costCents: 22,
        inputTokens: 300_000,
        outputTokens: 38_611,
        cachedInputTokens: 5,
        occurredAt: "2026-11-02T10:00:00Z",
      },
      {
        agentId: a.id,
        model: "sonnet",
        provider: "anthropic",
        costCents: 100,
        inputTokens: 10,
        outputTokens: 1,
        occurredAt: "2026-11-02T23:59:59Z",
      },
      {
        agentId: a.id,
        model: "haiku",
        provider: "anthropic",
        costCents: 3,
        inputTokens: 7,
        outputTokens: 2,
        occurredAt: "2026-11-03T00:00:00Z",
      },
      {
        agentId: b.id,
        model: "gpt",
        provider: "openai",
        costCents: 50,
        inputTokens: 40,
        outputTokens: 4,
        occurredAt: "2026-11-05T12:00:00Z",
      },
      // Outside the window below.
      {
        agentId: b.id,
        model: "gpt",
        provider: "openai",
        costCents: 7000,
        inputTokens: 9,
        outputTokens: 9,
        occurredAt: "2026-10-01T00:00:00Z",
      },
    ]);
    // Another company's spend never shows.
    await seed(other.id, [{ agentId: stranger.id, model: "sonnet", costCents: 999, inputTokens: 999, occurredAt: "2026-11-02T10:00:00Z" }]);
    const inWindow = rows.filter((r) => String(r.occurredAt) >= "2026-11-01");
    const w = "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";

    // By agent: the ledger's sums, with the agent's budget and its utilisation.
    const byAgent = (await t.current.get(`/api/companies/${company.id}/costs/by-agent?${w}`)).body as Row[];
    const ada = byAgent.find((r) => r.agentId === a.id)!;
    const adaRows = inWindow.filter((r) => r.agentId === a.id);
    expect(ada).toMatchObject({
      costCents: sum(adaRows, "costCents"),
      inputTokens: sum(adaRows, "inputTokens"),
      outputTokens: sum(adaRows, "outputTokens"),
      budgetMonthlyCents: 1000,
      utilizationPercent: 12.5,
    });
    expect(byAgent.find((r) => r.agentId === b.id)).toMatchObject({ costCents: 50, budgetMonthlyCents: 0, utilizationPercent: 0 });
    expect(byAgent.map((r) => r.agentId).sort()).toEqual([a.id, b.id].sort());

    // By agent and model: one row per (agent, provider, model), summing to the window's total.
    const byModel = (await t.current.get(`/api/companies/${company.id}/costs/by-agent-model?${w}`)).body as Row[];
    expect(byModel.map((r) => [r.agentName, r.model, r.costCents])).toEqual([
      ["Ada", "sonnet", 122],
      ["Bob", "gpt", 50],
      ["Ada", "haiku", 3],
    ]);
    expect(sum(byModel, "inputTokens")).toBe(sum(inWindow, "inputTokens"));
    const summary = (await t.current.get(`/api/companies/${company.id}/costs/summary?${w}`)).body;
    expect(sum(byModel, "costCents")).toBe(summary.spendCents);

    // By day: UTC days, oldest first; the window excludes October.
    const byDay = (await t.current.get(`/api/companies/${company.id}/costs/by-day?${w}`)).body as Row[];
    expect(byDay.map((r) => [r.date, r.costCents])).toEqual([
      ["2026-11-02", 122],
      ["2026-11-03", 3],
      ["2026-11-05", 50],
    ]);
    const allDays = (await t.current.get(`/api/companies/${company.id}/costs/by-day`)).body as Row[];
    expect(sum(allDays, "costCents")).toBe(sum(rows, "costCents"));
    expect(allDays[0]!.date).toBe("2026-10-01");

    // Per run: the run's own ledger row.
    const run = await t.current.get(`/api/heartbeat-runs/${runA}/cost-summary`);
    expect(run.status).toBe(200);
    expect(run.body).toEqual({
      runId: runA,
      agentId: a.id,
      costCents: 22,
      inputTokens: 300_000,
      cachedInputTokens: 5,
      outputTokens: 38_611,
      eventCount: 1,
      models: ["sonnet"],
    });
  });

  it("a run's totals add what its agent reported from it; a run without costs is zeros; scoping and bad input", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const a = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, a.id);
    const runId = await insertRun(t.current, company.id, a.id);
    const quiet = await insertRun(t.current, company.id, a.id);
    const own = await t.current.post(
      `/api/companies/${company.id}/cost-events`,
      { agentId: a.id, costCents: 15, inputTokens: 100, outputTokens: 20, model: "m1" },
      { token: key.token, runId },
    );
    expect(own.status).toBe(201);
    expect(own.body.reportedRunId).toBe(runId);
    await seed(company.id, [{ agentId: a.id, heartbeatRunId: runId, costCents: 7, inputTokens: 1, outputTokens: 2, model: "m2" }]);

    const totals = (await t.current.get(`/api/heartbeat-runs/${runId}/cost-summary`)).body;
    expect(totals).toMatchObject({ costCents: 22, inputTokens: 101, outputTokens: 22, eventCount: 2, models: ["m1", "m2"] });
    // The agent reads its own run's totals too.
    expect((await t.current.get(`/api/heartbeat-runs/${runId}/cost-summary`, { token: key.token })).body.costCents).toBe(22);
    // One run, counted once across its own row and the self-report.
    expect((await t.current.get(`/api/companies/${company.id}/costs/summary`)).body.runCount).toBe(1);

    // The dashboard's month spend is the ledger's for this UTC month: a backdated event moves the
    // company's running counter but not this month's figure.
    await seed(company.id, [{ agentId: a.id, costCents: 500, occurredAt: "2020-01-15T00:00:00Z" }]);
    const dashboard = (await t.current.get(`/api/companies/${company.id}/dashboard`)).body;
    expect(dashboard.costs.monthSpendCents).toBe(22);
    expect((await t.current.get(`/api/companies/${company.id}`)).body.spentMonthlyCents).toBe(522);

    expect((await t.current.get(`/api/heartbeat-runs/${quiet}/cost-summary`)).body).toMatchObject({
      costCents: 0,
      inputTokens: 0,
      eventCount: 0,
      models: [],
    });

    // Another company's agent sees neither the run nor the company's aggregates.
    const outsider = await createAgent(t.current, other.id);
    const outsiderKey = await createAgentKey(t.current, outsider.id);
    expect((await t.current.get(`/api/heartbeat-runs/${runId}/cost-summary`, { token: outsiderKey.token })).status).toBe(404);
    expect((await t.current.get(`/api/companies/${company.id}/costs/by-day`, { token: outsiderKey.token })).status).toBe(403);
    expect((await t.current.get(`/api/companies/${company.id}/costs/by-agent-model`, { anonymous: true })).status).toBe(401);

    const unknown = await t.current.get("/api/heartbeat-runs/00000000-0000-4000-8000-000000000000/cost-summary");
    expect(unknown.status).toBe(404);
    expect((await t.current.get("/api/heartbeat-runs/not-a-uuid/cost-summary")).status).toBe(400);
    const backwards = await t.current.get(`/api/companies/${company.id}/costs/by-day?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z`);
    expect(backwards.status).toBe(400);
    expect(backwards.body.error).toMatch(/from.*before.*to/);
    expect((await t.current.get(`/api/companies/${company.id}/costs/by-agent-model?from=yesterday`)).status).toBe(400);
  });
});
