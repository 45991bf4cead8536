// @vitest-environment jsdom
import { act, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeApi, renderBoard, type FakeRoutes } from "./helpers/board.js";
import { LiveDuration } from "../src/components/live-duration.js";
import { RelativeTime } from "../src/components/relative-time.js";
import { byModel, costRange, dailySeries, periodKey } from "../src/lib/costs.js";
import { describeAdapterConfig } from "../src/lib/config-labels.js";
import { keysToInvalidate } from "../src/lib/live-invalidation.js";
import { queryKeys as k } from "../src/lib/query-keys.js";

/**
 * One seeded ledger, answered by a fake API that sums it the way the server does; the agent page,
 * the run page and the Costs page must all show its figures. The agent's counters and runtime
 * totals (the old sources) are deliberately zero.
 */
const now = new Date();
const today = now.toISOString();
const company = { id: "co1", name: "Acme", status: "active", description: null, budgetMonthlyCents: 10_000, spentMonthlyCents: 0 };
const agent = {
  id: "ag1",
  companyId: "co1",
  name: "Ada",
  role: "engineer",
  title: null,
  status: "idle",
  reportsTo: null,
  adapterType: "claude_local",
  adapterConfig: {
    command: "claude",
    cwd: "/srv/work",
    model: "sonnet",
    maxTurns: 12,
    timeoutSec: 600,
    extraArgs: ["--verbose", "--add-dir", "/tmp/a b"],
    env: { ANTHROPIC_API_KEY: { type: "secret", masked: true, fingerprint: "hmac-sha256:abc" }, LOG_LEVEL: "debug" },
  },
  budgetMonthlyCents: 1000,
  spentMonthlyCents: 0,
  lastHeartbeatAt: today,
  errorReason: null,
  pauseReason: null,
  pausedAt: null,
};
const run = {
  id: "11111111-1111-4111-8111-111111111111",
  companyId: "co1",
  agentId: "ag1",
  status: "succeeded",
  invocationSource: "on_demand",
  triggerDetail: "manual",
  createdAt: today,
  startedAt: today,
  finishedAt: today,
  exitCode: 0,
  signal: null,
  error: null,
  errorCode: null,
  usageJson: null,
  resultJson: null,
  retryOfRunId: null,
};
type Ledger = {
  agentId: string;
  runId: string | null;
  model: string | null;
  provider: string | null;
  costCents: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  occurredAt: string;
};
const ledger: Ledger[] = [
  {
    agentId: "ag1",
    runId: run.id,
    model: "sonnet",
    provider: "anthropic",
    costCents: 22,
    inputTokens: 300_000,
    cachedInputTokens: 0,
    outputTokens: 38_611,
    occurredAt: today,
  },
  {
    agentId: "ag1",
    runId: null,
    model: "haiku",
    provider: "anthropic",
    costCents: 8,
    inputTokens: 1_000,
    cachedInputTokens: 50,
    outputTokens: 10,
    occurredAt: today,
  },
];
const totals = (rows: Ledger[]) => ({
  costCents: rows.reduce((s, r) => s + r.costCents, 0),
  inputTokens: rows.reduce((s, r) => s + r.inputTokens, 0),
  cachedInputTokens: rows.reduce((s, r) => s + r.cachedInputTokens, 0),
  outputTokens: rows.reduce((s, r) => s + r.outputTokens, 0),
  runCount: new Set(rows.map((r) => r.runId).filter(Boolean)).size,
});
const inWindow = (url: URL) =>
  ledger.filter((r) => {
    const from = url.searchParams.get("from");
    const to = url.searchParams.get("to");
    return (!from || r.occurredAt >= from) && (!to || r.occurredAt < to);
  });

