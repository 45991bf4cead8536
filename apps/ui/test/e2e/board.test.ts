import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkUrlFilter, httpJson, signIn, startServerProcess, type ServerProcess } from "./server.js";

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
const state: {
  companyId?: string;
  agentId?: string;
  issuePath?: string;
  sleeperId?: string;
  lockedIssue?: { id: string; identifier: string };
  lockRunId?: string;
} = {};

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
    // Closed by default: the page signs in with a one-time login link, as a person does.
    await signIn(page, server);
  });

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it("serves the UI at / and client routes; /api stays JSON", async () => {
    const res = await fetch(`${server.url}/some/client/route`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="root">');
    const api = await fetch(`${server.url}/api/nope`);
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
    // Runs are cards in the issue's conversation; the latest one is open with its transcript.
    await page.locator("li[data-run-id]").getByText("Succeeded").first().waitFor();
    await page
      .getByRole("log", { name: /^Transcript of run / })
      .getByText("working on it")
      .first()
      .waitFor();
    await shot("04-issue-run-finished");
  });

  it("posting a comment wakes the agent: a second run appears and finishes", async () => {
    // Settle first: no run of the company queued or running (so the wake cannot coalesce into one).
    await expect
      .poll(async () => (await httpJson(server.url, "GET", `/api/companies/${state.companyId}/live-runs`)).body.length, {
        timeout: WAIT_MS,
      })
      .toBe(0);
    await page.getByLabel("Add a comment").fill("One more thing, please");
    await page.getByRole("button", { name: "Post comment" }).click();
    await page.getByRole("list", { name: "Conversation" }).getByText("One more thing, please").waitFor();
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
    // The latest run is the last card of the conversation.
    await page.getByRole("link", { name: "Open run" }).last().click();
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
    await page.getByRole("log", { name: "Transcript" }).getByText("working on it").waitFor();
    await page.getByText(/Raw log \(NDJSON/).click();
    await page
      .getByLabel("Raw log")
      .getByText(/"stream":"stdout"/)
      .first()
      .waitFor();
    await page.getByRole("heading", { name: "Events" }).waitFor();
    await shot("06-run-page");
  });

  it("assigning a new issue to the agent starts a run that finishes live", async () => {
    await page.getByRole("link", { name: "New issue" }).first().click();
    await page.getByLabel("Title").fill("Write the changelog");
    await page.getByLabel("Assignee").selectOption({ label: "Script Bot" });
    await page.getByRole("button", { name: "Create issue" }).click();
    await page.waitForURL(/\/issues\/[A-Z]+-2$/);
    const runCards = page.getByRole("list", { name: "Conversation" }).locator("li[data-run-id]");
    await runCards
      .getByText(/Queued|Running|Succeeded/)
      .first()
      .waitFor();
    await runCards.getByText("Succeeded").first().waitFor();
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
    await page
      .getByText("Loading…")
      .first()
      .waitFor({ state: "detached" })
      .catch(() => {});
    await shot("08-dashboard");
    await page.getByRole("link", { name: "Org chart" }).click();
    await page.getByRole("tree", { name: "Reporting tree" }).getByText("Script Bot").waitFor();
    await shot("09-org-chart");
    await page.getByRole("link", { name: "Activity" }).click();
    await page
      .getByRole("list", { name: /Activity/ })
      .getByText(/commented on/)
      .first()
      .waitFor();
    await shot("10-activity");
  });

  it("issues: a list of 150 issues is paginated at 100 rows, and the board groups by status", async () => {
    const cid = state.companyId!;
    for (let i = 0; i < 150; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, k) =>
          httpJson(server.url, "POST", `/api/companies/${cid}/issues`, {
            title: `Backlog item ${i + k + 1}`,
            status: i + k < 40 ? "backlog" : "todo",
          }),
        ),
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
    // Status is a multi-select kept in the URL: adding Done to the open statuses.
    await page.getByRole("group", { name: "Issue filters" }).locator("summary", { hasText: "Status" }).click();
    await checkUrlFilter(page, page.getByRole("group", { name: "Status" }).getByLabel("Done"), /status=[^&]*done/);
  });

  it("cancelling an issue from its page", async () => {
    await page.goto(server.url + state.issuePath!.replace(/-1$/, "-3"));
    await page.getByRole("button", { name: "Cancel issue" }).click();
    await page.locator(".meta-row .badge").getByText("Cancelled").waitFor();
  });

  it("force-releasing a held lock asks for confirmation naming the run, then clears it", async () => {
    const cid = state.companyId!;
    const agent = await httpJson(server.url, "POST", `/api/companies/${cid}/agents`, {
      name: "Sleeper",
      adapterType: "process",
      adapterConfig: { command: "/bin/sh", args: ["-c", "echo sleeping; sleep 20"], timeoutSec: 120 },
    });
    expect(agent.status).toBe(201);
    state.sleeperId = agent.body.id;
    const created = await httpJson(server.url, "POST", `/api/companies/${cid}/issues`, {
      title: "Long task",
      description: "Takes a while.",
      assigneeAgentId: state.sleeperId,
    });
    expect(created.status).toBe(201);
    state.lockedIssue = { id: created.body.id, identifier: created.body.identifier };
    // The run takes the lock.
    let lockRunId: string | null = null;
    await expect
      .poll(
        async () => {
          const i = (await httpJson(server.url, "GET", `/api/issues/${created.body.id}`)).body;
          lockRunId = i.executionRunId ?? i.checkoutRunId;
          return lockRunId;
        },
        { timeout: WAIT_MS },
      )
      .toBeTruthy();
    state.lockRunId = lockRunId!;
    await page.goto(`${server.url}/c/${cid}/issues/${created.body.identifier}`);
    const lockSection = page.getByRole("region", { name: "Execution lock" });
    await lockSection.locator(`[data-lock-run-id="${lockRunId}"]`).waitFor();
    const release = page.getByRole("button", { name: "Force-release lock" });

    // Escape cancels: the lock stays, focus returns to the button.
    await release.click();
    const dialog = page.getByRole("dialog", { name: "Force-release the lock?" });
    await dialog.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe("Cancel");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe("Force-release lock");
    expect((await httpJson(server.url, "GET", `/api/issues/${created.body.id}`)).body.executionRunId ?? null).not.toBeNull();

    await release.click();
    await dialog.waitFor();
    const text = await dialog.textContent();
    expect(text).toContain(`run ${lockRunId!.slice(0, 8)}`);
    expect(text).toMatch(/status: (running|queued)/);
    await shot("13-force-release-dialog");
    await dialog.getByRole("button", { name: "Force-release" }).click();
    await dialog.waitFor({ state: "hidden" });
    const after = (await httpJson(server.url, "GET", `/api/issues/${created.body.id}`)).body;
    expect(after.executionRunId).toBeNull();
    expect(after.checkoutRunId).toBeNull();
    await page.getByText(`Lock of run ${lockRunId!.slice(0, 8)} released.`).waitFor();
    expect(await release.count()).toBe(0);
    const activity = (await httpJson(server.url, "GET", `/api/issues/${created.body.id}/activity`)).body as { action: string }[];
    expect(activity.map((a) => a.action)).toContain("issue.admin_force_release");
  });

  it("the issue page adds a sub-issue, a blocker and a document, edits the description and offers @mentions", async () => {
    const issue = state.lockedIssue!;
    // Sub-issue
    await page.getByLabel("New sub-issue").fill("Write the tests");
    await page.getByRole("button", { name: "Add sub-issue" }).click();
    await page.getByRole("list", { name: "Sub-issues" }).getByText("Write the tests").waitFor();
    const children = await httpJson(server.url, "GET", `/api/companies/${state.companyId}/issues?parentId=${issue.id}`);
    expect(children.body.map((c: { title: string }) => c.title)).toEqual(["Write the tests"]);

    // Blocker: issue 2 blocks this one.
    const blockerRef = state.issuePath!.split("/").pop()!.replace(/-1$/, "-2");
    await page.getByLabel("Add blocker").fill(blockerRef);
    await page.getByRole("button", { name: "Add blocker" }).click();
    await page.getByRole("list", { name: "Blocked by" }).getByText(blockerRef).waitFor();
    const withBlocker = (await httpJson(server.url, "GET", `/api/issues/${issue.id}`)).body;
    expect(withBlocker.blockedBy.map((b: { identifier: string }) => b.identifier)).toEqual([blockerRef]);

    // Document
    await page.getByRole("button", { name: "New document" }).click();
    await page.getByLabel("Key", { exact: true }).fill("plan");
    await page.getByLabel("Document title").fill("Plan of attack");
    await page.getByLabel("Body", { exact: true }).fill("1. Sleep for a while\n2. Wake up\n3. Report");
    await page.getByRole("button", { name: "Save document" }).click();
    // Documents are markdown: the numbered lines render as an ordered list.
    await page.locator(".doc-body ol li").filter({ hasText: "Wake up" }).waitFor();
    // Revise it: the editor sends the base revision.
    await page.getByRole("button", { name: "Edit document plan" }).click();
    await page.getByLabel("Body", { exact: true }).fill("1. Sleep for a while\n2. Wake up\n3. Report\n4. Celebrate");
    await page.getByRole("button", { name: "Save document" }).click();
    await page.locator(".doc-body ol li").filter({ hasText: "Celebrate" }).waitFor();
    await page.getByText(/rev 2/).waitFor();
    const docs = (await httpJson(server.url, "GET", `/api/issues/${issue.id}/documents`)).body;
    expect(docs.map((d: { key: string; latestRevisionNumber: number }) => [d.key, d.latestRevisionNumber])).toEqual([["plan", 2]]);

    // Title/description inline edit
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    await page.getByRole("textbox", { name: "Description", exact: true }).fill("Takes a while. Now with a **plan**.");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.locator(".tl-description .markdown strong").getByText("plan").waitFor();
    expect((await httpJson(server.url, "GET", `/api/issues/${issue.id}`)).body.description).toBe("Takes a while. Now with a **plan**.");

    // Mentions: @ + letters offers matching agents; the keyboard picks one.
    const box = page.getByLabel("Add a comment");
    await box.click();
    await box.pressSequentially("Ping @sle");
    const options = page.getByRole("listbox", { name: "Mention an agent" });
    await options.getByRole("option", { name: "@Sleeper" }).waitFor();
    expect(await options.getByRole("option").count()).toBe(1);
    await expect.poll(() => box.getAttribute("aria-expanded")).toBe("true");
    await page.locator("form.composer").screenshot({ path: path.join(ARTIFACTS, "14a-mention-suggestions.png") });
    await page.keyboard.press("Enter");
    await expect.poll(() => box.inputValue()).toBe("Ping @Sleeper ");
    await expect.poll(() => box.getAttribute("aria-expanded")).toBe("false");
    await box.fill("");

    await page.getByRole("list", { name: "Conversation" }).waitFor();
    await shot("14-issue-sections");
  });

  it("agent page: creates an API key (token shown once), revokes it, shows validation errors per field, terminates", async () => {
    const agentId = state.sleeperId!;
    await page.goto(`${server.url}/c/${state.companyId}/agents/${agentId}`);
    await page.getByLabel("New key name").fill("ci");
    await page.getByRole("button", { name: "Create API key" }).click();
    const token = page.getByLabel("API key token");
    await token.waitFor();
    const tokenText = (await token.textContent())!.trim();
    expect(tokenText.length).toBeGreaterThan(16);
    await page.getByText(/shown only once/).waitFor();
    const keysTable = page.getByRole("table", { name: "API keys" });
    await keysTable.getByRole("cell", { name: "ci", exact: true }).waitFor();
    const keys = await httpJson(server.url, "GET", `/api/agents/${agentId}/keys`);
    expect(keys.body).toHaveLength(1);
    expect(JSON.stringify(keys.body)).not.toContain(tokenText);
    await shot("15-agent-keys");
    // Shown once: gone after a reload.
    await page.reload();
    await keysTable.getByRole("cell", { name: "ci", exact: true }).waitFor();
    expect(await page.getByLabel("API key token").count()).toBe(0);

    // Revoke with confirmation.
    await page.getByRole("button", { name: "Revoke key ci" }).click();
    const revokeDialog = page.getByRole("dialog", { name: "Revoke this API key?" });
    await revokeDialog.getByText(/Key “ci” stops working/).waitFor();
    await revokeDialog.getByRole("button", { name: "Revoke key" }).click();
    await keysTable.getByText(/Revoked/).waitFor();
    expect((await httpJson(server.url, "GET", `/api/agents/${agentId}/keys`)).body[0].revokedAt).not.toBeNull();

    // Configuration: the server's validation errors land on their fields.
    await page.getByRole("button", { name: "Edit configuration" }).click();
    await page.getByLabel("Command").fill("");
    await page.getByLabel("Timeout (seconds)").fill("-5");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page
      .getByRole("alert")
      .getByText(/Not saved/)
      .waitFor();
    await expect.poll(() => page.getByLabel("Command").getAttribute("aria-invalid")).toBe("true");
    await expect.poll(() => page.getByLabel("Timeout (seconds)").getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator(".field.invalid .field-error").count()).toBeGreaterThanOrEqual(2);
    await shot("16-agent-config-errors");
    await page.getByLabel("Command").fill("/bin/true");
    await page.getByLabel("Timeout (seconds)").fill("30");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("button", { name: "Edit configuration" }).waitFor();
    expect((await httpJson(server.url, "GET", `/api/agents/${agentId}`)).body.adapterConfig).toMatchObject({
      command: "/bin/true",
      timeoutSec: 30,
    });

    // Terminate with confirmation.
    await page.getByRole("button", { name: "Terminate" }).click();
    const dialog = page.getByRole("dialog", { name: "Terminate Sleeper?" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Terminate agent" }).click();
    await page.getByRole("heading", { level: 1 }).getByText("Terminated").waitFor();
    expect((await httpJson(server.url, "GET", `/api/agents/${agentId}`)).body.status).toBe("terminated");
  });
  it("the agent form offers claude_local with its own fields, model suggestions and an environment check", async () => {
    await page.goto(`${server.url}/c/${state.companyId}/agents?hire=1`);
    await page.getByLabel("Adapter type").selectOption("claude_local");
    expect(await page.getByLabel("Command").inputValue()).toBe("claude");
    await page.getByLabel("Agent name").fill("Claude Coder");
    await page.getByLabel("Model (optional)").fill("sonnet");
    await page.getByLabel("Effort").selectOption("high");
    await page.getByLabel("Max turns (optional)").fill("20");
    const key = page.getByLabel("ANTHROPIC_API_KEY (optional)");
    expect(await key.getAttribute("type")).toBe("password");
    await page.getByRole("button", { name: "Check environment" }).click();
    await page.getByText(/Environment (looks good|has problems)/).waitFor();
    await page.getByRole("list", { name: "Environment findings" }).waitFor();
    await shot("18-agent-form-claude");
    // codex_local: the sandbox select.
    await page.getByLabel("Adapter type").selectOption("codex_local");
    expect(await page.getByLabel("Command").inputValue()).toBe("codex");
    await page.getByLabel("Sandbox").selectOption("workspace-write");
    await page.getByLabel("OPENAI_API_KEY (optional)").waitFor();
    await page.getByRole("button", { name: "Cancel" }).click();
  });

  it("costs page: summary against the budget, spend by agent and by project", async () => {
    await httpJson(server.url, "PATCH", `/api/companies/${state.companyId}`, { budgetMonthlyCents: 5000 });
    const cost = await httpJson(server.url, "POST", `/api/companies/${state.companyId}/cost-events`, {
      agentId: state.agentId,
      provider: "anthropic",
      model: "claude-sonnet",
      inputTokens: 12000,
      cachedInputTokens: 3000,
      outputTokens: 800,
      costCents: 1234,
    });
    expect(cost.status).toBe(201);
    await page.goto(`${server.url}/c/${state.companyId}`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Costs" }).click();
    await page.waitForURL(/\/costs$/);
    await page.getByRole("heading", { level: 1, name: "Costs" }).waitFor();
    const summary = page.getByRole("region", { name: "Summary" });
    await summary.getByText("$12.34").first().waitFor();
    await summary.getByRole("meter", { name: "Monthly budget used" }).waitFor();
    await summary.getByText(/of the \$50\.00 monthly budget/).waitFor();
    const byAgent = page.getByRole("region", { name: "By agent" });
    const row = byAgent.getByRole("row", { name: /Script Bot/ });
    await row.getByRole("link", { name: "Script Bot" }).waitFor();
    await row.getByText("$12.34").waitFor();
    await page.getByRole("region", { name: "By project" }).getByText("No project").waitFor();
    await shot("17-costs");
    // The period selector: all time still includes the event.
    await page.getByLabel("Period").selectOption("all");
    await page.waitForURL(/period=all/);
    await summary.getByText("$12.34").first().waitFor();
    await row.getByRole("link", { name: "Script Bot" }).click();
    await page.waitForURL(new RegExp(`/agents/${state.agentId}$`));
  });

  it("⌘K / Ctrl+K: the palette finds an issue by its identifier and opens it", async () => {
    const identifier = state.issuePath!.split("/").pop()!.replace(/-1$/, "-2");
    await page.goto(`${server.url}/c/${state.companyId}/agents`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    await page.keyboard.press("Control+k");
    const box = page.getByRole("combobox", { name: /Go to an issue/ });
    await box.fill(identifier.toLowerCase());
    await page.getByRole("listbox", { name: "Results" }).getByRole("option").first().getByText(identifier).waitFor();
    await shot("40-palette");
    await box.press("Enter");
    await page.waitForURL(new RegExp(`/issues/${identifier}$`));
    await page.getByRole("heading", { level: 1 }).getByText("Write the changelog").waitFor();
    expect(await page.getByRole("dialog", { name: "Command palette" }).count()).toBe(0);
  });

  it("the list filters by assignee, and the filter is kept in the URL across a reload", async () => {
    await page.goto(`${server.url}/c/${state.companyId}/issues?status=all`);
    await page.locator("table.issues-table tbody tr").first().waitFor();
    await page.getByRole("group", { name: "Issue filters" }).locator("summary", { hasText: "Assignee" }).click();
    await checkUrlFilter(
      page,
      page.getByRole("group", { name: "Assignee" }).getByLabel("Script Bot"),
      new RegExp(`assignee=${state.agentId}`),
    );
    await page.reload();
    await page.getByText("Assignee: Script Bot").waitFor();
    const rows = page.locator("table.issues-table tbody tr");
    await expect.poll(() => rows.count(), { timeout: WAIT_MS }).toBeGreaterThan(0);
    // Every row left is Script Bot's (the 150 unassigned backlog items are gone).
    expect(await rows.filter({ hasNotText: "Script Bot" }).count()).toBe(0);
    await shot("41-issues-filtered-by-assignee");
  });

  it("at 390 px no page scrolls sideways; the navigation is a menu and tables are two-line rows", async () => {
    const cid = state.companyId!;
    const issueRef = state.issuePath!.split("/").pop()!;
    const runs = await httpJson(server.url, "GET", `/api/issues/${issueRef}/runs`);
    const pages: [string, string][] = [
      ["dashboard", `/c/${cid}`],
      ["issues", `/c/${cid}/issues`],
      ["issues-board", `/c/${cid}/issues?view=board`],
      ["issue", `/c/${cid}/issues/${issueRef}`],
      ["new-issue", `/c/${cid}/issues/new`],
      ["agents", `/c/${cid}/agents`],
      ["agent", `/c/${cid}/agents/${state.agentId}`],
      ["org", `/c/${cid}/org`],
      ["runs", `/c/${cid}/runs`],
      ["run", `/c/${cid}/runs/${runs.body[0].runId}`],
      ["costs", `/c/${cid}/costs`],
      ["approvals", `/c/${cid}/approvals`],
      ["secrets", `/c/${cid}/secrets`],
      ["routines", `/c/${cid}/routines`],
      ["members", `/c/${cid}/members`],
      ["my-keys", `/c/${cid}/my-keys`],
      ["import-export", `/c/${cid}/import-export`],
      ["settings", `/c/${cid}/settings`],
      ["activity", `/c/${cid}/activity`],
    ];
    await page.setViewportSize({ width: 390, height: 844 });
    const tooWide: string[] = [];
    try {
      for (const [name, url] of pages) {
        await page.goto(server.url + url);
        await page.getByRole("heading", { level: 1 }).first().waitFor();
        await page.waitForLoadState("networkidle").catch(() => {});
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        if (width > 390) tooWide.push(`${name}: ${width}px`);
        await page.screenshot({ path: path.join(ARTIFACTS, `50-phone-${name}.png`) });
      }
      // The navigation is behind the Menu button; opening it shows the links.
      const nav = page.getByRole("navigation", { name: "Main" });
      expect(await nav.isVisible()).toBe(false);
      await page.getByRole("button", { name: "Menu" }).click();
      await nav.getByRole("link", { name: "Issues" }).click();
      await page.waitForURL(/\/issues$/);
      await expect.poll(() => nav.isVisible()).toBe(false);
      // Two-line rows: the table header is hidden and a row's title cell spans the row.
      const firstRow = page.locator("table.issues-table tbody tr").first();
      await firstRow.waitFor();
      expect(await page.locator("table.issues-table thead").isVisible()).toBe(false);
      const [rowBox, titleBox] = await Promise.all([firstRow.boundingBox(), firstRow.locator("td").first().boundingBox()]);
      expect(titleBox!.width).toBeGreaterThan(rowBox!.width * 0.8);
      await page.getByRole("button", { name: "Menu" }).click();
      await shot("51-phone-menu-open");
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 });
    }
    expect(tooWide).toEqual([]);
  });
});
