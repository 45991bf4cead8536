import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, expect, onTestFailed } from "vitest";
import { isProcessGroupAlive } from "@staple/adapter-kit";
import { openEmbedded } from "../../src/db/embedded.js";
import { createTestDatabase, onPostgres, type TestDatabase } from "./test-db.js";
import { boardAuth, startServerProcess, type ServerProcess } from "./server-process.js";

/**
 * Shared setup of the crash-recovery lane (test/crash/crash-recovery-*.test.ts): sites of server
 * processes sharing one data directory or database, the agents' journal, and HTTP helpers.
 */

export const ON_PG = onPostgres();
export const DB_KIND = ON_PG ? "postgres" : "embedded";
export const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);
export const LIVE = new Set(["queued", "running", "scheduled_retry"]);
export const LEASE_MS = 1500;
export const SCHEDULER_MS = 250;
export const SERVER_ENV = {
  STAPLE_LEASE_MS: String(LEASE_MS),
  STAPLE_SCHEDULER_INTERVAL_MS: String(SCHEDULER_MS),
  PAPERCLIP_AGENT_JWT_SECRET: "crash-recovery-secret",
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy; throws with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await sleep(everyMs);
  }
}

/** One HTTP call with a bounded wait; network errors reject. */
export async function call<T = any>(url: string, method: string, pathname: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url + pathname, {
    method,
    headers: { ...boardAuth(url), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

export interface Run {
  id: string;
  agentId: string;
  status: string;
  errorCode: string | null;
  error: string | null;
  wakeupRequestId: string | null;
  retryOfRunId: string | null;
  processLossRetryCount: number;
  processPid?: number | null;
  processGroupId?: number | null;
  taskKey?: string | null;
  contextSnapshot: Record<string, unknown> | null;
}

export const getRun = async (url: string, id: string): Promise<Run> => {
  const res = await call<Run>(url, "GET", `/api/heartbeat-runs/${id}`);
  if (res.status !== 200) throw new Error(`GET run ${id} -> ${res.status}`);
  return res.body;
};
export const listRuns = async (url: string, companyId: string, agentId?: string): Promise<Run[]> => {
  const res = await call<Run[]>(url, "GET", `/api/companies/${companyId}/heartbeat-runs?limit=1000${agentId ? `&agentId=${agentId}` : ""}`);
  if (res.status !== 200) throw new Error(`GET runs -> ${res.status}`);
  return res.body;
};

/** Lines of the agents' journal: [kind, runId, pid]. */
export function readJournal(file: string): { kind: string; runId: string; pid: number }[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [kind, runId, pid] = l.split(" ");
      return { kind: kind!, runId: runId!, pid: Number(pid) };
    });
}
export const count = (lines: { kind: string; runId: string }[], kind: string, runId: string) =>
  lines.filter((l) => l.kind === kind && l.runId === runId).length;

/** The agent script: journal start, sleep (`sleepExpr`: shell code), journal end. Never writes to stdout. */
export const agentScript = (journal: string, sleepCmd: string) =>
  `echo "start $PAPERCLIP_RUN_ID $$" >> '${journal}'; ${sleepCmd}; echo "end $PAPERCLIP_RUN_ID $$" >> '${journal}'`;

/** Seeded PRNG: the fault schedule of a failing run reproduces with CRASH_SEED. */
export { mulberry32 } from "../../../../test-support/prng.js";

/**
 * The data a sequence of server processes shares: a STAPLE_HOME (embedded database, run logs) and,
 * on the Postgres lane, an isolated database. Tracks every server and journal for cleanup.
 */
export interface Site {
  home: string;
  dir: string;
  journal: string;
  tdb: TestDatabase | null;
  servers: ServerProcess[];
  logs: string[];
  start(): Promise<ServerProcess>;
  /** Rows from the shared database. Embedded: only while no server has it open. */
  query<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
}

const sites: Site[] = [];

export async function createSite(name: string): Promise<Site> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `staple-crash-${name}-`));
  const home = path.join(dir, "home");
  const tdb = ON_PG ? await createTestDatabase() : null;
  const env: Record<string, string> = { ...SERVER_ENV, ...(tdb ? { DATABASE_URL: tdb.url! } : {}) };
  const site: Site = {
    home,
    dir,
    journal: path.join(dir, "journal.log"),
    tdb,
    servers: [],
    logs: [],
    async start() {
      const server = await startServerProcess(env, home);
      const n = site.servers.push(server);
      const tag = `[server ${n} pid ${server.child.pid}] `;
      site.logs.push(`${tag}listening on ${server.url}`);
      const keep = (d: Buffer) => {
        for (const line of d.toString().split("\n")) if (line && !line.includes('"level":"info"')) site.logs.push(tag + line);
        if (site.logs.length > 400) site.logs.splice(0, site.logs.length - 400);
      };
      server.child.stdout!.on("data", keep);
      server.child.stderr!.on("data", keep);
      return server;
    },
    async query<T>(sql: string, params: unknown[] = []) {
      if (tdb) return tdb.db.query<T>(sql, params);
      if (site.servers.some((s) => s.child.exitCode === null && s.child.signalCode === null)) {
        throw new Error("the embedded database is open in a running server");
      }
      const db = await openEmbedded({ dataDir: path.join(home, "db") });
      try {
        return await db.query<T>(sql, params);
      } finally {
        await db.close();
      }
    },
  };
  sites.push(site);
  onTestFailed(() => {
    console.log(`--- server log (warn/error) of ${name} ---\n${site.logs.join("\n")}`);
  });
  return site;
}

