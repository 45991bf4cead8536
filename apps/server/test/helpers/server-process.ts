import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SERVER_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/main.js");

export interface ServerProcess {
  url: string;
  /** The board token the server wrote to `$STAPLE_HOME/board-token`. */
  boardToken: string;
  child: ChildProcess;
  home: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM and wait for exit (bounded). */
  stop(): Promise<void>;
  /** SIGKILL (crash). */
  kill(): Promise<void>;
}

/**
 * Starts the built server (apps/server/dist/main.js) as a real process on a free loopback port and
 * resolves once it logs that it is listening. Used by the multi-server and crash tests.
 */
export async function startServerProcess(
  env: Record<string, string>,
  home = fs.mkdtempSync(path.join(os.tmpdir(), "staple-proc-")),
): Promise<ServerProcess> {
  if (!fs.existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [SERVER_MAIN], {
    env: { ...process.env, STAPLE_HOME: home, PORT: "0", HOST: "127.0.0.1", STAPLE_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 30_000);
    child.stdout!.on("data", (d: Buffer) => {
      output += d.toString();
      const m = /"msg":"staple listening","url":"([^"]+)"/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}): ${output}`));
    });
  });
  const boardToken = fs.readFileSync(path.join(home, "board-token"), "utf8").trim();
  boardTokens.set(url, boardToken);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const waitExit = async (ms: number) => {
    await Promise.race([exited, new Promise((r) => setTimeout(r, ms))]);
  };
  return {
    url,
    boardToken,
    child,
    home,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      await waitExit(30_000);
      if (child.exitCode === null) child.kill("SIGKILL");
      await waitExit(5_000);
    },
    async kill() {
      child.kill("SIGKILL");
      await waitExit(10_000);
    },
  };
}

/** Board tokens of the servers started here, by URL: httpJson calls as the board. */
const boardTokens = new Map<string, string>();

/** Board authorization header for a server started by startServerProcess. */
export function boardAuth(url: string): Record<string, string> {
  const token = boardTokens.get(url);
  return token ? { authorization: `Bearer ${token}` } : {};
}

export async function httpJson<T = any>(
  url: string,
  method: string,
  pathname: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(url + pathname, {
    method,
    headers: { ...boardAuth(url), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}
