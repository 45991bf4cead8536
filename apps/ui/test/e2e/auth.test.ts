import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Authenticated mode end to end: a fresh server prints its one-time setup URL, the owner signs up
 * through it in a browser, invites a viewer by link, and the viewer (another browser) joins, sees
 * only that company and cannot change anything, in the UI or by a direct request from the page.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, "artifacts");
const SERVER_MAIN = path.resolve(here, "../../../server/dist/main.js");
const WAIT_MS = 20_000;
const OWNER = { email: "owner@example.test", password: "owner-password-1" };
const VIEWER = { email: "viewer@example.test", password: "viewer-password-1" };

function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
}

interface AuthServer {
  url: string;
  setupUrl: string;
  child: ChildProcess;
  home: string;
}

/** Starts the built server in authenticated mode on loopback and reads url and setupUrl from its "listening" log line. */
async function startAuthenticatedServer(): Promise<AuthServer> {
  if (!fs.existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run \`npm run build\` first`);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "staple-e2e-auth-"));
  // Only this test's settings: no inherited STAPLE_* (an unauthenticated board would void the test).
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("STAPLE_") && k !== "DATABASE_URL"));
  const child = spawn(process.execPath, [SERVER_MAIN], {
    env: { ...env, STAPLE_HOME: home, PORT: "0", HOST: "127.0.0.1", STAPLE_LOG_LEVEL: "info", STAPLE_DEPLOYMENT_MODE: "authenticated" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const started = await new Promise<{ url: string; setupUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 30_000);
    const scan = () => {
      for (const line of output.split("\n")) {
        if (!line.includes('"staple listening"')) continue;
        const entry = JSON.parse(line) as { url: string; setupUrl?: string };
        clearTimeout(timer);
        if (!entry.setupUrl) reject(new Error(`no setupUrl in the log: ${line}`));
        else resolve({ url: entry.url, setupUrl: entry.setupUrl });
      }
    };
    child.stdout!.on("data", (d: Buffer) => {
      output += d.toString();
      scan();
    });
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}): ${output}`));
    });
  });
  return { ...started, child, home };
}

async function stopServer(server: AuthServer | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null) return;
  const exited = new Promise((r) => server.child.once("exit", r));
  server.child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  if (server.child.exitCode === null) server.child.kill("SIGKILL");
  fs.rmSync(server.home, { recursive: true, force: true });
}

let server: AuthServer;
let browser: Browser;

async function freshPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(WAIT_MS);
  return { context, page };
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

/** A request from the page itself: same origin, the page's session cookie, as the board's own client sends it. */
function pageFetch(page: Page, method: string, pathname: string, body?: unknown): Promise<{ status: number; body: any }> {
  return page.evaluate(
    async ({ method, pathname, body }) => {
      const res = await fetch(pathname, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    { method, pathname, body },
  );
}

async function signUp(page: Page, who: { email: string; password: string }, name: string) {
  const form = page.getByRole("form", { name: "Create your account" });
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Email").fill(who.email);
  await form.getByLabel("Password").fill(who.password);
  await form.getByRole("button", { name: "Create account" }).click();
}

describe("authenticated mode in the browser", () => {
  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    server = await startAuthenticatedServer();
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  });

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await stopServer(server);
  });

  it("owner signs up through the setup URL, invites a viewer who joins, sees only that company and cannot write", async () => {
    expect(new URL(server.setupUrl).pathname).toBe("/setup");

    // The owner: setup URL → account → first company through onboarding.
    const owner = await freshPage();
    await owner.page.goto(server.setupUrl);
    await owner.page.getByRole("heading", { name: "Create the owner's account" }).waitFor();
    await shot(owner.page, "40-auth-setup");
    await signUp(owner.page, OWNER, "Olivia Owner");
    await owner.page.waitForURL(/\/onboarding$/);
    const session = (await owner.context.cookies(server.url)).find((c) => c.name === "staple_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    await owner.page.getByLabel("Company name").fill("Viewer Lab");
    await owner.page.getByRole("button", { name: "Create company" }).click();
    await owner.page.getByText("Viewer Lab").first().waitFor();
    // A second company the viewer is never invited to.
    const other = await pageFetch(owner.page, "POST", "/api/companies", { name: "Private Works" });
    expect(other.status).toBe(201);
    const companies = (await pageFetch(owner.page, "GET", "/api/companies")).body as { id: string; name: string }[];
    const lab = companies.find((c) => c.name === "Viewer Lab")!;
    expect(lab).toBeTruthy();

    // The owner invites a viewer on the members page; the link is shown once.
    await owner.page.goto(`${server.url}/c/${lab.id}/members`);
    const invite = owner.page.getByRole("form", { name: "Invite someone" });
    await invite.getByLabel("Role").selectOption("viewer");
    await invite.getByRole("button", { name: "Create invite link" }).click();
    const linkText = await owner.page.getByRole("status").filter({ hasText: "Invite link" }).locator("code").textContent();
    const inviteUrl = new URL(linkText!.trim(), server.url).href;
    expect(new URL(inviteUrl).pathname).toMatch(/^\/invite\//);
    await shot(owner.page, "41-auth-invite-created");

    // The viewer, in another browser: invite → account → the company.
    const viewer = await freshPage();
    await viewer.page.goto(inviteUrl);
    await viewer.page.getByRole("heading", { name: "Join Viewer Lab" }).waitFor();
    await viewer.page.getByText("viewer", { exact: true }).waitFor();
    await shot(viewer.page, "42-auth-invite-page");
    await signUp(viewer.page, VIEWER, "Victor Viewer");
    await viewer.page.waitForURL(new RegExp(`/c/${lab.id}$`));
    await viewer.page.getByRole("link", { name: "Members" }).waitFor();

    // Only that company: the switcher and the API agree; the other company is refused.
    const switcher = viewer.page.getByLabel("Company", { exact: true });
    expect(await switcher.locator("option").allTextContents()).toEqual(["Viewer Lab", "+ New company…"]);
    const seen = (await pageFetch(viewer.page, "GET", "/api/companies")).body as { name: string }[];
    expect(seen.map((c) => c.name)).toEqual(["Viewer Lab"]);
    expect((await pageFetch(viewer.page, "GET", `/api/companies/${other.body.id}/issues`)).status).toBe(403);
    await shot(viewer.page, "43-auth-viewer-dashboard");

    // A write through the UI is refused and the refusal is shown.
    await viewer.page.goto(`${server.url}/c/${lab.id}/members`);
    const viewerInvite = viewer.page.getByRole("form", { name: "Invite someone" });
    await viewerInvite.getByRole("button", { name: "Create invite link" }).click();
    await viewer.page.getByRole("alert").first().waitFor();
    expect(await viewer.page.getByRole("status").filter({ hasText: "Invite link" }).count()).toBe(0);
    await shot(viewer.page, "44-auth-viewer-refused");

    // Direct writes from the viewer's page (same origin, its session cookie): 403, nothing created.
    const issue = await pageFetch(viewer.page, "POST", `/api/companies/${lab.id}/issues`, { title: "viewer was here" });
    expect(issue.status).toBe(403);
    const rename = await pageFetch(viewer.page, "PATCH", `/api/companies/${lab.id}`, { name: "Renamed by viewer" });
    expect(rename.status).toBe(403);
    const issues = (await pageFetch(owner.page, "GET", `/api/companies/${lab.id}/issues`)).body as { title: string }[];
    expect(issues.map((i) => i.title)).not.toContain("viewer was here");

    await viewer.context.close();
    await owner.context.close();
  });
});
