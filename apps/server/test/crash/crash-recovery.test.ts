import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, onTestFailed } from "vitest";
import { isProcessAlive, isProcessGroupAlive } from "@staple/adapter-kit";
import { openEmbedded } from "../../src/db/embedded.js";
import { createTestDatabase, onPostgres, type TestDatabase } from "../helpers/test-db.js";
import { boardAuth, startServerProcess, type ServerProcess } from "../helpers/server-process.js";

/**
 * Crash recovery with real processes (docs/runs.md#lease-expiry-and-orphaned-processes): the built
 * server is SIGKILLed while agent processes run, then restarted on the same data (the same
 * STAPLE_HOME on the embedded database, the same database on the Postgres lane, when
 * TEST_DATABASE_URL is set). Agents are /bin/sh scripts of the `process` adapter that journal
 * "start <runId> <pid>" / "end <runId> <pid>" lines to a file, so what really executed is known
 * independently of the database.
 *
 * Not part of `npm test`: run with `npm run test:crash` (vitest.crash.config.ts).
 */

const ON_PG = onPostgres();
const DB_KIND = ON_PG ? "postgres" : "embedded";
const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);
const LIVE = new Set(["queued", "running", "scheduled_retry"]);
const LEASE_MS = 1500;
const SCHEDULER_MS = 250;
const SERVER_ENV = {
  STAPLE_LEASE_MS: String(LEASE_MS),
  STAPLE_SCHEDULER_INTERVAL_MS: String(SCHEDULER_MS),
  PAPERCLIP_AGENT_JWT_SECRET: "crash-recovery-secret",
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy; throws with `what` after `timeoutMs`. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await sleep(everyMs);
  }
}

