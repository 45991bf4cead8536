import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpJson, signIn, startServerProcess, type ServerProcess } from "./server.js";

/**
 * The Runners page in a browser against a real server: a runner registered with a company token is
 * listed with its labels and status, a token created in the page is shown once and lands in the
 * start command, and at 390 px nothing scrolls sideways.
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

describe("the runners page in a browser", () => {
  beforeAll(async () => {
    if (!fs.existsSync(UI_DIST)) throw new Error("apps/ui/dist is missing: run `npm run build` first");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServerProcess({});
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
    await signIn(page, server);
    companyId = (await httpJson(server.url, "POST", "/api/companies", { name: "Runner Works" })).body.id;
    const token = await httpJson(server.url, "POST", `/api/companies/${companyId}/runner-tokens`, { name: "gpu box" });
    expect(token.status).toBe(201);
    const registered = await fetch(`${server.url}/api/runners/register`, {
      method: "POST",
      headers: { authorization: `Bearer ${token.body.token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "gpu-runner-1", hostname: "gpu-1.lan", labels: ["gpu", "cuda-12"], adapterTypes: ["process", "http"] }),
    });
    expect(registered.status).toBe(201);
  });

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it("lists the registered runner and creates a token shown once, with the start command filled in", async () => {
    await page.goto(`${server.url}/c/${companyId}/runners`);
    const runners = page.getByRole("table", { name: "Registered runners" });
    const row = runners.getByRole("row", { name: /gpu-runner-1/ });
    await expect.poll(() => row.textContent(), { timeout: WAIT_MS }).toContain("gpu, cuda-12");
    expect(await row.textContent()).toContain("Online");
    expect(await row.textContent()).toContain("gpu-1.lan");
    expect(await page.getByTestId("runner-command").textContent()).toContain(`--api ${server.url}`);

    const form = page.getByRole("form", { name: "New runner token" });
    await form.getByLabel("Token name").fill("mac mini");
    await form.getByRole("button", { name: "Create token" }).click();
    const box = page.getByRole("status", { name: "New runner token" });
    const token = (await box.getByTestId("new-runner-token").textContent()) ?? "";
    expect(token).toMatch(/^strn_/);
    expect(await page.getByTestId("runner-command").textContent()).toContain(`--token ${token}`);
    await expect.poll(() => page.getByRole("table", { name: "Runner tokens" }).textContent(), { timeout: WAIT_MS }).toContain("mac mini");
    await page.screenshot({ path: path.join(ARTIFACTS, "runners-1280.png"), fullPage: true });
  });

  it("at 390 px the page does not scroll sideways", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/c/${companyId}/runners`);
    await page.getByRole("table", { name: "Registered runners" }).getByText("gpu-runner-1").waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(ARTIFACTS, "runners-390.png"), fullPage: true });
  });
});
