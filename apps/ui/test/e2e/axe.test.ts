import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpJson, signIn, startServerProcess, type ServerProcess } from "./server.js";

/**
 * axe-core in the browser lane: the main pages of a seeded company (inbox and board view included) are checked at desktop and phone
 * widths, in the light and the dark colour scheme (the board follows the system). Any violation axe
 * rates `serious` or `critical` fails the test, listed by page, rule and element.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, "artifacts");
const UI_DIST = path.resolve(here, "../../dist/index.html");
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const WAIT_MS = 20_000;
const VIEWPORTS = { desktop: { width: 1280, height: 860 }, phone: { width: 390, height: 844 } } as const;

function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
}

async function api<T = any>(method: string, pathname: string, body?: unknown): Promise<T> {
  const res = await httpJson<T>(server.url, method, pathname, body);
  if (res.status >= 300) throw new Error(`${method} ${pathname}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

let server: ServerProcess;
let browser: Browser;
let page: Page;
let pages: [string, string][] = [];

/** Runs axe on the page as it is now; only serious and critical findings are returned. */
async function axe(): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const result = await (
      window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }
    ).axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String), failureSummary: n.failureSummary })),
    }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

function describeViolations(where: string, violations: AxeViolation[]): string[] {
  return violations.flatMap((v) =>
    v.nodes
      .slice(0, 5)
      .map(
        (n) =>
          `${where}: [${v.impact}] ${v.id} (${v.help}) at ${n.target.join(" ")}: ${(n.failureSummary ?? "").replace(/\s+/g, " ").slice(0, 220)}`,
      ),
  );
}

describe("axe: no serious or critical accessibility violation on the main pages", () => {
  beforeAll(async () => {
    if (!fs.existsSync(UI_DIST)) throw new Error("apps/ui/dist is missing: run `npm run build` first");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServerProcess({});
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: VIEWPORTS.desktop });
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
    await signIn(page, server);

    // A company with an agent that ran once, issues, a comment and a pending hire approval.
    const company = await api("POST", "/api/companies", { name: "Axe Works", requireBoardApprovalForNewAgents: false });
    const cid = company.id as string;
    const agent = await api("POST", `/api/companies/${cid}/agents`, {
      name: "Checker",
      role: "engineer",
      adapterType: "process",
      adapterConfig: { command: "/bin/sh", args: ["-c", "echo checking"] },
    });
    const issue = await api("POST", `/api/companies/${cid}/issues`, {
      title: "Check the contrast",
      description: "Some **markdown** and a list:\n\n- one\n- two",
      assigneeAgentId: agent.id,
      priority: "high",
    });
    await api("POST", `/api/companies/${cid}/issues`, { title: "Unassigned chore", status: "backlog" });
    await api("POST", `/api/issues/${issue.id}/comments`, { body: "A comment with `code`." });
    await api("PATCH", `/api/companies/${cid}`, { requireBoardApprovalForNewAgents: true });
    await api("POST", `/api/companies/${cid}/agent-hires`, {
      name: "Pending Hire",
      role: "engineer",
      adapterType: "process",
      adapterConfig: { command: "/bin/sh", args: ["-c", "echo hi"] },
    });
    let runId: string | undefined;
    for (let i = 0; i < 100 && !runId; i++) {
      const runs = await api<{ runId: string; status: string }[]>("GET", `/api/issues/${issue.identifier}/runs`);
      runId = runs.find((r) => r.status === "succeeded")?.runId;
      if (!runId) await new Promise((r) => setTimeout(r, 200));
    }
    if (!runId) throw new Error("the agent's run did not finish");
    pages = [
      ["dashboard", `/c/${cid}`],
      ["inbox", `/c/${cid}/inbox`],
      ["issues", `/c/${cid}/issues`],
      ["issues-board", `/c/${cid}/issues?view=board`],
      ["issue", `/c/${cid}/issues/${issue.identifier}`],
      ["new-issue", `/c/${cid}/issues/new`],
      ["agents", `/c/${cid}/agents`],
      ["agent", `/c/${cid}/agents/${agent.id}`],
      ["approvals", `/c/${cid}/approvals`],
      ["costs", `/c/${cid}/costs`],
      ["activity", `/c/${cid}/activity`],
      ["runs", `/c/${cid}/runs`],
      ["run", `/c/${cid}/runs/${runId}`],
      ["settings", `/c/${cid}/settings`],
      ["onboarding", "/onboarding"],
    ];
  });

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  for (const viewport of ["desktop", "phone"] as const) {
    for (const colorScheme of ["light", "dark"] as const) {
      it(`${viewport} (${VIEWPORTS[viewport].width} px), ${colorScheme} scheme`, async () => {
        await page.setViewportSize(VIEWPORTS[viewport]);
        await page.emulateMedia({ colorScheme });
        const found: string[] = [];
        for (const [name, url] of pages) {
          await page.goto(server.url + url);
          await page.getByRole("heading", { level: 1 }).first().waitFor();
          await page.waitForLoadState("networkidle", { timeout: 5_000 }).catch(() => {});
          await page
            .getByText(/^Loading/)
            .first()
            .waitFor({ state: "detached", timeout: 5_000 })
            .catch(() => {});
          found.push(...describeViolations(name, await axe()));
          if (name === "issue" || name === "dashboard") {
            await page.screenshot({ path: path.join(ARTIFACTS, `axe-${viewport}-${colorScheme}-${name}.png`) });
          }
        }
        expect(found, `axe found serious/critical violations:\n${found.join("\n")}`).toEqual([]);
      });
    }
  }
});
