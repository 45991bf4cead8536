import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Config } from "@staple/server/dist/config.js";
import { serverDist } from "./server-package.js";

/**
 * The individual `staple doctor` checks. Invariants: each check returns (never throws), a `fail`
 * always carries a `fix` that says exactly what to do, checks that depend on a failed one are
 * `skip`ped rather than failing twice, and nothing is left running (the database is closed, the
 * probe socket released).
 */

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export const MIN_NODE = [20, 19] as const;
const DB_TIMEOUT_MS = 60_000;

export function checkNode(version = process.versions.node): Check {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  const required = `${MIN_NODE.join(".")} or newer`;
  return ok
    ? { name: "node", status: "ok", detail: `v${version} (${required} required)` }
    : { name: "node", status: "fail", detail: `v${version} is too old (${required} required)`, fix: `install Node.js ${required} (https://nodejs.org, or \`nvm install 22\`) and run staple with it` };
}

/** The server's own configuration parser, so doctor judges the environment exactly as the server will. */
export async function checkConfig(env: NodeJS.ProcessEnv): Promise<{ check: Check; config?: Config }> {
  if (!fs.existsSync(serverDist("config.js"))) {
    return { check: { name: "server build", status: "fail", detail: `${serverDist("main.js")} is missing`, fix: "run `npm run build` at the repository root" } };
  }
  const { loadConfig, ConfigError } = await import("@staple/server/dist/config.js");
  try {
    const config = loadConfig(env);
    const where = config.databaseUrl ? `Postgres (${redactUrl(config.databaseUrl)})` : "embedded database";
    return { check: { name: "config", status: "ok", detail: `${config.host}:${config.port}, ${where}, home ${config.home}` }, config };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { check: { name: "config", status: "fail", detail: "the environment is invalid", fix: error.message } };
  }
}

/** STAPLE_HOME (data dir) must be a directory we can create files in. */
export function checkDataDir(home: string): Check {
  const name = "data dir";
  try {
    fs.mkdirSync(home, { recursive: true });
    const probe = path.join(home, `.doctor-${process.pid}`);
    fs.writeFileSync(probe, "ok");
    fs.unlinkSync(probe);
    return { name, status: "ok", detail: `${home} is writable` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    const other = path.join(os.homedir(), ".staple");
    if (code === "ENOTDIR" || code === "EEXIST") {
      return { name, status: "fail", detail: `${home} is not a directory (${code})`, fix: `STAPLE_HOME must be a directory: remove or rename the file at ${home}, or set STAPLE_HOME to a directory (default ${other})` };
    }
    return {
      name,
      status: "fail",
      detail: `${home} is not writable (${code}: ${(error as Error).message})`,
      fix: `make it writable (\`chmod u+w ${home}\`, or \`chown $USER ${home}\`), or set STAPLE_HOME to a writable directory`,
    };
  }
}

/** Opens and migrates the configured database with the server's own code, then closes it. */
export async function checkDatabase(config: Config): Promise<Check> {
  const name = "database";
  const [{ openDatabase }, { createLogger }, { DataDirBusyError }] = await Promise.all([
    import("@staple/server/dist/db/open.js"),
    import("@staple/server/dist/logger.js"),
    import("@staple/server/dist/db/data-dir-lock.js"),
  ]);
  const where = config.databaseUrl ? `Postgres at ${redactUrl(config.databaseUrl)}` : `embedded database in ${path.join(config.home, "db")}`;
  let timer: NodeJS.Timeout | undefined;
  try {
    const opening = openDatabase(config, createLogger("silent"));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${DB_TIMEOUT_MS / 1000} s`)), DB_TIMEOUT_MS);
    });
    const opened = await Promise.race([opening, timeout]);
    await opened.close();
    const applied = opened.applied.length ? `${opened.applied.length} migration(s) applied now` : "schema up to date";
    return { name, status: "ok", detail: `${where} opens and migrates (${applied})` };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof DataDirBusyError) return { name, status: "fail", detail: `${where} is in use`, fix: message };
    const fix = config.databaseUrl
      ? "check DATABASE_URL (postgres://user:pass@host:5432/db): the server must be reachable and the user allowed to create tables; or unset it to use the embedded database"
      : `the data may be damaged or from a newer Staple: move it aside (\`mv ${path.join(config.home, "db")} ${path.join(config.home, "db.bak")}\`) to start fresh, or set STAPLE_HOME to another directory`;
    return { name, status: "fail", detail: `${where} could not be opened: ${message}`, fix };
  } finally {
    clearTimeout(timer);
  }
}

/** The port the server would bind must be free (PORT=0 means "any free port": nothing to check). */
export async function checkPort(host: string, port: number): Promise<Check> {
  const name = "port";
  if (port === 0) return { name, status: "ok", detail: "PORT=0: the server picks a free port" };
  const code = await new Promise<string | null>((resolve) => {
    const server = net.createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
  if (code === null) return { name, status: "ok", detail: `${host}:${port} is free` };
  if (code === "EADDRINUSE") {
    const staple = await probeStaple(host, port);
    return {
      name,
      status: "fail",
      detail: `${host}:${port} is in use${staple ? ` by a running Staple server (${staple})` : ""}`,
      fix: staple
        ? `a Staple server is already running at http://${host}:${port}: use it (STAPLE_API_URL=http://${host}:${port}), stop it, or start another with PORT=${port + 1}`
        : `stop the process using it (find it with \`lsof -i :${port}\`), or choose a free port: PORT=${port + 1} staple start`,
    };
  }
  if (code === "EACCES") return { name, status: "fail", detail: `binding ${host}:${port} is not permitted (EACCES)`, fix: "ports below 1024 need privileges: use PORT=3100 (the default)" };
  if (code === "EADDRNOTAVAIL") return { name, status: "fail", detail: `${host} is not an address of this machine (EADDRNOTAVAIL)`, fix: "set HOST=127.0.0.1 (the default)" };
  return { name, status: "fail", detail: `cannot bind ${host}:${port} (${code})`, fix: `choose another port (PORT=${port + 1}) or host (HOST=127.0.0.1)` };
}

async function probeStaple(host: string, port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://${host.includes(":") ? `[${host}]` : host}:${port}/api/health`, { signal: AbortSignal.timeout(1_000) });
    const body = (await res.json()) as { version?: string; database?: string };
    return body && typeof body.version === "string" ? `version ${body.version}, ${body.database ?? "?"} database` : undefined;
  } catch {
    return undefined;
  }
}

const ADAPTER_BINARIES = [
  { bin: "claude", adapter: "claude_local", install: "npm install -g @anthropic-ai/claude-code" },
  { bin: "codex", adapter: "codex_local", install: "npm install -g @openai/codex" },
] as const;

/** Adapter CLIs on PATH. Missing ones are warnings: only agents using that adapter need them. */
export function checkAdapterBinaries(env: NodeJS.ProcessEnv): Check[] {
  return ADAPTER_BINARIES.map(({ bin, adapter, install }) => {
    const found = findOnPath(bin, env.PATH ?? "");
    return found
      ? { name: bin, status: "ok", detail: `${found} (adapter ${adapter})` }
      : { name: bin, status: "warn", detail: `not found on PATH: ${adapter} agents cannot run`, fix: `${install}, or set the agent's adapterConfig.command to its full path` };
  });
}

export function findOnPath(bin: string, pathVar: string): string | undefined {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, bin);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** postgres://user:secret@host/db → postgres://user:***@host/db */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = "***";
    return url.href;
  } catch {
    return "(unparseable URL)";
  }
}
