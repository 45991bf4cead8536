import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The built CLI (apps/cli/bin/staple.mjs → apps/cli/dist). */
const STAPLE_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../cli/bin/staple.mjs");

export interface RunnerProcess {
  id: string;
  child: ChildProcess;
  /** The runner's STAPLE_HOME (its runner home is `<home>/runner`). */
  home: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM (drain) and wait for exit (bounded); resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL (crash). */
  kill(): Promise<void>;
}

/**
 * Starts `staple runner` (the built CLI) as a real process with its own STAPLE_HOME against a server
 * on loopback, and resolves once it registered (its runner id). Used by the runner end-to-end,
 * multi-server and crash tests.
 */
export async function startRunnerProcess(opts: {
  url: string;
  token: string;
  labels: string[];
  args?: string[];
  env?: Record<string, string>;
  home?: string;
}): Promise<RunnerProcess> {
  if (!fs.existsSync(path.resolve(STAPLE_BIN, "../../dist/main.js")))
    throw new Error("apps/cli/dist is missing: run `npm run build` first");
  const home = opts.home ?? fs.mkdtempSync(path.join(os.tmpdir(), "staple-runner-"));
  const args = [STAPLE_BIN, "runner", ...opts.labels.flatMap((l) => ["--label", l]), "--claim-wait", "5000", ...(opts.args ?? [])];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("STAPLE_")) env[k] = v;
  const child = spawn(process.execPath, args, {
    env: { ...env, STAPLE_API_URL: opts.url, STAPLE_RUNNER_TOKEN: opts.token, STAPLE_HOME: home, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const id = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runner did not register: ${output}`)), 30_000);
    const check = () => {
      const m = /Registered runner .* \(([0-9a-f-]{36})\)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`runner exited (${code}): ${output}`));
    });
  });
  const waitExit = (ms: number) => Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), ms))]);
  return {
    id,
    child,
    home,
    output: () => output,
    async stop(timeoutMs = 30_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const code = await waitExit(timeoutMs);
      if (child.exitCode === null) {
        child.kill("SIGKILL");
        await waitExit(5_000);
      }
      return code;
    },
    async kill() {
      child.kill("SIGKILL");
      await waitExit(10_000);
    },
  };
}
