import { spawn } from "node:child_process";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The real binary, as `npx staple` runs it (needs `npm run build`; `npm test` runs tsc -b first). */
export const STAPLE_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/staple.mjs");
/** A data dir that does not exist: no board token file. */
export const NO_HOME = path.join(os.tmpdir(), "staple-cli-test-no-home");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs `staple <args>` as a child process and collects its output. Every run is bounded: after
 * `timeoutMs` the child is killed and the promise rejects with what it printed so far. The
 * environment is the test's with the CLI's own variables cleared, plus `env`. STAPLE_HOME defaults
 * to a directory that does not exist, so no test ever reads the machine's own board token file:
 * a test gives the CLI its server's home (`STAPLE_HOME: server.home`) or a key.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<CliResult> {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries({
    ...process.env,
    STAPLE_API_URL: undefined,
    STAPLE_API_KEY: undefined,
    STAPLE_COMPANY_ID: undefined,
    STAPLE_HOME: NO_HOME,
    ...env,
  })) {
    if (value !== undefined) childEnv[key] = value;
  }
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STAPLE_BIN, ...args], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`staple ${args.join(" ")} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Like runCli, but fails the test (with the output) unless the exit code is 0; returns stdout. */
export async function ok(args: string[], env: Record<string, string | undefined> = {}, timeoutMs?: number): Promise<string> {
  const result = await runCli(args, env, timeoutMs);
  if (result.code !== 0)
    throw new Error(`staple ${args.join(" ")} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result.stdout;
}

/** `ok` + JSON.parse of stdout. */
export async function okJson<T = any>(args: string[], env: Record<string, string | undefined> = {}, timeoutMs?: number): Promise<T> {
  return JSON.parse(await ok([...args, "--json"], env, timeoutMs)) as T;
}

/** A loopback port that was free a moment ago (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes (then throws). */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
