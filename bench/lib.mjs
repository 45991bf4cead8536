// Shared helpers for the benchmarks: start a real Staple server process, time HTTP calls, summarize.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// BENCH_SERVER_MAIN measures another build of the server (e.g. a copy of dist from before a change).
export const SERVER_MAIN = process.env.BENCH_SERVER_MAIN
  ? path.resolve(process.env.BENCH_SERVER_MAIN)
  : path.join(ROOT, "apps/server/dist/main.js");

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
export async function startServer({ home, port, databaseUrl, env = {}, main = SERVER_MAIN }) {
  const started = performance.now();
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(" ") : []), main], {
    env: {
      ...process.env,
      STAPLE_HOME: home,
      PORT: String(port),
      HOST: "127.0.0.1",
      STAPLE_LOG_LEVEL: process.env.BENCH_SERVER_LOG_LEVEL ?? "warn",
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...env,
    },
    stdio: ["ignore", process.env.BENCH_SERVER_LOG ? "pipe" : "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  // BENCH_SERVER_LOG=file: the server's log lines (both streams) appended to that file, to see
  // what the server did during a figure (with BENCH_SERVER_LOG_LEVEL=debug, every request's time).
  if (process.env.BENCH_SERVER_LOG) {
    const log = fs.createWriteStream(process.env.BENCH_SERVER_LOG, { flags: "a" });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
  }
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
  let res;
  // One retry when the server closed an idle keep-alive connection just as it was reused
  // ("other side closed"): a race of the client's connection pool, not an answer of the server.
  for (let attempt = 0; ; attempt++) {
    try {
      res = await send(url, method, pathname, body);
      break;
    } catch (error) {
      if (attempt > 0 || error?.cause?.code !== "UND_ERR_SOCKET") throw error;
    }
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${pathname} -> ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

function send(url, method, pathname, body) {
  return fetch(url + pathname, {
    method,
    headers: {
      ...(boardTokens.has(url) ? { authorization: `Bearer ${boardTokens.get(url)}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export const round = (v, digits = 2) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);
export const median = (values) => percentile(values, 50);

// ---------------------------------------------------------------------------------------------
// Command line, repetitions, targets and the one-line summary shared by every workload.

/**
 * `--base URL` runs the HTTP workloads against that server instead of starting Staple (any
 * Paperclip-compatible server; `--token T` or BENCH_TOKEN is sent as its bearer credential),
 * `--reps N` repeats each measurement N times and reports the median, `--json` prints only JSON.
 */
export function parseArgs(argv = process.argv.slice(2)) {
  const out = { base: process.env.BENCH_BASE, token: process.env.BENCH_TOKEN, reps: undefined, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--base") out.base = argv[++i];
    else if (a === "--token") out.token = argv[++i];
    else if (a === "--reps") out.reps = Number(argv[++i]);
    else if (a === "--json") out.json = true;
    else if (a === "--postgres") out.databaseUrl = process.env.BENCH_DATABASE_URL;
  }
  if (out.base) out.base = out.base.replace(/\/+$/, "");
  if (out.reps !== undefined && !(Number.isInteger(out.reps) && out.reps > 0)) throw new Error("--reps must be a positive integer");
  out.databaseUrl ??= process.env.BENCH_DATABASE_URL;
  return out;
}

/**
 * The server a workload runs against: `base` (already running, never stopped here) or a fresh
 * Staple process on a temp home. `fn({url, home, child})`; the Staple process is stopped after.
 */
export async function withServer({ base, token, databaseUrl, label, env }, fn) {
  if (base) {
    if (token) boardTokens.set(base, token);
    return fn({ url: base, home: null, child: null, external: true });
  }
  const home = tempHome(label);
  const server = await startServer({ home, port: await freePort(), databaseUrl, env });
  try {
    return await fn({ url: server.url, home, child: server.child, external: false });
  } finally {
    await stopServer(server.child);
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** Runs `fn(rep)` `reps` times; returns the list of results. */
export async function repeat(reps, fn) {
  const out = [];
  for (let i = 0; i < reps; i++) out.push(await fn(i));
  return out;
}

/** Median of one numeric field across repetitions (each rep an object). */
export const medianOf = (list, key) => round(median(list.map((r) => (typeof key === "function" ? key(r) : r[key]))));

/**
 * A figure with its target: `{label, value, unit, target, better: "lower"|"higher"}`; `met` is
 * null when there is no value. The summary line puts the target beside each figure with ✓/✗.
 */
export function figure(label, value, unit, target, better = "lower") {
  const met = value === null || value === undefined || target === undefined ? null : better === "lower" ? value <= target : value >= target;
  return { label, value, unit, target, better, met };
}

export function summaryLine(name, figures) {
  const fmt = (v) => (typeof v === "number" ? (Math.abs(v) >= 100 ? String(Math.round(v)) : String(round(v, 2))) : String(v));
  const parts = figures.map((f) => {
    const cmp = f.better === "lower" ? "≤" : "≥";
    const mark = f.met === null ? "·" : f.met ? "✓" : "✗";
    const target =
      f.target === undefined
        ? ""
        : typeof f.value === "string"
          ? ` (target ${f.targetLabel ?? fmt(f.target)})`
          : ` (${cmp} ${fmt(f.target)})`;
    return `${f.label} ${fmt(f.value)}${f.unit ? ` ${f.unit}` : ""}${target} ${mark}`;
  });
  return `${name}: ${parts.join(" | ")}`;
}

/** Prints a workload's result: the JSON, then its one-line summary (to stderr when --json). */
export function report(result) {
  console.log(JSON.stringify(result, null, 2));
  if (result.figures) {
    const line = summaryLine(`${result.workload} [${result.database ?? "?"}]`, result.figures);
    console.error(line);
  }
}

/** Whether this module is the script node was started with. */
export const isMain = (metaUrl) => metaUrl === `file://${process.argv[1]}`;

/** Sums the proportional set size (KiB) of pid and its descendants, from /proc/<pid>/smaps_rollup. */
export function processTree(rootPid) {
  const children = new Map();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  const out = [];
  const stack = [rootPid];
  while (stack.length > 0 && out.length < 10_000) {
    const pid = stack.pop();
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

export function pssKiB(pids) {
  let total = 0;
  const per = {};
  for (const pid of pids) {
    try {
      const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      const m = /^Pss:\s+(\d+) kB/m.exec(text);
      if (m) {
        per[pid] = Number(m[1]);
        total += Number(m[1]);
      }
    } catch {
      /* exited meanwhile */
    }
  }
  return { total, per };
}

/** CPU ticks (utime + stime) of the given processes; with os clock ticks of 100 Hz. */
export function cpuTicks(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* exited meanwhile */
    }
  }
  return ticks;
}

/** Bounded wait (ms). */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
