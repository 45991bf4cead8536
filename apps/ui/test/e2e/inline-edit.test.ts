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
/** Upper bound of any single wait in the scenario. */
const WAIT_MS = 20_000;

function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
}

let server: ServerProcess;
let browser: Browser;
let page: Page;

describe("issue list inline edits in a browser", () => {
  beforeAll(async () => {
    if (!fs.existsSync(UI_DIST)) throw new Error("apps/ui/dist is missing: run `npm run build` first");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServerProcess({});
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
    await signIn(page, server);
  });

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it("changes status and assignee from the list; both survive a reload; the selects stay out of the tab order", async () => {
    const company = await httpJson(server.url, "POST", "/api/companies", { name: "Inline Works", requireBoardApprovalForNewAgents: false });
    expect(company.status).toBe(201);
    const cid = company.body.id as string;
    const agent = await httpJson(server.url, "POST", `/api/companies/${cid}/agents`, {
      name: "Quick Bot",
      adapterType: "process",
      adapterConfig: { command: "/bin/sh", args: ["-c", "echo ok"], timeoutSec: 30 },
    });
    expect(agent.status).toBe(201);
    const issue = await httpJson(server.url, "POST", `/api/companies/${cid}/issues`, { title: "Tune the gripper", status: "todo" });
    expect(issue.status).toBe(201);
    const ident = issue.body.identifier as string;

    await page.goto(`${server.url}/c/${cid}/issues`);
    const status = page.getByRole("combobox", { name: `Status of ${ident}` });
    const assignee = page.getByRole("combobox", { name: `Assignee of ${ident}` });
    expect(await status.getAttribute("tabindex")).toBe("-1");
    expect(await assignee.getAttribute("tabindex")).toBe("-1");
    // In review first: a run the assignment wakes does not check an issue in review out, so the
    // status read back is the one chosen here.
    await status.selectOption("in_review");
    await expect
      .poll(async () => (await httpJson(server.url, "GET", `/api/issues/${ident}`)).body.status, { timeout: WAIT_MS })
      .toBe("in_review");
    await assignee.selectOption({ label: "Quick Bot" });
    await expect
      .poll(async () => (await httpJson(server.url, "GET", `/api/issues/${ident}`)).body.assigneeAgentId, { timeout: WAIT_MS })
      .toBe(agent.body.id);

    await page.reload();
    await expect.poll(() => status.inputValue(), { timeout: WAIT_MS }).toBe("in_review");
    await expect.poll(() => assignee.inputValue(), { timeout: WAIT_MS }).toBe(agent.body.id);
    expect(await page.locator(".row-edit-error").count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, "inline-edit-1280.png"), fullPage: true });
  });
});
