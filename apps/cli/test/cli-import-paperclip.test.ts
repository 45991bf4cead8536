import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { httpJson, type ServerProcess, startServerProcess } from "../../server/test/helpers/server-process.js";
import { openInstance } from "../src/commands/import-paperclip-read.js";
import { STAPLE_BIN } from "./helpers/cli.js";

/**
 * `staple import paperclip --data-dir`: finding a Paperclip instance's database from its folder.
 * The last case is a real stopped Postgres cluster laid out like Paperclip's embedded one (role and
 * database `paperclip`), holding only a few of Paperclip's columns: the CLI starts it on a free
 * port, reads what exists, stops it again, and the company lands in a Staple server.
 */
const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

function tempDir(prefix: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe("finding a Paperclip instance's database", () => {
  it("uses the connection string of an instance configured for an external Postgres", async () => {
    const dir = tempDir("pc-instance-");
    fs.writeFileSync(
      path.join(dir, "config.json"),
      JSON.stringify({ database: { mode: "postgres", connectionString: "postgres://u:p@127.0.0.1:5999/pc" } }),
    );
    const instance = await openInstance(dir);
    expect(instance.connectionString).toBe("postgres://u:p@127.0.0.1:5999/pc");
  });

  it("reuses a running embedded Postgres on its configured port", async () => {
    const dir = tempDir("pc-instance-");
    const db = path.join(dir, "db");
    fs.mkdirSync(db);
    fs.writeFileSync(path.join(db, "PG_VERSION"), "17\n");
    fs.writeFileSync(path.join(db, "postmaster.pid"), `${process.pid}\n${db}\n`);
    fs.writeFileSync(
      path.join(dir, "config.json"),
      JSON.stringify({ database: { mode: "embedded-postgres", embeddedPostgresDataDir: db, embeddedPostgresPort: 54444 } }),
    );
    const instance = await openInstance(dir);
    expect(instance.connectionString).toBe("postgres://paperclip:paperclip@127.0.0.1:54444/paperclip");
  });

  it("says clearly when the folder is not a Paperclip instance", async () => {
    await expect(openInstance(tempDir("pc-empty-"))).rejects.toThrow(/is not a Paperclip instance folder/);
  });
});

/** initdb and pg_ctl, from Debian's layout or PATH. */
function pgBin(): string | null {
  const dirs = fs.existsSync("/usr/lib/postgresql")
    ? fs
        .readdirSync("/usr/lib/postgresql")
        .sort()
        .reverse()
        .map((v) => `/usr/lib/postgresql/${v}/bin`)
    : [];
  dirs.push(...(process.env.PATH ?? "").split(path.delimiter));
  return dirs.find((d) => d && fs.existsSync(path.join(d, "initdb")) && fs.existsSync(path.join(d, "pg_ctl"))) ?? null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const BIN = pgBin();
const ROOT = process.getuid?.() === 0;
// Postgres refuses to run as root: as root, the cluster and the CLI run as `nobody`.
const asUser = (cmd: string, args: string[]) =>
  ROOT ? (["runuser", ["-u", "nobody", "--", cmd, ...args]] as const) : ([cmd, args] as const);

describe("staple import paperclip --data-dir on a stopped embedded Postgres", () => {
  let server: ServerProcess;
  it.skipIf(!BIN)(
    "starts it on a free port, reads only the columns it has, imports, and stops it again",
    async () => {
      const instanceDir = tempDir("pc-stopped-");
      fs.chmodSync(instanceDir, 0o755);
      const dataDir = path.join(instanceDir, "db");
      if (ROOT) execFileSync("chown", ["nobody", instanceDir]);
      const run = (cmd: string, args: string[]) => {
        const [c, a] = asUser(path.join(BIN!, cmd), args);
        return execFileSync(c, [...a], { stdio: "pipe" });
      };
      run("initdb", ["-D", dataDir, "-U", "paperclip", "--auth=trust", "-E", "UTF8", "--no-sync"]);
      const port = await freePort();
      run("pg_ctl", [
        "-D",
        dataDir,
        "-w",
        "-l",
        path.join(instanceDir, "pg.log"),
        "-o",
        `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${instanceDir}`,
        "start",
      ]);
      cleanup.push(() => {
        try {
          run("pg_ctl", ["-D", dataDir, "-m", "immediate", "stop"]);
        } catch {}
      });
      const admin = new pg.Client({ connectionString: `postgres://paperclip@127.0.0.1:${port}/postgres` });
      await admin.connect();
      await admin.query("CREATE DATABASE paperclip");
      await admin.end();
      // An older, smaller schema: most of the columns the reader knows are absent.
      const db = new pg.Client({ connectionString: `postgres://paperclip@127.0.0.1:${port}/paperclip` });
      await db.connect();
      await db.query(`
      CREATE TABLE companies (id uuid PRIMARY KEY, name text, issue_prefix text);
      CREATE TABLE agents (id uuid PRIMARY KEY, company_id uuid, name text, role text, adapter_type text, adapter_config jsonb, reports_to uuid);
      CREATE TABLE issues (id uuid PRIMARY KEY, company_id uuid, title text, status text, identifier text, assignee_agent_id uuid);
      INSERT INTO companies VALUES ('00000000-0000-4000-8000-000000000001', 'Stopped Co', 'STO');
      INSERT INTO agents VALUES ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'Solo', 'engineer', 'process', '{"command":"echo"}', NULL);
      INSERT INTO issues VALUES ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001', 'First', 'todo', 'STO-4', '00000000-0000-4000-8000-000000000002');
    `);
      await db.end();
      run("pg_ctl", ["-D", dataDir, "-w", "stop"]);
      expect(fs.existsSync(path.join(dataDir, "postmaster.pid"))).toBe(false);
      fs.writeFileSync(
        path.join(instanceDir, "config.json"),
        JSON.stringify({ database: { mode: "embedded-postgres", embeddedPostgresDataDir: dataDir, embeddedPostgresPort: 1 } }),
      );
      if (ROOT) execFileSync("chown", ["nobody", path.join(instanceDir, "config.json")]);

      server = await startServerProcess({});
      cleanup.push(() => server.stop());
      const [cmd, args] = asUser(process.execPath, [STAPLE_BIN, "import", "paperclip", "--data-dir", instanceDir, "--apply", "--json"]);
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(cmd, [...args], {
          env: { PATH: process.env.PATH ?? "", HOME: instanceDir, STAPLE_API_URL: server.url, STAPLE_API_KEY: server.boardToken },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`timed out: ${stdout} ${stderr}`));
        }, 90_000);
        child.once("exit", (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
      expect(result.code, result.stderr).toBe(0);
      const { companies } = JSON.parse(result.stdout);
      expect(companies[0].result.company).toMatchObject({ name: "Stopped Co", issuePrefix: "STO" });
      expect(companies[0].result.issues.map((i: any) => i.identifier)).toEqual(["STO-4"]);
      const issue = await httpJson(server.url, "GET", `/api/issues/${companies[0].result.issues[0].id}`);
      expect(issue.body.assigneeAgentId).toBe(companies[0].result.agents[0].id);
      // The temporary Postgres was stopped again: the cluster is as it was found.
      expect(fs.existsSync(path.join(dataDir, "postmaster.pid"))).toBe(false);
    },
    180_000,
  );
});
