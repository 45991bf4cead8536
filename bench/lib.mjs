// Shared helpers for the benchmarks: start a real Staple server process, time HTTP calls, summarize.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const SERVER_MAIN = path.join(ROOT, "apps/server/dist/main.js");

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function tempHome(label) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `staple-bench-${label}-`));
}

/**
 * Board tokens of the servers started here, by URL. The server is closed by default: `api()` sends
 * the board token it wrote to `<home>/board-token` at start (as the CLI and curl do).
 */
const boardTokens = new Map();

function readBoardToken(home) {
  try {
    return fs.readFileSync(path.join(home, "board-token"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Starts the server; resolves once /api/health answers ok, with the elapsed milliseconds. */
export async function startServer({ home, port, databaseUrl, env = {} }) {
  const started = performance.now();
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(" ") : []), SERVER_MAIN], {
    env: {
      ...process.env,
      STAPLE_HOME: home,
      PORT: String(port),
      HOST: "127.0.0.1",
      STAPLE_LOG_LEVEL: "warn",
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 3000; i++) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}): ${stderr}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) {
        const readyMs = performance.now() - started;
        // The token file is written before the server listens, so it is there once health answers.
        const boardToken = readBoardToken(home);
        if (!boardToken) throw new Error(`no board token in ${path.join(home, "board-token")} after start`);
        boardTokens.set(url, boardToken);
        return { child, url, readyMs, boardToken };
      }
    } catch {
      /* not yet listening */
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill("SIGKILL");
  throw new Error(`server did not become healthy: ${stderr}`);
}

export function stopServer(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

export async function api(url, method, pathname, body) {
  const res = await fetch(url + pathname, {
    method,
    headers: {
      ...(boardTokens.has(url) ? { authorization: `Bearer ${boardTokens.get(url)}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${pathname} -> ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export const round = (v, digits = 2) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);
export const median = (values) => percentile(values, 50);