/** Agent process groups (from the journal) that are still alive. */
export function liveAgentGroups(site: Site): number[] {
  return [...new Set(readJournal(site.journal).map((l) => l.pid))].filter((pid) => isProcessGroupAlive(pid));
}

/** Registers the file's clean-up: after each test, every site's servers and agent process groups are killed and its data removed. */
export function useCrashSites() {
  afterEach(async () => {
    for (const site of sites.splice(0)) {
      for (const s of site.servers) if (s.child.exitCode === null && s.child.signalCode === null) await s.kill();
      for (const pgid of liveAgentGroups(site)) {
        try {
          process.kill(-pgid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
      await site.tdb?.drop();
      fs.rmSync(site.dir, { recursive: true, force: true });
    }
  }, 60_000);
}

export async function createCompany(url: string, name: string): Promise<string> {
  const res = await call(url, "POST", "/api/companies", { name });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

export async function createAgent(url: string, companyId: string, name: string, script: string, maxConcurrentRuns = 1): Promise<string> {
  const res = await call(url, "POST", `/api/companies/${companyId}/agents`, {
    name,
    adapterType: "process",
    adapterConfig: { command: "/bin/sh", args: ["-c", script], timeoutSec: 120, graceSec: 1 },
    runtimeConfig: { heartbeat: { maxConcurrentRuns } },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

export async function wake(url: string, agentId: string, taskKey: string, idempotencyKey?: string): Promise<{ status: number; body: any }> {
  return call(url, "POST", `/api/agents/${agentId}/wakeup`, {
    source: "on_demand",
    reason: "crash-test",
    payload: { taskKey },
    idempotencyKey,
  });
}

/** Waits until the run has spawned its agent (pid recorded, journal line written). */
export async function waitSpawned(site: Site, url: string, runId: string): Promise<{ pid: number; pgid: number }> {
  const run = await waitFor(
    `run ${runId} to spawn its agent`,
    async () => {
      const r = await getRun(url, runId);
      return r.processPid && count(readJournal(site.journal), "start", runId) === 1 ? r : undefined;
    },
    20_000,
  );
  const journalPid = readJournal(site.journal).find((l) => l.kind === "start" && l.runId === runId)!.pid;
  // The process adapter spawns the agent detached: it leads its own group, and the row says so.
  expect(run.processGroupId).toBe(run.processPid);
  expect(run.processPid).toBe(journalPid);
  return { pid: run.processPid!, pgid: run.processGroupId! };
}

/** SIGKILLs a process group and waits until nothing of it runs (zombies count as gone). */
export async function killGroup(pgid: number) {
  process.kill(-pgid, "SIGKILL");
  await waitFor(`process group ${pgid} to die`, async () => !isProcessGroupAlive(pgid), 10_000, 20);
}

/** No new run appears for the agent over several scheduler passes and a lease period. */
export async function expectNoMoreRuns(url: string, companyId: string, agentId: string, expected: number) {
  const settleUntil = Date.now() + LEASE_MS * 2 + SCHEDULER_MS * 4;
  while (Date.now() < settleUntil) {
    expect((await listRuns(url, companyId, agentId)).length).toBe(expected);
    await sleep(SCHEDULER_MS);
  }
}
