/**
 * The server test helper (apps/server/test/helpers/server-process.ts), loaded at run time: it lives
 * in another TypeScript project, so its types are restated here instead of imported.
 */
import type { ChildProcess } from "node:child_process";

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