function routes(): FakeRoutes {
  return {
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: [agent] },
    "GET /api/companies/co1/approvals": { body: [] },
    "GET /api/agents/ag1": { body: agent },
    "GET /api/agents/ag1/runtime-state": {
      body: { agentId: "ag1", totalRuns: 1, totalInputTokens: 0, totalOutputTokens: 0, totalCostCents: 0 },
    },
    "GET /api/agents/ag1/keys": { body: [] },
    "GET /api/companies/co1/heartbeat-runs": { body: [run] },
    "GET /api/companies/co1/issues": { body: [] },
    "GET /api/heartbeat-runs/11111111-1111-4111-8111-111111111111": { body: run },
    "GET /api/heartbeat-runs/11111111-1111-4111-8111-111111111111/events": { body: [] },
    "GET /api/heartbeat-runs/11111111-1111-4111-8111-111111111111/issues": { body: [] },
    "GET /api/heartbeat-runs/11111111-1111-4111-8111-111111111111/log": { body: { content: "", nextOffset: 0, done: true } },
    "GET /api/heartbeat-runs/11111111-1111-4111-8111-111111111111/cost-summary": () => {
      const rows = ledger.filter((r) => r.runId === run.id);
      const t = totals(rows);
      return { body: { runId: run.id, agentId: "ag1", ...t, runCount: undefined, eventCount: rows.length, models: ["sonnet"] } };
    },
    "GET /api/companies/co1/costs/summary": (url) => {
      const t = totals(inWindow(url));
      return { body: { companyId: "co1", spendCents: t.costCents, budgetCents: 10_000, utilizationPercent: t.costCents / 100, ...t } };
    },
    "GET /api/companies/co1/costs/by-agent": (url) => {
      const t = totals(inWindow(url).filter((r) => r.agentId === "ag1"));
      return {
        body: [
          { agentId: "ag1", agentName: "Ada", agentStatus: "idle", ...t, budgetMonthlyCents: 1000, utilizationPercent: t.costCents / 10 },
        ],
      };
    },
    "GET /api/companies/co1/costs/by-project": (url) => ({ body: [{ projectId: null, projectName: null, ...totals(inWindow(url)) }] }),
    "GET /api/companies/co1/costs/by-agent-model": (url) => ({
      body: ["sonnet", "haiku"].map((model) => ({
        agentId: "ag1",
        agentName: "Ada",
        provider: "anthropic",
        biller: "anthropic",
        model,
        ...totals(inWindow(url).filter((r) => r.model === model)),
      })),
    }),
    "GET /api/companies/co1/costs/by-day": (url) => ({ body: [{ date: today.slice(0, 10), ...totals(inWindow(url)) }] }),
  };
}

const all = totals(ledger);
const fmt = (n: number) => n.toLocaleString("en-US");

describe("true numbers: the agent, run and Costs pages show the ledger's figures", () => {
  it("the Costs page: summary, by agent with its budget bar, by model, spend over time", async () => {
    renderBoard("/c/co1/costs", fakeApi(routes()));
    const summary = await screen.findByRole("region", { name: "Summary" });
    await within(summary).findByText("$0.30");
    expect(within(summary).getByTestId("summary-input-tokens").textContent).toBe(fmt(all.inputTokens));
    expect(within(summary).getByTestId("summary-output-tokens").textContent).toBe(fmt(all.outputTokens));
    const byAgent = screen.getByRole("table", { name: "Spend by agent" });
    const row = within(byAgent).getByRole("row", { name: /Ada/ });
    expect(within(row).getByText("$0.30")).toBeTruthy();
    expect(within(row).getByText(fmt(all.inputTokens))).toBeTruthy();
    expect(within(row).getByRole("meter", { name: "Ada: budget used" }).getAttribute("aria-valuenow")).toBe("3");
    expect(within(row).getByText("3% of $10.00")).toBeTruthy();
    const models = screen.getByRole("table", { name: "Spend by model" });
    const modelRows = within(models).getAllByRole("row").slice(1);
    expect(modelRows.map((r) => r.textContent?.split("anthropic")[0])).toEqual(["sonnet", "haiku"]);
    expect(within(modelRows[0]!).getByText("$0.22")).toBeTruthy();
    expect(within(modelRows[1]!).getByText("$0.08")).toBeTruthy();
    const chart = screen.getByRole("img", { name: /Spend per day/ });
    expect(chart.getAttribute("aria-label")).toContain("$0.30 in total");
    expect(within(screen.getByRole("table", { name: "Spend per day" })).getByText("$0.30")).toBeTruthy();
  });

  it("the agent page shows the same month's spend and tokens (not its counters or runtime totals, both zero here)", async () => {
    renderBoard("/c/co1/agents/ag1", fakeApi(routes()));
    const spend = await screen.findByTestId("agent-spend");
    await vi.waitFor(() => expect(spend.textContent).toBe("$0.30"));
    expect(screen.getByTestId("agent-input-tokens").textContent).toBe(fmt(all.inputTokens));
    expect(screen.getByTestId("agent-output-tokens").textContent).toBe(fmt(all.outputTokens));
    expect(screen.getByTestId("agent-tokens").textContent).toBe(fmt(all.inputTokens + all.cachedInputTokens + all.outputTokens));
    expect(screen.getByRole("meter", { name: "Agent budget used" }).getAttribute("aria-valuenow")).toBe("3");
  });

  it("the run page shows the ledger's usage of a run whose adapter reported none (S4)", async () => {
    renderBoard(`/c/co1/runs/${run.id}`, fakeApi(routes()));
    const cost = await screen.findByTestId("run-cost");
    expect(cost.textContent).toBe("$0.22");
    expect(screen.getByTestId("run-input-tokens").textContent).toBe(fmt(300_000));
    expect(screen.getByTestId("run-output-tokens").textContent).toBe(fmt(38_611));
    expect(screen.queryByText(/No usage reported/)).toBeNull();
  });

  it("the agent's configuration is labelled fields; secret values never show (S15)", async () => {
    renderBoard("/c/co1/agents/ag1", fakeApi(routes()));
    const list = await screen.findByLabelText("Configuration", { selector: "dl" });
    const text = list.textContent ?? "";
    for (const label of [
      "Adapter",
      "Claude Code (local)",
      "Command",
      "Working directory",
      "Model",
      "Max turns",
      "Timeout",
      "600 s",
      "Extra arguments",
    ])
      expect(text).toContain(label);
    expect(text).toContain('--verbose --add-dir "/tmp/a b"');
    expect(text).toContain("Environment: LOG_LEVEL");
    expect(text).toContain("Secret (set)");
    expect(text).not.toMatch(/[{}]/);
    expect(text).not.toContain("cwd");
    expect(text).not.toContain("timeoutSec");
  });
});

