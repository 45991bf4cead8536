import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkUrlFilter, httpJson, signIn, startServerProcess, type ServerProcess } from "./server.js";

/**
 * The board's governance pages in a browser against a real server: deciding an approval,
 * answering interaction cards in an issue's thread, uploading an image attachment and seeing its
 * thumbnail, labelling an issue and filtering the issue list by the label. Data the board only
 * receives (a hire request, the cards an agent posts) is created through the API first.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, "artifacts");
const UI_DIST = path.resolve(here, "../../dist/index.html");
/** Upper bound of any single wait in a scenario. */
const WAIT_MS = 20_000;
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
}

let server: ServerProcess;
let browser: Browser;
let page: Page;
const state: { companyId?: string; issueId?: string; issueRef?: string; otherRef?: string; approvalId?: string; hiredAgentId?: string } =
  {};

async function shot(name: string) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function api<T = any>(method: string, pathname: string, body?: unknown, expected = [200, 201]): Promise<T> {
  const res = await httpJson<T>(server.url, method, pathname, body);
  if (!expected.includes(res.status)) throw new Error(`${method} ${pathname}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

describe("governance on the board, in a browser", () => {
  beforeAll(async () => {
    if (!fs.existsSync(UI_DIST)) throw new Error("apps/ui/dist is missing: run `npm run build` first");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServerProcess({});
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: DESKTOP });
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
    await signIn(page, server);

    // A company whose hires need the board, an issue the hire is for, and a hire request.
    const company = await api("POST", "/api/companies", { name: "Governed Co", requireBoardApprovalForNewAgents: true });
    state.companyId = company.id;
    const issue = await api("POST", `/api/companies/${company.id}/issues`, {
      title: "Plan the night shift",
      description: "Who covers nights?",
    });
    state.issueId = issue.id;
    state.issueRef = issue.identifier;
    const other = await api("POST", `/api/companies/${company.id}/issues`, { title: "Unlabelled chores" });
    state.otherRef = other.identifier;
    const hire = await api("POST", `/api/companies/${company.id}/agent-hires`, {
      name: "Night Owl",
      role: "engineer",
      title: "Night shift engineer",
      adapterType: "process",
      adapterConfig: { command: "/bin/sh", args: ["-c", "echo on duty"] },
      sourceIssueId: issue.id,
    });
    state.approvalId = hire.approval.id;
    state.hiredAgentId = hire.agent.id;
  });

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it("the approvals page shows the pending hire with its summary and linked issue; approving with a note decides it", async () => {
    await page.goto(`${server.url}/c/${state.companyId}`);
    // The dashboard's "Needs the board" links the pending approval to its page.
    await page.getByRole("list", { name: "Pending approvals" }).getByRole("link", { name: "Hire an agent" }).waitFor();
    await page.getByRole("link", { name: "Approvals (1 pending)" }).click();
    await page.waitForURL(/\/approvals$/);
    const pending = page.getByRole("list", { name: "Pending approvals" });
    const card = pending.getByRole("article", { name: "Hire an agent approval" });
    await card.getByRole("link", { name: "Night Owl" }).waitFor();
    await card.getByText("engineer · Night shift engineer").first().waitFor();
    await card.getByRole("list", { name: "Linked issues" }).getByRole("link", { name: state.issueRef! }).waitFor();
    await card.getByLabel("Add a comment").fill("Nights are covered by nobody today.");
    await card.getByRole("button", { name: "Comment" }).click();
    await card.getByRole("list", { name: "Approval comments" }).getByText("Nights are covered by nobody today.").waitFor();
    await card.getByLabel("Decision note (optional)").fill("Approved for a one-month trial.");
    await shot("30-approvals");

    await card.getByRole("button", { name: "Approve" }).click();
    const decided = page.getByRole("list", { name: "Decided approvals" }).getByRole("article", { name: "Hire an agent approval" });
    await decided.getByText("Approved", { exact: true }).waitFor();
    expect(await page.getByRole("list", { name: "Pending approvals" }).count()).toBe(0);
    await page.getByText("Nothing is waiting for the board.").waitFor();
    // Decided: no decision buttons, the note is kept.
    await decided.getByRole("button", { name: /Hire an agent/ }).click();
    await decided.getByText("Approved for a one-month trial.").waitFor();
    expect(await decided.getByRole("button", { name: "Approve" }).count()).toBe(0);
    await page.getByRole("link", { name: "Approvals", exact: true }).waitFor();
    await shot("31-approval-decided");

    const approval = await api("GET", `/api/approvals/${state.approvalId}`);
    expect([approval.status, approval.decisionNote]).toEqual(["approved", "Approved for a one-month trial."]);
    const agent = await api("GET", `/api/agents/${state.hiredAgentId}`);
    expect(agent.status).not.toBe("pending_approval");
  });

  it("interaction cards in the thread: answering questions and accepting suggested tasks (which become linked sub-issues)", async () => {
    const id = state.issueId!;
    await api("POST", `/api/issues/${id}/comments`, { body: "Before I start, two questions and a plan." });
    const questions = await api("POST", `/api/issues/${id}/interactions`, {
      kind: "ask_user_questions",
      title: "Night shift details",
      continuationPolicy: "none",
      payload: {
        version: 1,
        submitLabel: "Send answers",
        questions: [
          {
            id: "hours",
            prompt: "Which hours?",
            selectionMode: "single",
            required: true,
            options: [
              { id: "late", label: "22:00 to 06:00" },
              { id: "early", label: "00:00 to 08:00" },
            ],
          },
          {
            id: "tools",
            prompt: "Which tools may it use?",
            selectionMode: "multi",
            allowOther: true,
            options: [
              { id: "git", label: "git" },
              { id: "deploy", label: "deploy" },
            ],
          },
        ],
      },
    });
    const tasks = await api("POST", `/api/issues/${id}/interactions`, {
      kind: "suggest_tasks",
      continuationPolicy: "none",
      payload: {
        version: 1,
        tasks: [
          { clientKey: "rota", title: "Write the night rota", priority: "high" },
          { clientKey: "pager", title: "Set up the pager", parentClientKey: "rota" },
          { clientKey: "party", title: "Plan a welcome party", priority: "low" },
        ],
      },
    });
    await api("POST", `/api/issues/${id}/interactions`, {
      kind: "request_confirmation",
      continuationPolicy: "none",
      payload: { version: 1, prompt: "Shall I announce the new shift?", acceptLabel: "Announce it", rejectLabel: "Not yet" },
    });

    await page.goto(`${server.url}/c/${state.companyId}/issues/${state.issueRef}`);
    const thread = page.getByRole("list", { name: "Conversation" });
    const ask = thread.locator(`[data-interaction-id="${questions.id}"]`);
    await ask.getByText("Which hours?").waitFor();
    await ask.getByLabel("22:00 to 06:00").check();
    await ask.getByLabel("git", { exact: true }).check();
    await ask.getByLabel("Other answer to: Which tools may it use?").fill("the status page");
    const suggest = thread.locator(`[data-interaction-id="${tasks.id}"]`);
    await suggest.getByLabel(/Plan a welcome party/).uncheck();
    await shot("32-interaction-cards");

    await ask.getByRole("button", { name: "Send answers" }).click();
    await ask.getByText("Answered", { exact: true }).waitFor();
    await ask.getByText("git, the status page").waitFor();
    await suggest.getByRole("button", { name: "Accept 2 of 3 tasks" }).click();
    await suggest.getByText("Accepted", { exact: true }).waitFor();
    const created = suggest.getByRole("link", { name: /^Created / });
    await created.first().waitFor();
    expect(await created.count()).toBe(2);
    await suggest.getByText("not created").waitFor();
    await shot("33-interactions-resolved");

    const answered = (await api("GET", `/api/issues/${id}/interactions`)) as { id: string; status: string; result: any }[];
    const q = answered.find((x) => x.id === questions.id)!;
    expect(q.status).toBe("answered");
    expect(q.result.answers).toEqual([
      { questionId: "hours", optionIds: ["late"] },
      { questionId: "tools", optionIds: ["git"], otherText: "the status page" },
    ]);
    // The card links the created issues: the rota under this issue, the pager under the rota.
    const hrefs = await created.evaluateAll((links) => links.map((a) => a.getAttribute("href") ?? ""));
    const made = await Promise.all(hrefs.map((href) => api("GET", `/api/issues/${href.split("/").pop()}`)));
    const rota = made.find((m) => m.title === "Write the night rota");
    const pager = made.find((m) => m.title === "Set up the pager");
    expect([rota?.parentId, pager?.parentId]).toEqual([id, rota?.id]);
  });

  it("uploading a PNG attachment lists it with its size and shows its thumbnail", async () => {
    // A real PNG with something to see: a screenshot of the blue "New issue" button.
    const png = await page.locator(".topbar .button").screenshot();
    const pngWidth = png.readUInt32BE(16); // IHDR width
    await page.getByLabel("Upload files").setInputFiles({ name: "night-rota.png", mimeType: "image/png", buffer: png });
    const list = page.getByRole("list", { name: "Attachments" });
    const thumb = list.getByRole("img", { name: "Preview of night-rota.png" });
    await thumb.waitFor();
    await expect
      .poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: WAIT_MS })
      .toBe(pngWidth);
    await list.getByText(/image\/png · [\d.]+ (B|KB) · Board/).waitFor();
    await page.getByRole("region", { name: /^Attachments/ }).scrollIntoViewIfNeeded();
    await shot("34-attachment-preview");
    const files = await api("GET", `/api/issues/${state.issueId}/attachments`);
    expect(files.map((f: { originalFilename: string; byteSize: number }) => [f.originalFilename, f.byteSize])).toEqual([
      ["night-rota.png", png.length],
    ]);
  });

  it("a new label is created inline on the issue, shown as a chip, and filters the issues list (kept on reload)", async () => {
    const side = page.getByRole("complementary", { name: "Issue properties" });
    await side.getByRole("button", { name: "New label…" }).click();
    await side.getByLabel("New label name").fill("operations");
    await side.getByRole("button", { name: "Create and add" }).click();
    await side.getByRole("list", { name: "Labels of this issue" }).getByText("operations").waitFor();
    await page.locator(".meta-row .label-chip", { hasText: "operations" }).waitFor();
    await side.getByRole("button", { name: "New label…" }).waitFor();
    await shot("35-issue-labels");

    await page.goto(`${server.url}/c/${state.companyId}/issues`);
    const table = page.getByRole("table");
    // One link per row (the title); the identifier is text beside it.
    const rowOf = (ref: string) => table.locator("tbody tr", { hasText: new RegExp(`\\b${ref}(?!\\d)`) });
    await rowOf(state.otherRef!).waitFor();
    await table.locator(".label-chip", { hasText: "operations" }).waitFor();
    await page.getByRole("group", { name: "Issue filters" }).locator("summary", { hasText: "Label" }).click();
    await checkUrlFilter(page, page.getByRole("group", { name: "Label" }).getByLabel("operations"), /[?&]label=[0-9a-f-]+/);
    await expect.poll(() => table.getByRole("row").count(), { timeout: WAIT_MS }).toBe(2);
    await rowOf(state.issueRef!).waitFor();
    await page.reload();
    await page.getByText("Label: operations").waitFor();
    await rowOf(state.issueRef!).waitFor();
    expect(await rowOf(state.otherRef!).count()).toBe(0);
    await shot("36-issues-label-filter");
  });

  it("at 390 px wide the approvals page and the issue page stay readable", async () => {
    // A second request, left pending, so the narrow page shows the decision controls too.
    await api("POST", `/api/companies/${state.companyId}/approvals`, {
      type: "request_board_approval",
      payload: { title: "Raise the night budget to $200", summary: "Night runs cost more than planned this month." },
    });
    await page.setViewportSize(PHONE);
    await page.goto(`${server.url}/c/${state.companyId}/approvals`);
    await page.getByRole("list", { name: "Pending approvals" }).getByRole("button", { name: "Request revision" }).waitFor();
    await page.getByRole("list", { name: "Decided approvals" }).waitFor();
    await page
      .getByRole("list", { name: "Decided approvals" })
      .getByRole("button", { name: /Hire an agent/ })
      .click();
    await page.getByText("Approved for a one-month trial.").waitFor();
    await shot("37-approvals-390");
    await page.goto(`${server.url}/c/${state.companyId}/issues/${state.issueRef}`);
    await page.getByRole("list", { name: "Conversation" }).getByText("Shall I announce the new shift?").waitFor();
    await page.getByRole("list", { name: "Attachments" }).getByRole("img").waitFor();
    await shot("38-issue-390");
    // Nothing is wider than the screen (the widest offenders are named when something is).
    const wide = await page.evaluate((limit) => {
      const out: string[] = [];
      for (const el of document.querySelectorAll("body *")) {
        const r = el.getBoundingClientRect();
        if (r.right > limit + 1) out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.right)}`);
      }
      return out.slice(-8);
    }, PHONE.width);
    expect(wide).toEqual([]);
    await page.setViewportSize(DESKTOP);
  });
});
