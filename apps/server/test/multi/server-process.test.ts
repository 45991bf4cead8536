import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { statFields } from "../../../../test-support/procs.js";
import { httpJson, startServerProcess } from "../helpers/server-process.js";

const SERVER_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/main.js");

/** Runs the server binary to completion (it is expected to refuse to start). */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER_MAIN], {
      env: { ...process.env, STAPLE_LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const tmpHome = () => fs.mkdtempSync(path.join(os.tmpdir(), "staple-proc-test-"));

/** A live process that is not a Staple server (killed by the caller). */
async function spawnLive(command: string, args: string[]) {
  const child = spawn(command, args, { stdio: "ignore" });
  await new Promise<void>((resolve, reject) => child.once("spawn", resolve).once("error", reject));
  return child;
}

/** Field 22 of /proc/<pid>/stat (the process start time), as the lock records it. */
function startTimeOf(pid: number): string {
  return statFields(pid)![19]!;
}

describe("the server process", () => {
  it("exits with a clear message when the port is taken (never picks another)", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const result = await runToExit({ STAPLE_HOME: tmpHome(), PORT: String(port), HOST: "127.0.0.1" });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Port ${port}`);
      expect(result.stderr).toContain("already in use");
    } finally {
      blocker.close();
    }
  }, 60_000);

  it("refuses a second server on the same embedded data directory", async () => {
    const home = tmpHome();
    const first = await startServerProcess({}, home);
    try {
      const result = await runToExit({ STAPLE_HOME: home, PORT: "0", HOST: "127.0.0.1" });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Another Staple server \(pid \d+\) is using/);
      expect((await httpJson(first.url, "GET", "/api/health")).status).toBe(200);
    } finally {
      await first.stop();
    }
  }, 60_000);

  // D15 of the December probe: a pid file naming any live process used to block start-up.
  it.runIf(process.platform === "linux")(
    "takes over a pid file that names a live process which is not a Staple server",
    async () => {
      const sleeper = await spawnLive("sleep", ["30"]);
      try {
        for (const content of [
          String(sleeper.pid), // the legacy format: the pid alone
          JSON.stringify({ app: "staple-server", pid: sleeper.pid, startTime: "1" }), // ours, but the pid was reused since
        ]) {
          const home = tmpHome();
          fs.writeFileSync(path.join(home, "server.pid"), content);
          const server = await startServerProcess({}, home);
          try {
            expect((await httpJson(server.url, "GET", "/api/health")).status).toBe(200);
            const lock = JSON.parse(fs.readFileSync(path.join(home, "server.pid"), "utf8"));
            expect(lock).toMatchObject({ app: "staple-server", pid: server.child.pid, startTime: startTimeOf(server.child.pid!) });
          } finally {
            await server.stop();
          }
        }
      } finally {
        sleeper.kill("SIGKILL");
      }
    },
    120_000,
  );

  it.runIf(process.platform === "linux")(
    "still refuses a pid file naming a live Staple server, in either format",
    async () => {
      const home = tmpHome();
      const first = await startServerProcess({}, home);
      try {
        const lockFile = path.join(home, "server.pid");
        expect(JSON.parse(fs.readFileSync(lockFile, "utf8")).startTime).toBe(startTimeOf(first.child.pid!));
        const marked = await runToExit({ STAPLE_HOME: home, PORT: "0", HOST: "127.0.0.1" });
        expect(marked.code).toBe(1);
        expect(marked.stderr).toContain(`Another Staple server (pid ${first.child.pid}) is using`);
        // A pid file from an older version (the pid alone) naming a live Node process is respected too.
        fs.writeFileSync(lockFile, String(first.child.pid));
        const legacy = await runToExit({ STAPLE_HOME: home, PORT: "0", HOST: "127.0.0.1" });
        expect(legacy.code).toBe(1);
        expect(legacy.stderr).toContain(`Another Staple server (pid ${first.child.pid}) is using`);
        expect((await httpJson(first.url, "GET", "/api/health")).status).toBe(200);
      } finally {
        await first.stop();
      }
    },
    90_000,
  );

  it("rejects bad configuration before opening anything", async () => {
    const badPort = await runToExit({ STAPLE_HOME: tmpHome(), PORT: "nope" });
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain("PORT must be an integer");
    const exposed = await runToExit({ STAPLE_HOME: tmpHome(), PORT: "0", HOST: "0.0.0.0" });
    expect(exposed.code).toBe(2);
    expect(exposed.stderr).toContain("board access");
  }, 60_000);

  it("shuts down gracefully on SIGTERM and keeps its data for the next start", async () => {
    const home = tmpHome();
    const first = await startServerProcess({}, home);
    const company = await httpJson(first.url, "POST", "/api/companies", { name: "Durable Co" });
    expect(company.status).toBe(201);
    first.child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => first.child.once("exit", (c) => r(c)));
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(home, "server.pid"))).toBe(false);
    const second = await startServerProcess({}, home);
    try {
      const list = await httpJson<{ name: string }[]>(second.url, "GET", "/api/companies");
      expect(list.body.map((c) => c.name)).toContain("Durable Co");
    } finally {
      await second.stop();
    }
  }, 90_000);
});