describe("live durations and heartbeats (S2, S10)", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] }));
  afterEach(() => vi.useRealTimers());

  it("a running run's duration ticks; a finished one stays put", () => {
    const start = new Date(Date.now() - 5_000).toISOString();
    render(<LiveDuration startedAt={start} finishedAt={null} />);
    const first = screen.getByText(/s$/).textContent;
    act(() => vi.advanceTimersByTime(3_000));
    const second = screen.getByText(/s$/).textContent;
    expect(first).toBe("5.0 s");
    expect(second).toBe("8.0 s");
  });

  it("“Last heartbeat” ages while the page stays open", () => {
    render(<RelativeTime iso={new Date().toISOString()} />);
    expect(screen.getByText("just now")).toBeTruthy();
    act(() => vi.advanceTimersByTime(30_000));
    expect(screen.getByText("30s ago")).toBeTruthy();
  });

  it("a run status event refreshes the agent list (last heartbeat) and that run's ledger totals; cost activity every run's", () => {
    const ids = (keys: readonly unknown[]) => keys.map((key) => JSON.stringify(key));
    const status = ids(
      keysToInvalidate({ type: "heartbeat.run.status", companyId: "co1", payload: { runId: "r1", agentId: "ag1", status: "succeeded" } }),
    );
    expect(status).toContain(JSON.stringify(k.agents("co1")));
    expect(status).toContain(JSON.stringify(k.runCost("r1")));
    const cost = ids(
      keysToInvalidate({ type: "activity.logged", companyId: "co1", payload: { action: "cost.reported", entityType: "cost_event" } }),
    );
    expect(cost).toContain(JSON.stringify(k.anyRunCost()));
  });
});

describe("cost helpers", () => {
  const at = new Date("2026-03-15T10:20:30.000Z");
  it("period presets and custom ranges in UTC", () => {
    expect(costRange("today", at)).toEqual({ from: "2026-03-15T00:00:00.000Z", to: at.toISOString() });
    expect(costRange("7d", at)).toEqual({ from: "2026-03-08T10:20:30.000Z", to: at.toISOString() });
    expect(costRange("custom", at, { from: "2026-03-01", to: "2026-03-02" })).toEqual({
      from: "2026-03-01T00:00:00.000Z",
      to: "2026-03-03T00:00:00.000Z",
    });
    expect(costRange("custom", at, { from: "garbage" })).toEqual({});
    expect(periodKey("custom", { from: "2026-03-01", to: null })).toBe("custom:2026-03-01..");
  });
  it("the by-model rollup sums agents' rows; the daily series fills days without spend", () => {
    const row = (agentId: string, model: string | null, costCents: number) => ({
      agentId,
      agentName: agentId,
      provider: "p",
      biller: "p",
      model,
      costCents,
      inputTokens: 1,
      cachedInputTokens: 0,
      outputTokens: 2,
      runCount: 1,
    });
    expect(
      byModel([row("a", "m1", 5), row("b", "m1", 7), row("a", "m2", 20)]).map((r) => [r.model, r.costCents, r.runCount, r.agents]),
    ).toEqual([
      ["m2", 20, 1, 1],
      ["m1", 12, 2, 2],
    ]);
    const day = (date: string, costCents: number) => ({ date, costCents, inputTokens: 1, cachedInputTokens: 0, outputTokens: 0 });
    const series = dailySeries([day("2026-03-02", 5), day("2026-03-04", 9)], {
      from: "2026-03-01T00:00:00.000Z",
      to: "2026-03-05T00:00:00.000Z",
    });
    expect(series.map((p) => [p.date, p.costCents])).toEqual([
      ["2026-03-01", 0],
      ["2026-03-02", 5],
      ["2026-03-03", 0],
      ["2026-03-04", 9],
    ]);
    expect(dailySeries([], {})).toEqual([]);
  });
  it("config labels: env one field each, unknown keys humanised, secrets hidden", () => {
    const fields = describeAdapterConfig({ someFlag: true, env: { A: { type: "secret_ref", secretId: "s1" } }, command: "x" });
    expect(fields.map((f) => [f.label, f.value])).toEqual([
      ["Command", "x"],
      ["Environment: A", "From a company secret"],
      ["Some flag", "Yes"],
    ]);
  });
});
