import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpJson, signIn, startServerProcess, type ServerProcess } from "./server.js";

/**
 * True numbers (S2, S3, S4): a run that reports its cost through a cost event shows the same tokens
 * and cost on its run page, its agent's page and the Costs page, and a running run's duration ticks
 * on the run page, the issue page and the dashboard.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, "artifacts");
const UI_DIST = path.resolve(here, "../../dist/index.html");
const WAIT_MS = 20_000;
const VIEWPORTS = { desktop: { width: 1280, height: 860 }, phone: { width: 390, height: 844 } } as const;

function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
}

let server: ServerProcess;
let browser: Browser;
let page: Page;
const seeded = { companyId: "", agentId: "", runId: "", issueRef: "" };
// The ledger row the run reports (through the API, as a cost event of that run).
const COST = {
  costCents: 22,
  inputTokens: 300_000,
  cachedInputTokens: 1_250,
  outputTokens: 38_611,
  model: "claude-sonnet",
  provider: "anthropic",
};
const fmt = (n: number) => n.toLocaleString("en-US");

async function api(method: string, pathname: string, body?: unknown) {
  const res = await httpJson(server.url, method, pathname, body);
  if (res.status >= 300) throw new Error(`${method} ${pathname}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function shots(name: string, check?: () => Promise<void>) {
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    await check?.();
    await page.screenshot({ path: path.join(ARTIFACTS, `numbers-${name}-${label}.png`), fullPage: true });
    if (label === "phone") {
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, `${name} scrolls sideways at 390 px`).toBeLessThanOrEqual(390);
    }
  }
  await page.setViewportSize(VIEWPORTS.desktop);
}

/** Two readings of a ticking duration 2.2 s apart differ (a frozen one would not). */
async function expectTicking(duration: Locator) {
  await duration.waitFor();
  const first = (await duration.textContent())?.trim();
  await page.waitForTimeout(2_200);
  const second = (await duration.textContent())?.trim();
  expect(first).toBeTruthy();
  expect(second).not.toBe(first);
}

