/**
 * The server test helper (apps/server/test/helpers/server-process.ts), loaded at run time: it lives
 * in another TypeScript project, so its types are restated here instead of imported.
 */
import type { ChildProcess } from "node:child_process";
import type { Locator, Page } from "playwright-core";

export interface ServerProcess {
  url: string;
  /** The board token the server wrote to `$STAPLE_HOME/board-token`. */
  boardToken: string;
  child: ChildProcess;
  home: string;
  stop(): Promise<void>;
}

interface Helper {
  startServerProcess(env: Record<string, string>): Promise<ServerProcess>;
  httpJson<T = any>(url: string, method: string, pathname: string, body?: unknown): Promise<{ status: number; body: T }>;
  boardAuth(url: string): Record<string, string>;
}

const helper = (await import(/* @vite-ignore */ new URL("../../../server/test/helpers/server-process.ts", import.meta.url).href)) as Helper;
export const startServerProcess = helper.startServerProcess;
export const httpJson = helper.httpJson;
export const boardAuth = helper.boardAuth;

/** A fresh one-time login link, minted with the server's board token (what `npx staple board` does). */
export async function mintLoginLink(server: ServerProcess): Promise<string> {
  const res = await fetch(`${server.url}/api/board/login-links`, { method: "POST", headers: boardAuth(server.url) });
  if (res.status !== 201) throw new Error(`minting a login link failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { url: string }).url;
}

/** Signs a page in the way a person does: opens a login link (303 to the board, session cookie set). */
export async function signIn(page: { goto(url: string): Promise<unknown>; url(): string }, server: ServerProcess): Promise<void> {
  await page.goto(await mintLoginLink(server));
  if (new URL(page.url()).pathname.startsWith("/api/")) throw new Error(`the login link did not redirect to the board: ${page.url()}`);
}

/**
 * Ticks a filter checkbox whose state lives in the URL and waits for the URL to say so. The option list
 * can re-render between Playwright's click and its state check (the list refetches under load), so a
 * plain `check()` is flaky there; this clicks again (at most 3 times) until the URL matches.
 */
export async function checkUrlFilter(page: Page, option: Locator, url: RegExp): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if (!(await option.isChecked())) await option.click();
    try {
      await page.waitForURL(url, { timeout: 5_000 });
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}
