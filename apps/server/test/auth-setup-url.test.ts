import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The first start of a real server in authenticated mode logs a one-time setup URL (and no login
 * link); the owner signs up through it; the next start logs no setup URL.
 */
const SERVER_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist/main.js");
const home = fs.mkdtempSync(path.join(os.tmpdir(), "staple-setup-url-"));
const children: ChildProcess[] = [];

async function start(): Promise<{ child: ChildProcess; log: Record<string, unknown> }> {
  const child = spawn(process.execPath, [SERVER_MAIN], {
    env: {
      ...process.env,
      STAPLE_HOME: home,
      PORT: "0",
      HOST: "127.0.0.1",
      STAPLE_LOG_LEVEL: "info",
      STAPLE_DEPLOYMENT_MODE: "authenticated",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const log = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 30_000);
    child.stdout!.on("data", (d: Buffer) => {
      output += d.toString();
      const line = output.split("\n").find((l) => l.includes('"msg":"staple listening"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      }
    });
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}): ${output}`));
    });
  });
  return { child, log };
}

async function stop(child: ChildProcess) {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  fs.rmSync(home, { recursive: true, force: true });
});

describe("setup URL", () => {
  it("is logged on the first start only; the owner signs up through it", async () => {
    const first = await start();
    expect(first.log.deploymentMode).toBe("authenticated");
    expect(first.log.boardLoginUrl).toBeUndefined();
    const setupUrl = new URL(String(first.log.setupUrl));
    expect(setupUrl.pathname).toBe("/setup");
    const code = setupUrl.searchParams.get("code")!;
    const res = await fetch(`${first.log.url}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "owner@example.test", password: "correct horse battery", setupCode: code }),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { user: { isInstanceAdmin: boolean } }).user.isInstanceAdmin).toBe(true);
    await stop(first.child);

    const second = await start();
    expect(second.log.setupUrl).toBeUndefined();
    await stop(second.child);
  }, 90_000);
});