/** One HTTP call with a bounded wait; network errors reject. */
async function call<T = any>(url: string, method: string, pathname: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url + pathname, {
    method,
    headers: { ...boardAuth(url), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

interface Run {
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

const getRun = async (url: string, id: string): Promise<Run> => {
  const res = await call<Run>(url, "GET", `/api/heartbeat-runs/${id}`);
  if (res.status !== 200) throw new Error(`GET run ${id} -> ${res.status}`);
  return res.body;
};
const listRuns = async (url: string, companyId: string, agentId?: string): Promise<Run[]> => {
  const res = await call<Run[]>(url, "GET", `/api/companies/${companyId}/heartbeat-runs?limit=1000${agentId ? `&agentId=${agentId}` : ""}`);
  if (res.status !== 200) throw new Error(`GET runs -> ${res.status}`);
  return res.body;
};

/** Lines of the agents' journal: [kind, runId, pid]. */
function readJournal(file: string): { kind: string; runId: string; pid: number }[] {
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
const count = (lines: { kind: string; runId: string }[], kind: string, runId: string) => lines.filter((l) => l.kind === kind && l.runId === runId).length;

/** The agent script: journal start, sleep (`sleepExpr`: shell code), journal end. Never writes to stdout. */
const agentScript = (journal: string, sleepCmd: string) =>
  `echo "start $PAPERCLIP_RUN_ID $$" >> '${journal}'; ${sleepCmd}; echo "end $PAPERCLIP_RUN_ID $$" >> '${journal}'`;

/** Seeded PRNG (mulberry32): the fault schedule of a failing run reproduces with CRASH_SEED. */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The data a sequence of server processes shares: a STAPLE_HOME (embedded database, run logs) and,
 * on the Postgres lane, an isolated database. Tracks every server and journal for cleanup.
 */
interface Site {
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

async function createSite(name: string): Promise<Site> {
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
function liveAgentGroups(site: Site): number[] {
  return [...new Set(readJournal(site.journal).map((l) => l.pid))].filter((pid) => isProcessGroupAlive(pid));
}

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

async function createCompany(url: string, name: string): Promise<string> {
  const res = await call(url, "POST", "/api/companies", { name });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

async function createAgent(url: string, companyId: string, name: string, script: string, maxConcurrentRuns = 1): Promise<string> {
  const res = await call(url, "POST", `/api/companies/${companyId}/agents`, {
    name,
    adapterType: "process",
    adapterConfig: { command: "/bin/sh", args: ["-c", script], timeoutSec: 120, graceSec: 1 },
    runtimeConfig: { heartbeat: { maxConcurrentRuns } },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

async function wake(url: string, agentId: string, taskKey: string, idempotencyKey?: string): Promise<{ status: number; body: any }> {
  return call(url, "POST", `/api/agents/${agentId}/wakeup`, { source: "on_demand", reason: "crash-test", payload: { taskKey }, idempotencyKey });
}

/** Waits until the run has spawned its agent (pid recorded, journal line written). */
async function waitSpawned(site: Site, url: string, runId: string): Promise<{ pid: number; pgid: number }> {
  const run = await waitFor(`run ${runId} to spawn its agent`, async () => {
    const r = await getRun(url, runId);
    return r.processPid && count(readJournal(site.journal), "start", runId) === 1 ? r : undefined;
  }, 20_000);
  const journalPid = readJournal(site.journal).find((l) => l.kind === "start" && l.runId === runId)!.pid;
  // The process adapter spawns the agent detached: it leads its own group, and the row says so.
  expect(run.processGroupId).toBe(run.processPid);
  expect(run.processPid).toBe(journalPid);
  return { pid: run.processPid!, pgid: run.processGroupId! };
}

/** SIGKILLs a process group and waits until nothing of it runs (zombies count as gone). */
async function killGroup(pgid: number) {
  process.kill(-pgid, "SIGKILL");
  await waitFor(`process group ${pgid} to die`, async () => !isProcessGroupAlive(pgid), 10_000, 20);
}

/** No new run appears for the agent over several scheduler passes and a lease period. */
async function expectNoMoreRuns(url: string, companyId: string, agentId: string, expected: number) {
  const settleUntil = Date.now() + LEASE_MS * 2 + SCHEDULER_MS * 4;
  while (Date.now() < settleUntil) {
    expect((await listRuns(url, companyId, agentId)).length).toBe(expected);
    await sleep(SCHEDULER_MS);
  }
}

describe(`crash recovery with real server processes (${DB_KIND} database)`, () => {
  it("keeps a run whose agent outlived the server `running`/process_detached, then finishes it with exactly one retry", async () => {
    const site = await createSite("detached");
    // The first run sleeps until the test releases it (after it has seen the detached state; at most
    // 30 s), so a slow restart cannot outlast it; then it exits 0. The retry itself is short.
    const release = path.join(site.dir, "release");
    const script = agentScript(
      site.journal,
      `if [ "$PAPERCLIP_WAKE_REASON" = process_lost_retry ]; then sleep 0.2; else i=0; while [ ! -e '${release}' ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; fi`,
    );
    const s1 = await site.start();
    const companyId = await createCompany(s1.url, "Detached Co");
    const agentId = await createAgent(s1.url, companyId, "sleeper", script);
    const woke = await wake(s1.url, agentId, "detached-task");
    expect(woke.status).toBe(202);
    const firstId: string = woke.body.id;
    const { pid, pgid } = await waitSpawned(site, s1.url, firstId);

    await s1.kill();
    expect(isProcessAlive(pid), "the agent survives its server (the spawn host leaves it alone)").toBe(true);
    const s2 = await site.start();

    // While the pid lives the run is never failed; the restarted server marks it detached and
    // keeps it so across several lease periods (each pass re-checks the pid and extends the lease).
    let detachedSince: number | null = null;
    let observationsWhileAlive = 0;
    let released = false;
    await waitFor("the agent process to exit", async () => {
      const run = await getRun(s2.url, firstId);
      if (!isProcessAlive(pid)) return true; // it may have exited after the read: nothing to assert
      observationsWhileAlive++;
      expect(run.status, `run ${firstId} while pid ${pid} lives`).toBe("running");
      if (run.errorCode === "process_detached") detachedSince ??= Date.now();
      else expect(run.errorCode).toBeNull();
      if (!released && detachedSince !== null && Date.now() - detachedSince > LEASE_MS * 2) {
        if (ON_PG) {
          const [w] = await site.query<{ status: string }>("SELECT status FROM agent_wakeup_requests WHERE id = $1", [run.wakeupRequestId]);
          expect(w?.status, "the wake of a detached run stays claimed").toBe("claimed");
        }
        fs.writeFileSync(release, "");
        released = true;
      }
      return false;
    }, 40_000, 100);
    expect(observationsWhileAlive).toBeGreaterThan(0);
    expect(detachedSince, "the run was marked process_detached while its pid lived").not.toBeNull();
    expect(released, "the agent exited only once released").toBe(true);
    const events = (await call<{ message: string | null }[]>(s2.url, "GET", `/api/heartbeat-runs/${firstId}/events`)).body;
    expect(events.some((e) => e.message?.includes(`pid ${pid} still alive`))).toBe(true);

    // The pid is gone: the reaper finishes the run as process_lost and queues the single retry.
    const first = await waitFor("the detached run to be reaped", async () => {
      const r = await getRun(s2.url, firstId);
      return TERMINAL.has(r.status) ? r : undefined;
    }, 15_000);
    expect(first.status).toBe("failed");
    expect(first.errorCode).toBe("process_lost");
    const runs = await listRuns(s2.url, companyId, agentId);
    expect(runs).toHaveLength(2);
    const retry = runs.find((r) => r.id !== firstId)!;
    expect(retry.retryOfRunId).toBe(firstId);
    expect(retry.processLossRetryCount).toBe(1);
    expect(retry.contextSnapshot?.wakeReason).toBe("process_lost_retry");
    expect(retry.contextSnapshot?.retryReason).toBe("process_lost");
    const finished = await waitFor("the retry to finish", async () => {
      const r = await getRun(s2.url, retry.id);
      return TERMINAL.has(r.status) ? r : undefined;
    }, 20_000);
    expect(finished.status).toBe("succeeded");
    await expectNoMoreRuns(s2.url, companyId, agentId, 2);

    // What really ran: the detached original to its end (unseen by the engine) and the one retry.
    const journal = readJournal(site.journal);
    expect(journal.map((l) => `${l.kind} ${l.runId}`).sort()).toEqual([`end ${firstId}`, `end ${retry.id}`, `start ${firstId}`, `start ${retry.id}`].sort());
    expect(isProcessGroupAlive(pgid)).toBe(false);
    expect(liveAgentGroups(site)).toEqual([]);
    await s2.stop();
    if (ON_PG) {
      const wakes = await site.query<{ status: string }>("SELECT status FROM agent_wakeup_requests WHERE id = $1", [first.wakeupRequestId]);
      expect(wakes[0]?.status).toBe("failed");
    }
  }, 120_000);

  it("fails a run whose server and agent both died as process_lost and runs its single retry to completion", async () => {
    const site = await createSite("lost");
    const script = agentScript(site.journal, `if [ "$PAPERCLIP_WAKE_REASON" = process_lost_retry ]; then sleep 0.2; else sleep 30; fi`);
    const s1 = await site.start();
    const companyId = await createCompany(s1.url, "Lost Co");
    const agentId = await createAgent(s1.url, companyId, "victim", script);
    const woke = await wake(s1.url, agentId, "lost-task");
    expect(woke.status).toBe(202);
    const firstId: string = woke.body.id;
    const { pgid } = await waitSpawned(site, s1.url, firstId);

    await s1.kill();
    await killGroup(pgid);
    const s2 = await site.start();

    const first = await waitFor("the orphaned run to be reaped", async () => {
      const r = await getRun(s2.url, firstId);
      if (r.status === "running") expect(r.errorCode, "a dead pid is never reported detached").not.toBe("process_detached");
      return TERMINAL.has(r.status) ? r : undefined;
    }, 15_000);
    expect(first.status).toBe("failed");
    expect(first.errorCode).toBe("process_lost");
    expect(first.error).toMatch(/^Process lost/);

    const runs = await listRuns(s2.url, companyId, agentId);
    expect(runs).toHaveLength(2);
    const retry = runs.find((r) => r.id !== firstId)!;
    expect(retry.retryOfRunId).toBe(firstId);
    expect(retry.processLossRetryCount).toBe(1);
    expect(retry.contextSnapshot?.wakeReason).toBe("process_lost_retry");
    const finished = await waitFor("the retry to finish", async () => {
      const r = await getRun(s2.url, retry.id);
      return TERMINAL.has(r.status) ? r : undefined;
    }, 20_000);
    expect(finished.status).toBe("succeeded");
    await expectNoMoreRuns(s2.url, companyId, agentId, 2);

    const journal = readJournal(site.journal);
    expect(journal.map((l) => `${l.kind} ${l.runId}`).sort()).toEqual([`end ${retry.id}`, `start ${firstId}`, `start ${retry.id}`].sort());
    expect(liveAgentGroups(site)).toEqual([]);
    await s2.stop();
  }, 120_000);

  it("spends the process-loss retry budget once: a retry lost the same way is not retried again", async () => {
    const site = await createSite("budget");
    const script = agentScript(site.journal, "sleep 30");
    const s1 = await site.start();
    const companyId = await createCompany(s1.url, "Budget Co");
    const agentId = await createAgent(s1.url, companyId, "twice-unlucky", script);
    const woke = await wake(s1.url, agentId, "budget-task");
    expect(woke.status).toBe(202);
    const firstId: string = woke.body.id;
    const g1 = await waitSpawned(site, s1.url, firstId);
    await s1.kill();
    await killGroup(g1.pgid);

    const s2 = await site.start();
    const retry = await waitFor("the retry to be queued", async () => (await listRuns(s2.url, companyId, agentId)).find((r) => r.id !== firstId), 15_000);
    expect(retry.retryOfRunId).toBe(firstId);
    expect(retry.processLossRetryCount).toBe(1);
    expect((await getRun(s2.url, firstId)).errorCode).toBe("process_lost");
    const g2 = await waitSpawned(site, s2.url, retry.id);
    await s2.kill();
    await killGroup(g2.pgid);

    const s3 = await site.start();
    const lost = await waitFor("the retry to be reaped", async () => {
      const r = await getRun(s3.url, retry.id);
      return TERMINAL.has(r.status) ? r : undefined;
    }, 15_000);
    expect(lost.status).toBe("failed");
    expect(lost.errorCode).toBe("process_lost");
    await expectNoMoreRuns(s3.url, companyId, agentId, 2);
    const journal = readJournal(site.journal);
    expect(journal.map((l) => `${l.kind} ${l.runId}`).sort()).toEqual([`start ${firstId}`, `start ${retry.id}`].sort());
    expect(liveAgentGroups(site)).toEqual([]);
    await s3.stop();
  }, 120_000);

  it("fault injection: 100 wakeups across 10 SIGKILLs each end exactly once (plus at most the one process-loss retry)", async () => {
    const seed = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
    console.log(`fault-injection seed=${seed} database=${DB_KIND} (rerun with CRASH_SEED=${seed})`);
    const rand = mulberry32(seed);
    const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const WAKEUPS = 100;
    const KILLS = 10;
    const AGENTS = 10;
    const started = Date.now();

    const site = await createSite("faults");
    // Each run sleeps 0.1-0.3 s (from its pid: dash has no $RANDOM).
    const script = agentScript(site.journal, "sleep 0.$(( $$ % 3 + 1 ))");
    let current: ServerProcess | undefined = await site.start();
    const companyId = await createCompany(current.url, "Faults Co");
    const agentIds: string[] = [];
    for (let i = 0; i < AGENTS; i++) agentIds.push(await createAgent(current.url, companyId, `worker-${i}`, script, 2));

    // The whole schedule is drawn up front, so it depends on the seed only.
    const plan = Array.from({ length: WAKEUPS }, (_, i) => ({ i, agentId: agentIds[between(0, AGENTS - 1)]!, gapMs: between(50, 700) }));
    const killDelays = Array.from({ length: KILLS }, () => between(50, 2500));

    const accepted = new Map<number, { runId: string; wakeupRequestId: string }>();
    let failedRequests = 0;
    let next = 0;
    const sender = async () => {
      while (next < WAKEUPS) {
        const w = plan[next++]!;
        await sleep(w.gapMs);
        // Until accepted: a request cut by a kill is sent again (same idempotency key) to whichever server is up.
        for (let attempt = 0; ; attempt++) {
          if (attempt > 400) throw new Error(`wakeup ${w.i} was never accepted`);
          const server = current;
          if (!server) {
            await sleep(50);
            continue;
          }
          let res: { status: number; body: any };
          try {
            res = await wake(server.url, w.agentId, `task-${w.i}`, `wake-${w.i}`);
          } catch {
            failedRequests++;
            await sleep(50);
            continue;
          }
          if (res.status === 202) {
            expect(res.body.id, JSON.stringify(res.body)).toBeTruthy();
            accepted.set(w.i, { runId: res.body.id, wakeupRequestId: res.body.wakeupRequestId });
            break;
          }
          if (res.status < 500) throw new Error(`wakeup ${w.i} -> ${res.status} ${JSON.stringify(res.body)}`);
          failedRequests++;
          await sleep(50);
        }
      }
    };
    let kills = 0;
    const killer = async () => {
      for (const delay of killDelays) {
        await sleep(delay);
        const victim = current!;
        current = undefined;
        await victim.kill();
        kills++;
        current = await site.start();
      }
    };
    await Promise.all([sender(), sender(), sender(), killer()]);
    expect(kills).toBe(KILLS);
    expect(accepted.size).toBe(WAKEUPS);
    const server = current!;

    // Bounded wait for quiescence: every run terminal (detached pids end within 0.3 s).
    await waitFor("every run to be terminal", async () => {
      const runs = await listRuns(server.url, companyId);
      return runs.length >= WAKEUPS && runs.every((r) => !LIVE.has(r.status));
    }, 120_000, 250);
    await server.stop();

    const runs = await site.query<Run & { status: string; taskKey: string | null }>(
      `SELECT id, agent_id, status, error_code, error, wakeup_request_id, retry_of_run_id, process_loss_retry_count, task_key
         FROM heartbeat_runs WHERE company_id = $1`,
      [companyId],
    );
    const wakes = await site.query<{ id: string; status: string; runId: string | null; reason: string | null }>(
      "SELECT id, status, run_id, reason FROM agent_wakeup_requests WHERE company_id = $1",
      [companyId],
    );
    const lockedByTerminal = await site.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM issues i JOIN heartbeat_runs r ON r.id = i.execution_run_id
        WHERE i.company_id = $1 AND r.status IN ('succeeded', 'failed', 'cancelled', 'timed_out')`,
      [companyId],
    );
    // docs/runs.md#environment-leases: a reaped run's environment lease ends (`failed`); nothing
    // stays held by a finished run.
    const leasesOfTerminalRuns = await site.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM environment_leases l JOIN heartbeat_runs r ON r.id = l.heartbeat_run_id
        WHERE l.company_id = $1 AND l.status = 'active' AND r.status IN ('succeeded', 'failed', 'cancelled', 'timed_out')`,
      [companyId],
    );
    const agentsStillRunning = await site.query<{ n: number }>("SELECT count(*)::int AS n FROM agents WHERE company_id = $1 AND status = 'running'", [companyId]);
    const journal = readJournal(site.journal);

    const byId = new Map(runs.map((r) => [r.id, r]));
    const wakeById = new Map(wakes.map((w) => [w.id, w]));
    const byStatus: Record<string, number> = {};
    const byErrorCode: Record<string, number> = {};
    for (const r of runs) {
      byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      if (r.errorCode) byErrorCode[r.errorCode] = (byErrorCode[r.errorCode] ?? 0) + 1;
    }
    const startsPerRun = new Map<string, number>();
    for (const l of journal) if (l.kind === "start") startsPerRun.set(l.runId, (startsPerRun.get(l.runId) ?? 0) + 1);
    const ends = new Set(journal.filter((l) => l.kind === "end").map((l) => l.runId));
    const runsPerTask = new Map<string, Run[]>();
    for (const r of runs) runsPerTask.set(r.taskKey!, [...(runsPerTask.get(r.taskKey!) ?? []), r]);
    const executionsPerTask = new Map<string, number>();
    for (const [runId, n] of startsPerRun) {
      const task = byId.get(runId)?.taskKey ?? `unknown:${runId}`;
      executionsPerTask.set(task, (executionsPerTask.get(task) ?? 0) + n);
    }
    const retries = runs.filter((r) => r.retryOfRunId);
    const terminalWakeStatuses = new Set(["completed", "failed", "cancelled", "timed_out", "skipped", "coalesced"]);
    let acceptedTerminal = 0;
    for (const { runId, wakeupRequestId } of accepted.values()) {
      const run = byId.get(runId);
      const wakeRow = wakeById.get(wakeupRequestId);
      if ((run && TERMINAL.has(run.status)) || (wakeRow && terminalWakeStatuses.has(wakeRow.status))) acceptedTerminal++;
    }
    const summary = {
      seed,
      database: DB_KIND,
      kills,
      wakeupsAccepted: accepted.size,
      requestsFailed: failedRequests,
      acceptedWithTerminalOutcome: acceptedTerminal,
      runs: runs.length,
      runsByStatus: byStatus,
      runsByErrorCode: byErrorCode,
      processLossRetries: retries.length,
      liveRuns: runs.filter((r) => LIVE.has(r.status)).length,
      wakesByStatus: wakes.reduce<Record<string, number>>((acc, w) => ((acc[w.status] = (acc[w.status] ?? 0) + 1), acc), {}),
      journalStarts: journal.filter((l) => l.kind === "start").length,
      maxStartsPerRun: Math.max(0, ...startsPerRun.values()),
      tasksExecutedTwice: [...executionsPerTask.values()].filter((n) => n === 2).length,
      maxExecutionsPerTask: Math.max(0, ...executionsPerTask.values()),
      issuesLockedByTerminalRuns: lockedByTerminal[0]!.n,
      activeLeasesOfTerminalRuns: leasesOfTerminalRuns[0]!.n,
      agentsLeftRunning: agentsStillRunning[0]!.n,
      survivingAgentGroups: liveAgentGroups(site).length,
      durationMs: Date.now() - started,
    };
    console.log(`CRASH_SUMMARY ${JSON.stringify(summary)}`);

    // Every accepted wakeup: one run (the 202's), terminal, and its wake row terminal too.
    expect(acceptedTerminal).toBe(WAKEUPS);
    for (const [i, { runId, wakeupRequestId }] of accepted) {
      const run = byId.get(runId);
      expect(run, `wakeup ${i}: run ${runId} exists`).toBeDefined();
      expect(run!.taskKey).toBe(`task-${i}`);
      expect(run!.wakeupRequestId).toBe(wakeupRequestId);
      expect(terminalWakeStatuses.has(wakeById.get(wakeupRequestId)?.status ?? ""), `wake ${wakeupRequestId}: ${wakeById.get(wakeupRequestId)?.status}`).toBe(true);
    }
    // Exactly one original run per wakeup (resends under the idempotency key found the first one).
    expect(runs.filter((r) => !r.retryOfRunId)).toHaveLength(WAKEUPS);
    expect(summary.liveRuns).toBe(0);
    expect(wakes.filter((w) => !terminalWakeStatuses.has(w.status))).toEqual([]);
    expect(summary.issuesLockedByTerminalRuns).toBe(0);
    expect(summary.activeLeasesOfTerminalRuns).toBe(0);
    expect(summary.agentsLeftRunning).toBe(0);
    // Retries: only the process-loss kind, one per lost run, never a retry of a retry.
    for (const r of retries) {
      const source = byId.get(r.retryOfRunId!)!;
      expect(source, `retry ${r.id} names an existing run`).toBeDefined();
      expect(source.errorCode).toBe("process_lost");
      expect(source.retryOfRunId, `retry ${r.id} retries a retry`).toBeNull();
      expect(r.processLossRetryCount).toBe(1);
      expect(r.taskKey).toBe(source.taskKey);
    }
    expect(new Set(retries.map((r) => r.retryOfRunId)).size).toBe(retries.length);
    for (const r of runs) {
      if (r.errorCode === "process_lost" && !r.retryOfRunId) {
        expect(retries.some((x) => x.retryOfRunId === r.id), `lost run ${r.id} got its retry`).toBe(true);
      }
    }
    for (const [task, list] of runsPerTask) expect(list.length, `runs of ${task}`).toBeLessThanOrEqual(2);
    // From the journal: no run started twice, no wakeup executed more than twice (original + retry).
    for (const [runId, n] of startsPerRun) {
      expect(byId.has(runId), `journal run ${runId} is a run of this company`).toBe(true);
      expect(n, `starts of run ${runId}`).toBe(1);
    }
    for (const [task, n] of executionsPerTask) expect(n, `executions of ${task}`).toBeLessThanOrEqual(2);
    // A succeeded run really ran to its end; at most one run per wakeup succeeded.
    for (const r of runs) if (r.status === "succeeded") expect(ends.has(r.id) && startsPerRun.get(r.id) === 1, `succeeded run ${r.id} ran`).toBe(true);
    for (const [task, list] of runsPerTask) expect(list.filter((r) => r.status === "succeeded").length, `successes of ${task}`).toBeLessThanOrEqual(1);
    // Only SIGKILLs happened: no run ended for any other reason than success or process loss.
    for (const r of runs) expect(r.status === "succeeded" || r.errorCode === "process_lost", `run ${r.id}: ${r.status} ${r.errorCode} ${r.error}`).toBe(true);
    expect(summary.survivingAgentGroups).toBe(0);
  }, 300_000);
});
