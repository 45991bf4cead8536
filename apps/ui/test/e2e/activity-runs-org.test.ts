import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpJson, signIn, startServerProcess, type ServerProcess } from "./server.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, "artifacts");
const UI_DIST = path.resolve(here, "../../dist/index.html");
/** Upper bound of any single wait in a scenario. */
const WAIT_MS = 20_000;
/** Runs seeded for paging: more than the smallest page (10). */
const SEEDED_RUNS = 12;

function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
}

let server: ServerProcess;
let browser: Browser;
let page: Page;
const seed = {
  companyId: "",
  base: "",
  ctoId: "",
  margaretId: "",
  busyIssue: { id: "", identifier: "" },
  doneIssue: { id: "", identifier: "" },
};

async function api<T = any>(method: string, pathname: string, body?: unknown): Promise<T> {
  const res = await httpJson<T>(server.url, method, pathname, body);
  expect(res.status, `${method} ${pathname}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

/** Polls `check` until it is true (bounded: `timeoutMs`); expect.poll is only allowed inside tests. */
async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 400));
  }
}

/** Screenshots at the desktop and the phone width; at 390 px the page must not scroll sideways. */
async function shots(name: string) {
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.screenshot({ path: path.join(ARTIFACTS, `aro-${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(150);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, `${name} at 390 px`).toBeLessThanOrEqual(390);
  await page.screenshot({ path: path.join(ARTIFACTS, `aro-${name}-390.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 860 });
}

describe("activity, runs, projects and the org chart in a browser", () => {
  beforeAll(async () => {
    if (!fs.existsSync(UI_DIST)) throw new Error("apps/ui/dist is missing: run `npm run build` first");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServerProcess({});
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
    await signIn(page, server);

    // Seeded through the API: a CTO with a long run on an issue, Margaret reporting to it with quick runs.
    const company = await api("POST", "/api/companies", { name: "Org Walk Co" });
    seed.companyId = company.id;
    seed.base = `/c/${company.id}`;
    const cto = await api("POST", `/api/companies/${company.id}/agents`, {
      name: "CTO",
      role: "cto",
      adapterType: "process",
      adapterConfig: { command: "/bin/sh", args: ["-c", "echo thinking; sleep 60"], timeoutSec: 120 },
    });
    seed.ctoId = cto.id;
    const margaret = await api("POST", `/api/companies/${company.id}/agents`, {
      name: "Margaret",
      role: "engineer",
      reportsTo: cto.id,
      adapterType: "process",
      adapterConfig: { command: "/bin/sh", args: ["-c", "echo done"], timeoutSec: 30 },
    });
    seed.margaretId = margaret.id;
    // Each assigned issue wakes Margaret once: quick runs, each on its issue.
    for (let i = 1; i <= SEEDED_RUNS; i++) {
      await api("POST", `/api/companies/${company.id}/issues`, { title: `Chore ${i}`, assigneeAgentId: margaret.id });
    }
    await waitUntil(
      `Margaret finished ${SEEDED_RUNS} runs`,
      async () => {
        const runs = await api<any[]>("GET", `/api/companies/${company.id}/heartbeat-runs?agentId=${margaret.id}&limit=100`);
        return runs.filter((r) => r.finishedAt).length >= SEEDED_RUNS;
      },
      90_000,
    );
    const busy = await api("POST", `/api/companies/${company.id}/issues`, { title: "Design the robot arm", assigneeAgentId: cto.id });
    seed.busyIssue = { id: busy.id, identifier: busy.identifier };
    await waitUntil(
      "the CTO runs its issue",
      async () =>
        (await api<any[]>("GET", `/api/companies/${company.id}/live-runs`)).some((r) => r.status === "running" && r.agentId === cto.id),
      30_000,
    );
    // The board comments on an issue and moves it to done.
    const first = (await api<any[]>("GET", `/api/companies/${company.id}/issues?q=Chore%201&limit=5`)).find((i) => i.title === "Chore 1");
    seed.doneIssue = { id: first.id, identifier: first.identifier };
    await api("POST", `/api/issues/${first.id}/comments`, { body: "Finished the first chore." });
    await api("PATCH", `/api/issues/${first.id}`, { status: "done" });
  }, 180_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it("activity: sentences, lease rows hidden, filter by agent in the URL, CSV download", async () => {
    await page.goto(`${server.url}${seed.base}/activity`);
    const feed = page.getByRole("list", { name: "Activity, newest first" });
    await expect
      .poll(async () => (await feed.textContent()) ?? "")
      .toMatch(new RegExp(`The board moved ${seed.doneIssue.identifier} from [A-Za-z ]+ to Done`));
    expect(await feed.textContent()).toContain(`The board commented on ${seed.doneIssue.identifier}`);
    expect(await feed.textContent()).not.toContain("took an environment lease");
    await shots("activity");

    await page.getByLabel("Who").selectOption({ label: "Margaret" });
    await page.waitForURL(new RegExp(`agent=${seed.margaretId}`));
    // Rows about Margaret: the board hiring her (her runs' lease and claim rows stay hidden).
    await expect.poll(async () => (await feed.textContent()) ?? "").toContain("The board hired Margaret");
    expect(await feed.textContent()).not.toContain("The board moved");

    // The box follows the URL, which the router updates in a transition: click, then wait for the
    // URL and the box (Playwright's check()/uncheck() read the box right after the click, and under
    // load the transition had not rendered yet: "Clicking the checkbox did not change its state").
    const noise = page.getByLabel("Show lease and claim rows");
    await noise.click();
    await page.waitForURL(/noise=1/);
    await expect.poll(() => noise.isChecked()).toBe(true);
    await expect.poll(async () => (await feed.textContent()) ?? "").toContain("Margaret took an environment lease");
    await noise.click();
    await page.waitForURL((u) => !u.search.includes("noise=1"));
    await expect.poll(() => noise.isChecked()).toBe(false);

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export CSV" }).click()]);
    const file = await download.path();
    const csv = fs.readFileSync(file!, "utf8");
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe("createdAt,actorType,actorId,actorName,action,entityType,entityId,identifier,agentId,runId,details");
    expect(csv).toContain(",Board,agent.created,agent,");
    expect(csv).not.toContain("environment.lease_acquired");
    expect(csv).not.toContain("issue.comment_added");
    expect(download.suggestedFilename()).toMatch(/^activity-.*\.csv$/);
  });

  it("runs: issue column, agent filter, next page", async () => {
    await page.goto(`${server.url}${seed.base}/runs?per=10`);
    const table = page.getByRole("table");
    await table
      .getByRole("link", { name: /Chore \d+/ })
      .first()
      .waitFor();
    await shots("runs");
    await page.getByLabel("Agent").selectOption({ label: "Margaret" });
    await page.waitForURL(new RegExp(`agent=${seed.margaretId}`));
    await expect.poll(async () => (await table.textContent()) ?? "").not.toContain("Design the robot arm");
    expect(await table.getByRole("row").count()).toBe(11); // header + 10
    // Runs are told apart by their ids (an issue can have several runs).
    const runIds = () => table.locator(".run-id").allTextContents();
    const firstPage = await runIds();
    expect(firstPage).toHaveLength(10);
    await page.getByRole("button", { name: "Next page" }).click();
    await page.waitForURL(/after=/);
    await expect.poll(async () => (await runIds()).join("|")).not.toBe(firstPage.join("|"));
    const secondPage = await runIds();
    expect(secondPage.length).toBeGreaterThanOrEqual(SEEDED_RUNS - 10);
    for (const id of secondPage) expect(firstPage).not.toContain(id);
    expect(await table.getByRole("link", { name: /Chore \d+/ }).count()).toBe(secondPage.length);

    await page.getByLabel("Issue").fill(seed.busyIssue.identifier);
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(new RegExp(`issue=${seed.busyIssue.identifier}`));
    await page.getByText("No runs match these filters.").waitFor();
  });

  it("projects and goals: create a project in the form, see its issues and progress", async () => {
    const goal = await api("POST", `/api/companies/${seed.companyId}/goals`, { title: "Ship the arm", ownerAgentId: seed.ctoId });
    await page.goto(`${server.url}${seed.base}/projects`);
    await page.getByRole("button", { name: "New project" }).click();
    const form = page.getByRole("form", { name: "New project" });
    await form.getByRole("button", { name: "Create project" }).click();
    await form.locator(".field-error").first().waitFor();
    await form.getByLabel("Name").fill("Robot arm");
    await form.getByLabel("Lead").selectOption({ label: "CTO" });
    await form.getByLabel("Goal").selectOption({ label: "Ship the arm" });
    await form.getByRole("button", { name: "Create project" }).click();
    await page.getByRole("heading", { level: 1, name: "Robot arm" }).waitFor();
    const projectId = page.url().split("/projects/")[1]!;
    await api("POST", `/api/companies/${seed.companyId}/issues`, { title: "Arm joints", projectId, goalId: goal.id, status: "done" });
    await api("POST", `/api/companies/${seed.companyId}/issues`, { title: "Arm sensors", projectId, goalId: goal.id });
    await page.reload();
    await page.getByRole("link", { name: /Arm sensors/ }).waitFor();
    await page.getByText("1 of 2 done").waitFor();
    await shots("project");
    await page.goto(`${server.url}${seed.base}/projects`);
    await page
      .getByRole("row", { name: /Robot arm/ })
      .getByText("1 of 2 done")
      .waitFor();
    await shots("projects");
    await page.goto(`${server.url}${seed.base}/goals`);
    await page
      .getByRole("row", { name: /Ship the arm/ })
      .getByText("1 of 2 done")
      .waitFor();
    await shots("goals");
  });

  it("org chart: the tree with status dots and each agent's current issue", async () => {
    await page.goto(`${server.url}${seed.base}/org`);
    const tree = page.getByRole("tree", { name: "Reporting tree" });
    const cto = tree.getByRole("treeitem").filter({ hasText: "CTO" }).first();
    await cto.getByRole("link", { name: new RegExp(`${seed.busyIssue.identifier} Design the robot arm`) }).waitFor();
    await cto.getByRole("group", { name: "Reports of CTO" }).getByRole("link", { name: "Margaret" }).waitFor();
    await cto.getByRole("img", { name: "Running" }).first().waitFor();
    await shots("org");
  });
});
