import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpJson, signIn, startServerProcess, type ServerProcess } from "./server.js";

/**
 * The board inbox in a browser against a real server: a process agent's run fails on an issue, a
 * toast names the issue while the board is open, the inbox lists the failure by the issue's
 * identifier and title, archiving it drops the navigation count, and at 390 px nothing scrolls
 * sideways.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, "artifacts");
const UI_DIST = path.resolve(here, "../../dist/index.html");
const WAIT_MS = 20_000;

function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
}

let server: ServerProcess;
let browser: Browser;
let page: Page;
let companyId: string;
let agentId: string;
let issue: { id: string; identifier: string };
const TITLE = "Publish the pricing page";
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** Serious and critical axe findings on the page as it is now, as "rule: target" lines. */
async function axeFindings(): Promise<string[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  return page.evaluate(async () => {
    type Result = { violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] };
    const result = await (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<Result> } }).axe.run(document, {
      resultTypes: ["violations"],
    });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.map(String).join(" ")}`));
  });
}

/** The person's unread count (their session, as the navigation reads it). */
async function unreadCount(): Promise<number> {
  return page.evaluate(
    async (id) => ((await (await fetch(`/api/companies/${id}/inbox/count`)).json()) as { unread: number }).unread,
    companyId,
  );
}

/**
 * A failure sets off recovery (the issue is blocked by a recovery issue whose run fails as well),
 * so items keep arriving for a few seconds: wait until the count holds still for three readings.
 */
async function settledUnread(): Promise<number> {
  let last = -1;
  let same = 0;
  for (let i = 0; i < 40 && same < 3; i++) {
    const now = await unreadCount();
    same = now === last ? same + 1 : 0;
    last = now;
    await page.waitForTimeout(1000);
  }
  return last;
}

const navInbox = (unread: number) =>
  page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: unread ? `Inbox (${unread} unread)` : "Inbox", exact: true });

describe("the board inbox in a browser", () => {
  beforeAll(async () => {
    if (!fs.existsSync(UI_DIST)) throw new Error("apps/ui/dist is missing: run `npm run build` first");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServerProcess({});
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
    await signIn(page, server);
    companyId = (await httpJson(server.url, "POST", "/api/companies", { name: "Inbox Works" })).body.id;
    const agent = await httpJson(server.url, "POST", `/api/companies/${companyId}/agents`, {
      name: "Failing Bot",
      role: "engineer",
      adapterType: "process",
      adapterConfig: { command: "/bin/sh", args: ["-c", "echo 'cannot reach the CMS' >&2; exit 3"] },
    });
    expect(agent.status, JSON.stringify(agent.body)).toBe(201);
    agentId = agent.body.id;
  });

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it("a failing run is announced by a toast naming its issue and listed in the inbox by identifier and title", async () => {
    await page.goto(`${server.url}/c/${companyId}`);
    await page.getByRole("heading", { name: "Inbox Works" }).waitFor();
    await page.locator(".live-open").waitFor();
    // Assigning the issue wakes the agent; its process exits 3.
    const created = await httpJson(server.url, "POST", `/api/companies/${companyId}/issues`, {
      title: TITLE,
      assigneeAgentId: agentId,
      status: "todo",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    issue = created.body;
    const toast = page.locator(".toasts .toast").filter({ hasText: `${issue.identifier}: ${TITLE}` });
    await toast.first().waitFor({ timeout: WAIT_MS * 2 });
    expect(await page.locator(".toasts").getAttribute("role")).toBe("status");
    // The dashboard's "Needs the board" names the failure by its issue, not a run hash.
    await page.getByRole("listitem", { name: `Unread: Run failed: ${issue.identifier}: ${TITLE}` }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, "inbox-toast-dashboard-1280.png"), fullPage: true });

    const unread = await settledUnread();
    expect(unread).toBeGreaterThan(0);
    await navInbox(unread).click();
    const row = page.getByRole("listitem", { name: `Unread: Run failed: ${issue.identifier}: ${TITLE}` });
    await row.waitFor();
    expect(await row.textContent()).toContain("Process exited with code 3");
    expect(await row.getByRole("link", { name: `${issue.identifier}: ${TITLE}` }).getAttribute("href")).toBe(
      `/c/${companyId}/issues/${issue.identifier}`,
    );
    await page.screenshot({ path: path.join(ARTIFACTS, "inbox-1280.png"), fullPage: true });
    expect(await axeFindings()).toEqual([]);
  });

  it("archiving the item drops the navigation count; undo brings it back; archive again", async () => {
    const unread = await settledUnread();
    await navInbox(unread).waitFor();
    const rowName = new RegExp(`Run failed: ${issue.identifier}: ${TITLE}`);
    await page.getByRole("button", { name: `Archive Run failed: ${issue.identifier}: ${TITLE}` }).click();
    await page.getByText(`Archived “${issue.identifier}: ${TITLE}”.`).waitFor();
    expect(await page.getByRole("listitem", { name: rowName }).count()).toBe(0);
    await navInbox(unread - 1).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, "inbox-archived-1280.png"), fullPage: true });

    await page.getByRole("button", { name: "Undo" }).click();
    await page.getByRole("listitem", { name: rowName }).waitFor();
    await page.getByRole("button", { name: `Archive Run failed: ${issue.identifier}: ${TITLE}` }).click();
    await page.getByText(`Archived “${issue.identifier}: ${TITLE}”.`).waitFor();
    await navInbox(unread - 1).waitFor();

    await page.getByRole("button", { name: "Archived" }).click();
    await page.getByRole("button", { name: `Restore Run failed: ${issue.identifier}: ${TITLE}` }).waitFor();
    expect(await unreadCount()).toBe(unread - 1);
  });

  it("at 390 px the inbox does not scroll sideways; the folded navigation shows the count on Menu", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/c/${companyId}/inbox?view=archived`);
    await page.getByRole("button", { name: `Restore Run failed: ${issue.identifier}: ${TITLE}` }).click();
    await page.getByRole("button", { name: "Inbox", exact: true }).click();
    const row = page.getByRole("listitem", { name: new RegExp(`Run failed: ${issue.identifier}: ${TITLE}`) });
    await row.getByRole("button", { name: "Mark unread" }).click();
    await page.getByRole("listitem", { name: `Unread: Run failed: ${issue.identifier}: ${TITLE}` }).waitFor();
    await page.getByRole("button", { name: /Menu.*unread in the inbox/ }).waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(ARTIFACTS, "inbox-390.png"), fullPage: true });
    expect(await axeFindings()).toEqual([]);
  });
});
