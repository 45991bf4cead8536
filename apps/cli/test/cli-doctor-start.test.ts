import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { STAPLE_BIN, freePort, runCli } from "./helpers/cli.js";

const temp = fs.mkdtempSync(path.join(os.tmpdir(), "staple-cli-doctor-"));
afterAll(() => fs.rmSync(temp, { recursive: true, force: true }));

/** Doctor's environment: a private STAPLE_HOME and PORT, never the embedded default or a DATABASE_URL. */
function doctorEnv(extra: Record<string, string>): Record<string, string | undefined> {
  return { DATABASE_URL: undefined, HOST: undefined, STAPLE_DEPLOYMENT_MODE: undefined, ...extra };
}

describe("staple doctor", () => {
  it("passes with a fresh data dir and a free port (the database is opened and migrated)", async () => {
    const home = path.join(temp, "fresh-home");
    const port = await freePort();
    const r = await runCli(["doctor"], doctorEnv({ STAPLE_HOME: home, PORT: String(port) }), 60_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok\s+node\s+v\d+\.\d+\.\d+ \(20\.19 or newer required\)$/m);
    expect(r.stdout).toMatch(new RegExp(`^ok\\s+data dir\\s+${home} is writable$`, "m"));
    expect(r.stdout).toMatch(new RegExp(`^ok\\s+database\\s+embedded database in ${path.join(home, "db")} opens and migrates`, "m"));
    expect(r.stdout).toMatch(new RegExp(`^ok\\s+port\\s+127\\.0\\.0\\.1:${port} is free$`, "m"));
    expect(r.stdout).toMatch(/^All checks passed/m);
    expect(fs.existsSync(path.join(home, "db"))).toBe(true);
    expect(fs.existsSync(path.join(home, "server.pid"))).toBe(false); // the lock was released
    const json = JSON.parse((await runCli(["doctor", "--json"], doctorEnv({ STAPLE_HOME: home, PORT: String(port) }), 60_000)).stdout);
    expect(json.ok).toBe(true);
    expect(json.checks.map((c: { name: string }) => c.name)).toEqual([
      "node",
      "config",
      "data dir",
      "board token",
      "database",
      "port",
      "claude",
      "codex",
    ]);
    expect(r.stdout).toMatch(
      new RegExp(
        `^skip\\s+board token\\s+no ${path.join(home, "board-token")} yet: the server writes it \\(mode 0600\\) at its first start$`,
        "m",
      ),
    );
  });

  it("checks the board token file: 0600 is ok, readable by others fails with the chmod fix", async () => {
    const home = path.join(temp, "token-home");
    fs.mkdirSync(home, { recursive: true });
    const file = path.join(home, "board-token");
    fs.writeFileSync(file, `stb_${"1f".repeat(24)}\n`, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    const good = await runCli(["doctor"], doctorEnv({ STAPLE_HOME: home, PORT: String(await freePort()) }), 60_000);
    expect(good.stdout).toMatch(new RegExp(`^ok\\s+board token\\s+${file} \\(mode 0600\\)`, "m"));
    fs.chmodSync(file, 0o644);
    const bad = await runCli(["doctor", "--home", home], doctorEnv({ PORT: String(await freePort()) }), 60_000);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      new RegExp(`^FAIL\\s+board token\\s+${file} has mode 0644: other users can read the board's credential$`, "m"),
    );
    expect(bad.stdout).toContain(`fix: chmod 600 ${file}`);
  });

  it("missing adapter binaries are warnings, found ones are ok", async () => {
    const bin = path.join(temp, "bin");
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, "claude"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const r = await runCli(
      ["doctor"],
      doctorEnv({ STAPLE_HOME: path.join(temp, "adapters-home"), PORT: String(await freePort()), PATH: bin }),
      60_000,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^ok\\s+claude\\s+${path.join(bin, "claude")} \\(adapter claude_local\\)$`, "m"));
    expect(r.stdout).toMatch(/^warn\s+codex\s+not found on PATH: codex_local agents cannot run$/m);
    expect(r.stdout).toMatch(/^\s+fix: npm install -g @openai\/codex/m);
    expect(r.stdout).toMatch(/^All checks passed \(1 warning\)\.$/m);
  });

  it("fails with the fix when the data dir is not a directory", async () => {
    const file = path.join(temp, "not-a-dir");
    fs.writeFileSync(file, "x");
    const r = await runCli(["doctor"], doctorEnv({ STAPLE_HOME: file, PORT: String(await freePort()) }), 60_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAIL\\s+data dir\\s+${file} is not a directory`, "m"));
    expect(r.stdout).toContain(`fix: STAPLE_HOME must be a directory: remove or rename the file at ${file}`);
    expect(r.stdout).toMatch(/^skip\s+database\s+skipped: the data dir is not usable$/m);
    expect(r.stdout).toMatch(/^1 check failed/m);
  });

  it("fails with the fix when the port is taken", async () => {
    const blocker = net.createServer((socket) => socket.destroy()); // drop the probe connection doctor makes
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await runCli(["doctor"], doctorEnv({ STAPLE_HOME: path.join(temp, "port-home"), PORT: String(port) }), 60_000);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`^FAIL\\s+port\\s+127\\.0\\.0\\.1:${port} is in use$`, "m"));
      expect(r.stdout).toContain(
        `fix: stop the process using it (find it with \`lsof -i :${port}\`), or choose a free port: PORT=${port + 1} staple start`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("reports an invalid environment with the server's own message", async () => {
    const r = await runCli(["doctor"], doctorEnv({ STAPLE_HOME: path.join(temp, "config-home"), PORT: "not-a-port" }), 60_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL\s+config\s+the environment is invalid$/m);
    expect(r.stdout).toContain('fix: PORT must be an integer between 0 and 65535 (got "not-a-port")');
    expect(r.stdout).toMatch(/^skip\s+port\s+/m);
  });
});

describe("staple start", () => {
  it("runs the built server in the foreground and stops it gracefully on SIGTERM", async () => {
    const home = path.join(temp, "start-home");
    const child = spawn(process.execPath, [STAPLE_BIN, "start", "--port", "0", "--home", home], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "staple listening" line: ${output}`)), 30_000);
        child.stdout.on("data", () => {
          const m = /"msg":"staple listening","url":"([^"]+)"/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      // A human line with the board's one-time login link follows the JSON line (stderr), and it works.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no login link line: ${output}`)), 10_000);
        const check = () => /Open the board \(one-time sign-in link\): /.test(output) && (clearTimeout(timer), resolve());
        check();
        child.stderr.on("data", check);
      });
      expect(output).toContain(`Staple is running at ${url}`);
      expect(output).toContain(`The CLI and curl use the board token in ${path.join(home, "board-token")}`);
      expect(output).toContain(`npx staple board --home ${home}`);
      const link = new RegExp(`Open the board \\(one-time sign-in link\\): (${url}/api/board/login\\?code=\\S+)`).exec(output)![1]!;
      const redeemed = await fetch(link, { redirect: "manual" });
      expect(redeemed.status).toBe(303);
      expect(redeemed.headers.get("set-cookie")).toMatch(/^staple_session=/);
      const health = await fetch(`${url}/api/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok", database: "embedded" });
      expect(fs.readFileSync(path.join(home, "server.pid"), "utf8")).not.toBe(String(child.pid)); // the server is a child process
      child.kill("SIGTERM");
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), 30_000))]);
      expect(code).toBe(0);
      expect(output).toContain('"msg":"stopped"');
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