describe("true numbers in the browser: one ledger, the same figures on every page", () => {
  beforeAll(async () => {
    if (!fs.existsSync(UI_DIST)) throw new Error("apps/ui/dist is missing: run `npm run build` first");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServerProcess({});
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: VIEWPORTS.desktop });
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
    await signIn(page, server);

    const company = await api("POST", "/api/companies", {
      name: "Numbers Inc",
      requireBoardApprovalForNewAgents: false,
      budgetMonthlyCents: 5_000,
    });
    seeded.companyId = company.id;
    const agent = await api("POST", `/api/companies/${company.id}/agents`, {
      name: "Counter",
      role: "engineer",
      adapterType: "process",
      adapterConfig: { command: "/bin/sh", args: ["-c", "echo counting; sleep 45"], timeoutSec: 120 },
      budgetMonthlyCents: 1_000,
    });
    seeded.agentId = agent.id;
    const issue = await api("POST", `/api/companies/${company.id}/issues`, { title: "Count the beans", assigneeAgentId: agent.id });
    seeded.issueRef = issue.identifier;
    // The assignment wakes the agent; wait for its run to be running.
    for (let i = 0; i < 100 && !seeded.runId; i++) {
      const runs = (await api("GET", `/api/companies/${company.id}/heartbeat-runs?agentId=${agent.id}`)) as {
        id: string;
        status: string;
      }[];
      seeded.runId = runs.find((r) => r.status === "running")?.id ?? "";
      if (!seeded.runId) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (!seeded.runId) throw new Error("the agent's run did not start");
    await api("POST", `/api/companies/${company.id}/cost-events`, { agentId: agent.id, heartbeatRunId: seeded.runId, ...COST });
  });

  afterAll(async () => {
    if (seeded.runId) await httpJson(server.url, "POST", `/api/heartbeat-runs/${seeded.runId}/cancel`).catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it("the run page shows the run's ledger usage, and its duration ticks while it runs", async () => {
    await page.goto(`${server.url}/c/${seeded.companyId}/runs/${seeded.runId}`);
    const usage = page.getByRole("region", { name: "Usage and cost" });
    await usage.getByTestId("run-cost").getByText("$0.22").waitFor();
    expect(await usage.getByTestId("run-input-tokens").textContent()).toBe(fmt(COST.inputTokens));
    expect(await usage.getByTestId("run-output-tokens").textContent()).toBe(fmt(COST.outputTokens));
    expect(await usage.getByText(/No usage reported/).count()).toBe(0);
    await expectTicking(page.getByRole("region", { name: "Details" }).locator("[data-ticking]"));
    await shots("run");
  });

  it("the agent page shows the same month's spend and tokens", async () => {
    await page.goto(`${server.url}/c/${seeded.companyId}/agents/${seeded.agentId}`);
    await page.getByTestId("agent-spend").getByText("$0.22").waitFor();
    expect(await page.getByTestId("agent-input-tokens").textContent()).toBe(fmt(COST.inputTokens));
    expect(await page.getByTestId("agent-output-tokens").textContent()).toBe(fmt(COST.outputTokens));
    expect(await page.getByTestId("agent-tokens").textContent()).toBe(fmt(COST.inputTokens + COST.cachedInputTokens + COST.outputTokens));
    expect(await page.getByRole("meter", { name: "Agent budget used" }).getAttribute("aria-valuenow")).toBe("2");
    // Configuration as labelled fields, not raw keys.
    const config = page.getByRole("region", { name: "Configuration" });
    await config.getByText("Local command").waitFor();
    await config.getByText("Working directory").or(config.getByText("Arguments")).first().waitFor();
    expect(await config.getByText("adapterConfig").count()).toBe(0);
    await shots("agent");
  });

  it("the Costs page shows the same figures: summary, by agent, by model, spend over time", async () => {
    await page.goto(`${server.url}/c/${seeded.companyId}/costs`);
    const summary = page.getByRole("region", { name: "Summary" });
    await summary.getByText("$0.22").first().waitFor();
    expect(await summary.getByTestId("summary-input-tokens").textContent()).toBe(fmt(COST.inputTokens));
    expect(await summary.getByTestId("summary-output-tokens").textContent()).toBe(fmt(COST.outputTokens));
    const agentRow = page.getByRole("table", { name: "Spend by agent" }).getByRole("row", { name: /Counter/ });
    await agentRow.getByText("$0.22").waitFor();
    await agentRow.getByText(fmt(COST.inputTokens)).waitFor();
    await agentRow.getByRole("meter", { name: "Counter: budget used" }).waitFor();
    const modelRow = page.getByRole("table", { name: "Spend by model" }).getByRole("row", { name: /claude-sonnet/ });
    await modelRow.getByText("$0.22").waitFor();
    const chart = page.getByRole("img", { name: /Spend per day/ });
    expect(await chart.getAttribute("aria-label")).toContain("$0.22 in total");
    await shots("costs");
    // Presets: today includes the event; a custom range before it does not.
    await page.getByLabel("Period").selectOption("today");
    await page.waitForURL(/period=today/);
    await summary.getByText("$0.22").first().waitFor();
    await page.getByLabel("Period").selectOption("custom");
    await page.getByLabel("From", { exact: true }).fill("2020-01-01");
    await page.getByLabel("To", { exact: true }).fill("2020-01-31");
    await page.waitForURL(/to=2020-01-31/);
    await summary.getByText("$0.00").first().waitFor();
    await page
      .getByRole("region", { name: "Spend over time" })
      .getByRole("img", { name: /no spend/ })
      .waitFor();
  });

  it("a running run's duration ticks on the issue page and the dashboard (S2)", async () => {
    await page.goto(`${server.url}/c/${seeded.companyId}/issues/${seeded.issueRef}`);
    await expectTicking(page.locator("[data-ticking]").first());
    await shots("issue");
    await page.goto(`${server.url}/c/${seeded.companyId}`);
    await expectTicking(page.getByRole("list", { name: "Live runs" }).locator("[data-ticking]").first());
    await expectTicking(page.getByRole("region", { name: "Recent runs" }).locator("[data-ticking]").first());
    const spend = page.getByRole("region", { name: "Spend this month" });
    await spend.getByText("$0.22").waitFor();
    await shots("dashboard");
  });
});
