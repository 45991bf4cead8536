import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { httpJson, startServerProcess } from "../helpers/server-process.js";

const SERVER_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/main.js");

/** Runs the server binary to completion (it is expected to refuse to start). */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER_MAIN], { env: { ...process.env, STAPLE_LOG_LEVEL: "warn", ...env }, stdio: ["ignore", "ignore", "pipe"] });
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
