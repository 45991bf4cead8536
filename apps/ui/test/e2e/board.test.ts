import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpJson, startServerProcess, type ServerProcess } from "./server.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, "artifacts");
const UI_DIST = path.resolve(here, "../../dist/index.html");
/** Upper bound of any single wait in a scenario. */
const WAIT_MS = 20_000;

function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
}

let server: ServerProcess;
let browser: Browser;
let page: Page;
const state: { companyId?: string; agentId?: string; issuePath?: string } = {};

async function shot(name: string) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe("the board in a browser", () => {
  beforeAll(async () => {
    if (!fs.existsSync(UI_DIST)) throw new Error("apps/ui/dist is missing: run `npm run build` first");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServerProcess({});
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
  });

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it("serves the UI at / and client routes; /api stays JSON", async () => {
    const res = await fetch(server.url + "/some/client/route");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="root">');
    const api = await fetch(server.url + "/api/nope");
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ error: "API route not found" });
  });

  it("onboarding: a newcomer creates a company, hires a script agent and gives it an issue", async () => {
    await page.goto(server.url);
    await page.waitForURL(/\/onboarding$/);
    await page.getByRole("heading", { name: /Welcome/ }).waitFor();
    await page.getByLabel("Company name").fill("Acme Robotics");
    await page.getByLabel("Goal").fill("Build the best robot vacuum");
    await shot("01-onboarding-company");
    await page.getByRole("button", { name: "Create company" }).click();

    await page.getByLabel("Agent name").fill("Script Bot");
    await page.getByLabel("Command").fill("/bin/sh");
    await page.getByLabel("Arguments").fill(`-c "echo working on it; sleep 1"`);
    await page.getByRole("button", { name: "Check environment" }).click();
    await page.getByText("Environment looks good").waitFor();
    await shot("02-onboarding-agent");
    await page.getByRole("button", { name: "Hire agent" }).click();

    await page.getByLabel("Issue title").fill("Say hello");
    await shot("03-onboarding-issue");
    await page.getByRole("button", { name: "Create issue and start" }).click();
    await page.waitForURL(/\/c\/[0-9a-f-]+\/issues\/[A-Z]+-1$/);
    state.issuePath = new URL(page.url()).pathname;
    state.companyId = state.issuePath.split("/")[2];
    const agents = await httpJson(server.url, "GET", `/api/companies/${state.companyId}/agents`);
    expect(agents.body.map((a: { name: string }) => a.name)).toEqual(["Script Bot"]);
    state.agentId = agents.body[0].id;
  });

  it("the issue page shows the run finishing live, then its transcript", async () => {
    const runs = page.getByRole("list", { name: "Runs of this issue" });
    await runs.getByText("Succeeded").first().waitFor();
    await page.getByRole("log", { name: "Latest run transcript" }).getByText("working on it").waitFor();
    await shot("04-issue-run-finished");
  });

  it("posting a comment wakes the agent: a second run appears and finishes", async () => {
    // Settle first: no run of the company queued or running (so the wake cannot coalesce into one).
    await expect.poll(async () => (await httpJson(server.url, "GET", `/api/companies/${state.companyId}/live-runs`)).body.length, { timeout: WAIT_MS }).toBe(0);
    await page.getByLabel("Add a comment").fill("One more thing, please");
    await page.getByRole("button", { name: "Post comment" }).click();
    await page.getByRole("list", { name: "Comments" }).getByText("One more thing, please").waitFor();
    // The comment wakes the assignee: a run queued after the comment shows up on the page and finishes.
    const ref = state.issuePath!.split("/").pop()!;
    const comments = await httpJson(server.url, "GET", `/api/issues/${ref}/comments`);
    const postedAt = Date.parse(comments.body[0].createdAt);
    let wokenRunId: string | undefined;
    await expect
      .poll(
        async () => {
          const runs = await httpJson(server.url, "GET", `/api/issues/${ref}/runs`);
          wokenRunId = runs.body.find((r: { createdAt: string }) => Date.parse(r.createdAt) >= postedAt)?.runId;
          return wokenRunId;
        },
        { timeout: WAIT_MS },
      )
      .toBeTruthy();
    await page.locator(`li[data-run-id="${wokenRunId}"]`).getByText("Succeeded").waitFor();
    await shot("05-issue-after-comment");
  });

  it("the run page shows the transcript first, raw log, events and details", async () => {
    await page.getByRole("link", { name: "Open run" }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
    await page.getByRole("log", { name: "Transcript" }).getByText("working on it").waitFor();
    await page.getByText(/Raw log \(NDJSON/).click();
    await page.getByLabel("Raw log").getByText(/"stream":"stdout"/).first().waitFor();
    await page.getByRole("heading", { name: "Events" }).waitFor();
    await shot("06-run-page");
  });

  it("assigning a new issue to the agent starts a run that finishes live", async () => {
    await page.getByRole("link", { name: "New issue" }).first().click();
    await page.getByLabel("Title").fill("Write the changelog");
    await page.getByLabel("Assignee").selectOption({ label: "Script Bot" });
    await page.getByRole("button", { name: "Create issue" }).click();
    await page.waitForURL(/\/issues\/[A-Z]+-2$/);
    await page.getByRole("list", { name: "Runs of this issue" }).getByText(/Queued|Running|Succeeded/).first().waitFor();
    await page.getByRole("list", { name: "Runs of this issue" }).getByText("Succeeded").first().waitFor();
  });

  it("pausing an agent from its page, then resuming it", async () => {
    await page.goto(`${server.url}/c/${state.companyId}/agents/${state.agentId}`);
    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByRole("heading", { level: 1 }).getByText("Paused").waitFor();
    const agent = await httpJson(server.url, "GET", `/api/agents/${state.agentId}`);
    expect(agent.body.status).toBe("paused");
    await shot("07-agent-paused");
    await page.getByRole("button", { name: "Resume" }).click();
    await page.getByRole("button", { name: "Pause" }).waitFor();
    expect((await httpJson(server.url, "GET", `/api/agents/${state.agentId}`)).body.status).not.toBe("paused");
  });

  it("dashboard, org chart and activity render", async () => {
    await page.getByRole("link", { name: "Dashboard" }).click();
    await page.getByRole("heading", { name: "Recent runs" }).waitFor();
    await page.getByRole("heading", { name: "Spend this month" }).waitFor();
    await page.getByRole("heading", { name: "Work in progress" }).waitFor();
    await page.getByText("Loading…").first().waitFor({ state: "detached" }).catch(() => {});
    await shot("08-dashboard");
    await page.getByRole("link", { name: "Org chart" }).click();
    await page.getByRole("tree", { name: "Reporting tree" }).getByText("Script Bot").waitFor();
    await shot("09-org-chart");
    await page.getByRole("link", { name: "Activity" }).click();
    await page.getByRole("list", { name: /Activity/ }).getByText(/Comment added/).first().waitFor();
    await shot("10-activity");
  });

  it("issues: a list of 150 issues is paginated at 100 rows, and the board groups by status", async () => {
    const cid = state.companyId!;
    for (let i = 0; i < 150; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, k) => httpJson(server.url, "POST", `/api/companies/${cid}/issues`, { title: `Backlog item ${i + k + 1}`, status: i + k < 40 ? "backlog" : "todo" })),
      );
    }
    await page.goto(`${server.url}/c/${cid}/issues`);
    const rows = page.locator("table.issues-table tbody tr");
    await expect.poll(() => rows.count(), { timeout: WAIT_MS }).toBe(100);
    await page.getByText(/1–100 of 152/).waitFor();
    await shot("11-issues-list");
    await page.getByRole("link", { name: "Next →" }).click();
    await expect.poll(() => rows.count(), { timeout: WAIT_MS }).toBe(52);
    await page.getByRole("link", { name: "Board", exact: true }).click();
    await page.getByRole("heading", { name: /^Backlog/ }).waitFor();
    await page.getByRole("link", { name: "Show all 110" }).waitFor();
    await shot("12-issues-board");
    await page.getByLabel("Status", { exact: true }).selectOption("in_progress");
    await page.waitForURL(/status=in_progress/);
  });

  it("cancelling an issue from its page", async () => {
    await page.goto(server.url + state.issuePath!.replace(/-1$/, "-3"));
    await page.getByRole("button", { name: "Cancel issue" }).click();
    await page.locator(".meta-row .badge").getByText("Cancelled").waitFor();
  });
});
