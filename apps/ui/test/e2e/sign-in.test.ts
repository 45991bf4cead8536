import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpJson, mintLoginLink, startServerProcess, type ServerProcess } from "./server.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, "artifacts");
const WAIT_MS = 20_000;
const SIGN_IN_TEXT = "This board needs a sign-in link.";

function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
}

let server: ServerProcess;
let browser: Browser;

/** Every scenario starts from a browser with no cookies (a fresh context). */
async function freshPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(WAIT_MS);
  return { context, page };
}

describe("signing in to the board", () => {
  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServerProcess({});
    await httpJson(server.url, "POST", "/api/companies", { name: "Sign In Works" });
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  });

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it("a browser without a session sees the sign-in screen, not errors", async () => {
    const { context, page } = await freshPage();
    await page.goto(server.url);
    await page.getByRole("heading", { name: "Sign in to the board" }).waitFor();
    await page.getByText(SIGN_IN_TEXT).waitFor();
    expect(await page.getByText("npx staple board").count()).toBe(1);
    expect(await page.getByRole("alert").count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, "20-sign-in-required.png"), fullPage: true });
    await context.close();
  });

  it("a login link signs in (session cookie, board shown); a used link shows the 'cannot be used' page", async () => {
    const { context, page } = await freshPage();
    const link = await mintLoginLink(server);
    await page.goto(link);
    await page.waitForURL(/\/c\/[0-9a-f-]+$/);
    await page.getByRole("link", { name: "Issues" }).waitFor();
    const cookies = await context.cookies(server.url);
    const session = cookies.find((c) => c.name === "staple_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    // The page's script cannot read the cookie.
    expect(await page.evaluate(() => document.cookie)).not.toContain("staple_session");
    // The live stream authenticates with the same cookie.
    await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, "21-signed-in.png"), fullPage: true });

    const reuse = await page.goto(link);
    expect(reuse?.status()).toBe(401);
    await page.getByRole("heading", { name: "This sign-in link cannot be used" }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, "22-link-already-used.png"), fullPage: true });
    await context.close();
  });

  it("Sign out ends the session: the board shows the sign-in screen, also after a reload", async () => {
    const { context, page } = await freshPage();
    await page.goto(await mintLoginLink(server));
    await page.waitForURL(/\/c\/[0-9a-f-]+$/);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText(SIGN_IN_TEXT).waitFor();
    await page.reload();
    await page.getByText(SIGN_IN_TEXT).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, "23-signed-out.png"), fullPage: true });
    await context.close();
  });
});
