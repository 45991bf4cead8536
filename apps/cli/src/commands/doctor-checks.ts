import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Config } from "@staple/server/dist/config.js";
import { BOARD_TOKEN_FILE } from "../credentials.js";
import { serverDist } from "./server-package.js";

/** The shape of a board API key (the server's own rule: `stb_` + 48 hex digits). */
const BOARD_TOKEN_RE = /^stb_[0-9a-f]{48}$/;

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
    : {
        name: "node",
        status: "fail",
        detail: `v${version} is too old (${required} required)`,
        fix: `install Node.js ${required} (https://nodejs.org, or \`nvm install 22\`) and run staple with it`,
      };
}

/** The server's own configuration parser, so doctor judges the environment exactly as the server will. */
export async function checkConfig(env: NodeJS.ProcessEnv): Promise<{ check: Check; config?: Config }> {
  if (!fs.existsSync(serverDist("config.js"))) {
    return {
      check: {
        name: "server build",
        status: "fail",
        detail: `${serverDist("main.js")} is missing`,
        fix: "run `npm run build` at the repository root",
      },
    };
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
      return {
        name,
        status: "fail",
        detail: `${home} is not a directory (${code})`,
        fix: `STAPLE_HOME must be a directory: remove or rename the file at ${home}, or set STAPLE_HOME to a directory (default ${other})`,
      };
    }
    return {
      name,
      status: "fail",
      detail: `${home} is not writable (${code}: ${(error as Error).message})`,
      fix: `make it writable (\`chmod u+w ${home}\`, or \`chown $USER ${home}\`), or set STAPLE_HOME to a writable directory`,
    };
  }
}

/**
 * The board token file the server writes at start: a secret, so only its owner may read it (0600).
 * No file yet is fine (the server has not started with this data dir); a readable-by-others or
 * malformed one is a failure with its fix.
 */
export function checkBoardToken(home: string): Check {
  const name = "board token";
  const file = path.join(home, BOARD_TOKEN_FILE);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { name, status: "skip", detail: `no ${file} yet: the server writes it (mode 0600) at its first start` };
    return {
      name,
      status: "fail",
      detail: `${file} cannot be inspected (${code})`,
      fix: `make ${home} accessible to you, or set STAPLE_HOME to your own data dir`,
    };
  }
  if (!stat.isFile())
    return {
      name,
      status: "fail",
      detail: `${file} is not a file`,
      fix: `remove it (\`rm -r ${file}\`): the server writes a new token file at its next start`,
    };
  const mode = stat.mode & 0o777;
  const octal = mode.toString(8).padStart(4, "0");
  if ((mode & 0o077) !== 0) {
    return {
      name,
      status: "fail",
      detail: `${file} has mode ${octal}: other users can read the board's credential`,
      fix: `chmod 600 ${file} (and, if others may have read it, delete it: the server writes a new token at its next start)`,
    };
  }
  if (typeof process.getuid === "function" && stat.uid !== process.getuid()) {
    return {
      name,
      status: "warn",
      detail: `${file} belongs to uid ${stat.uid}, not to you (uid ${process.getuid()}): the CLI cannot use it`,
      fix: "run staple as the user that runs the server, or pass --api-key",
    };
  }
  let token = "";
  try {
    token = fs.readFileSync(file, "utf8").trim();
  } catch (error) {
    return {
      name,
      status: "fail",
      detail: `${file} cannot be read (${(error as NodeJS.ErrnoException).code})`,
      fix: `chmod 600 ${file}, owned by the user that runs the server`,
    };
  }
  if (!BOARD_TOKEN_RE.test(token)) {
    return {
      name,
      status: "fail",
      detail: `${file} does not hold a board token (stb_ and 48 hex digits)`,
      fix: `delete it (\`rm ${file}\`): the server writes a new one at its next start`,
    };
  }
  return { name, status: "ok", detail: `${file} (mode ${octal}); the CLI sends it to a server on this machine` };
}

/** Opens and migrates the configured database with the server's own code, then closes it. */
export async function checkDatabase(config: Config): Promise<Check> {
  const name = "database";
  const [{ openDatabase }, { createLogger }, { DataDirBusyError }] = await Promise.all([
    import("@staple/server/dist/db/open.js"),
    import("@staple/server/dist/logger.js"),
    import("@staple/server/dist/db/data-dir-lock.js"),
  ]);
  const where = config.databaseUrl
    ? `Postgres at ${redactUrl(config.databaseUrl)}`
    : `embedded database in ${path.join(config.home, "db")}`;
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
  if (code === "EACCES")
    return {
      name,
      status: "fail",
      detail: `binding ${host}:${port} is not permitted (EACCES)`,
      fix: "ports below 1024 need privileges: use PORT=3100 (the default)",
    };
  if (code === "EADDRNOTAVAIL")
    return {
      name,
      status: "fail",
      detail: `${host} is not an address of this machine (EADDRNOTAVAIL)`,
      fix: "set HOST=127.0.0.1 (the default)",
    };
  return {
    name,
    status: "fail",
    detail: `cannot bind ${host}:${port} (${code})`,
    fix: `choose another port (PORT=${port + 1}) or host (HOST=127.0.0.1)`,
  };
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
      : {
          name: bin,
          status: "warn",
          detail: `not found on PATH: ${adapter} agents cannot run`,
          fix: `${install}, or set the agent's adapterConfig.command to its full path`,
        };
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
