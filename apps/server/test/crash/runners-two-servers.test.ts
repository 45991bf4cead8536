import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
import { isAlive } from "../../../../test-support/procs.js";
import { mulberry32, ON_PG, SERVER_ENV, sleep, TERMINAL, waitFor } from "../helpers/crash-site.js";
import { startServerProcess, type ServerProcess } from "../helpers/server-process.js";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.js";

/**
 * Issue 16's proof (docs/runners.md, docs/deploying.md#the-two-server-test): two server processes and
 * two `staple runner` processes (the built CLI, each with its own STAPLE_HOME) on one Postgres, reached
 * through a loopback TCP balancer as a deployment would reach them. Agents are bound to the runners'
 * label and run a `process` script that journals `start <run> <pid> <cwd>` / `end <run> <pid>` to a file
 * and sleeps 50–500 ms. 200 wakeups are sent while a seeded schedule SIGKILLs a server and a runner at
 * random (each restarted on its own home). Then:
 * - every accepted wakeup ends in exactly one terminal outcome (its run, or that run's single
 *   process-loss retry), and every run of the company is one of those;
 * - no run id executes twice; a wakeup executes twice only through the process-loss retry;
 * - every execution happened on a runner (its cwd is under a runner's home), never on a server;
 * - no agent process is left alive at the end.
 * Figures (duration, runs/s, kills) are printed and written to test-artifacts/runners-two-servers.json.
 * Postgres only: skipped without TEST_DATABASE_URL (`.ci/with-postgres` provides one).
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const CLI_BIN = path.join(ROOT, "apps/cli/bin/staple.mjs");
const WAKEUPS = 200;
const AGENTS = 8;
const LABEL = "crash";
/** Longer than the lane's default: a healthy runner on two busy cores must not lose leases spuriously. */
const LEASE_MS = 3000;
const SERVER_KILLS = 3;
const RUNNER_KILLS = 3;
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
/** Process-loss codes: the run's executor vanished; the engine queues one retry. */
const PROCESS_LOSS = new Set(["process_lost", "server_shutdown", "runner_shutdown", "runner_lost"]);

interface Run {
  id: string;
  status: string;
  errorCode: string | null;
  retryOfRunId: string | null;
  processLossRetryCount: number;
}

interface Slot<T> {
  name: string;
  home: string;
  current: T | null;
  starts: number;
}

const logs: string[] = [];
const keepLog = (tag: string) => (d: Buffer) => {
  for (const line of d.toString().split("\n")) if (line && !line.includes('"level":"info"')) logs.push(`${tag} ${line}`);
  if (logs.length > 600) logs.splice(0, logs.length - 600);
};

/**
 * A round-robin TCP balancer on loopback: each connection goes to the next live backend, the next
 * one if connecting fails. A killed server's connections break, as behind a real balancer.
 */
function startBalancer(backends: () => number[]) {
  let turn = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    client.pause();
    const tryConnect = (attempt: number) => {
      const ports = backends();
      if (ports.length === 0 || attempt >= 4) {
        client.destroy();
        return;
      }
      const port = ports[turn++ % ports.length]!;
      const upstream = net.connect(port, "127.0.0.1");
      sockets.add(upstream);
      upstream.on("close", () => sockets.delete(upstream));
      let connected = false;
      upstream.on("error", () => {
        if (connected) client.destroy();
        else tryConnect(attempt + 1);
      });
      upstream.once("connect", () => {
        connected = true;
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryConnect(0);
  });
  return new Promise<{ url: string; close(): Promise<void> }>((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A `staple runner` process of the built CLI; resolves once the process is spawned (registration is awaited separately). */
function spawnRunner(slot: Slot<ChildProcess>, apiUrl: string, token: string): ChildProcess {
  const child = spawn(process.execPath, [CLI_BIN, "runner", "--label", LABEL, "--name", slot.name], {
    env: { ...process.env, STAPLE_HOME: slot.home, STAPLE_API_URL: apiUrl, STAPLE_RUNNER_TOKEN: token, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  slot.starts++;
  const tag = `[${slot.name}#${slot.starts} pid ${child.pid}]`;
  child.stdout!.on("data", keepLog(tag));
  child.stderr!.on("data", keepLog(tag));
  child.once("exit", (code, signal) => logs.push(`${tag} exited code=${code} signal=${signal}`));
  return child;
}

const running = (child: ChildProcess | null | undefined) => Boolean(child && child.exitCode === null && child.signalCode === null);

async function killChild(child: ChildProcess) {
  if (!running(child)) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await Promise.race([exited, sleep(10_000)]);
}

interface JournalLine {
  kind: string;
  runId: string;
  pid: number;
  cwd: string;
}
function readJournal(file: string): JournalLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [kind, runId, pid, ...cwd] = l.split(" ");
      return { kind: kind!, runId: runId!, pid: Number(pid), cwd: cwd.join(" ") };
    });
}

describe.runIf(ON_PG)("two servers and two runners on one Postgres, with SIGKILLs", () => {
  // Made in the test, so a skipped run (no Postgres) leaves nothing behind.
  let dir = "";
  let journal = "";
  let servers: Slot<ServerProcess>[] = [];
  let runners: Slot<ChildProcess>[] = [];
  let tdb: TestDatabase | undefined;
  let balancer: { url: string; close(): Promise<void> } | undefined;

  afterAll(async () => {
    for (const slot of runners) if (slot.current) await killChild(slot.current);
    for (const slot of servers) if (running(slot.current?.child)) await slot.current!.kill();
    // Agent scripts of killed runners run their few hundred ms out; kill any survivor's group.
    for (const line of journal ? readJournal(journal) : []) {
      try {
        if (isAlive(line.pid)) process.kill(-line.pid, "SIGKILL");
      } catch {
        /* gone, or not a group leader */
      }
    }
    await balancer?.close();
    await tdb?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  it("every accepted wakeup ends in exactly one terminal outcome, executed once on a runner (or retried once after a loss)", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-runners-crash-"));
    journal = path.join(dir, "journal.log");
    const slot = (name: string) => ({ name, home: path.join(dir, name), current: null, starts: 0 });
    servers = [slot("server-0"), slot("server-1")];
    runners = [slot("runner-0"), slot("runner-1")];
    const random = mulberry32(SEED);
    console.log(`runners-two-servers: CRASH_SEED=${SEED}`);
    onTestFailed(() => console.log(`--- server and runner logs (warn/error), chaos ---\n${logs.join("\n")}`));
    tdb = await createTestDatabase();
    const env = { ...SERVER_ENV, STAPLE_LEASE_MS: String(LEASE_MS), DATABASE_URL: tdb.url! };
    const startServer = async (slot: Slot<ServerProcess>) => {
      fs.mkdirSync(slot.home, { recursive: true });
      const server = await startServerProcess(env, slot.home);
      slot.starts++;
      const tag = `[${slot.name}#${slot.starts} pid ${server.child.pid}]`;
      server.child.stdout!.on("data", keepLog(tag));
      server.child.stderr!.on("data", keepLog(tag));
      slot.current = server;
      return server;
    };
    await Promise.all(servers.map(startServer));
    const livePorts = () => servers.filter((s) => running(s.current?.child)).map((s) => Number(new URL(s.current!.url).port));
    balancer = await startBalancer(livePorts);
    const lb = balancer.url;
    // Board tokens live in the shared database: the first server's token works on both.
    const boardToken = servers[0]!.current!.boardToken;

    /** One board request through the balancer; network errors and 5xx are retried (bounded), as a client behind a balancer does. */
    const api = async <T = any>(method: string, pathname: string, body?: unknown): Promise<{ status: number; body: T }> => {
      let last: unknown;
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          const res = await fetch(lb + pathname, {
            method,
            headers: { authorization: `Bearer ${boardToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(15_000),
          });
          const text = await res.text();
          if (res.status < 500) return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
          last = new Error(`${method} ${pathname} -> ${res.status} ${text}`);
        } catch (error) {
          last = error;
        }
        await sleep(250);
      }
      throw new Error(`${method} ${pathname} failed 20 times: ${String(last)}`);
    };

    const company = await api("POST", "/api/companies", { name: "Runner Crash Co" });
    expect(company.status, JSON.stringify(company.body)).toBe(201);
    const companyId: string = company.body.id;
    const token = await api("POST", `/api/companies/${companyId}/runner-tokens`, { name: "crash lane" });
    expect(token.status, JSON.stringify(token.body)).toBe(201);

    // Sleeps 50–500 ms, chosen from the shell's pid. Writes nothing to stdout.
    const script = `echo "start $PAPERCLIP_RUN_ID $$ $PWD" >> '${journal}'; sleep $(printf '0.%02d' $(( ($$ % 46) + 5 ))); echo "end $PAPERCLIP_RUN_ID $$" >> '${journal}'`;
    const agentIds: string[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const res = await api("POST", `/api/companies/${companyId}/agents`, {
        name: `bound-${i}`,
        adapterType: "process",
        adapterConfig: { command: "/bin/sh", args: ["-c", script], timeoutSec: 60, graceSec: 1 },
        runtimeConfig: { runner: LABEL, heartbeat: { maxConcurrentRuns: 2 } },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      agentIds.push(res.body.id);
    }

    const listRunners = async () =>
      (await api<{ name: string; status: string; registeredAt: string }[]>("GET", `/api/companies/${companyId}/runners`)).body;
    const startRunner = async (slot: Slot<ChildProcess>) => {
      const before = (await listRunners()).filter((r) => r.name === slot.name).length;
      slot.current = spawnRunner(slot, lb, token.body.token);
      await waitFor(
        `${slot.name} to register`,
        async () => {
          if (!running(slot.current)) throw new Error(`${slot.name} exited before registering`);
          return (await listRunners()).filter((r) => r.name === slot.name).length > before;
        },
        30_000,
        200,
      );
    };
    for (const slot of runners) await startRunner(slot);

    // The fault schedule: SERVER_KILLS + RUNNER_KILLS SIGKILLs in seeded order, 1–3 s apart, each
    // victim restarted after 0.2–1.5 s. Both servers are never down at once (the balancer would have
    // nowhere to send requests, which tests nothing more).
    const kills = { server: 0, runner: 0 };
    const schedule = [...Array<"server">(SERVER_KILLS).fill("server"), ...Array<"runner">(RUNNER_KILLS).fill("runner")].sort(
      () => random() - 0.5,
    );
    const chaos = (async () => {
      for (const kind of schedule) {
        await sleep(1000 + random() * 2000);
        const restartAfter = 200 + random() * 1300;
        if (kind === "server") {
          const slot = servers[Math.floor(random() * servers.length)]!;
          logs.push(`[chaos] SIGKILL ${slot.name}`);
          await slot.current!.kill();
          kills.server++;
          await sleep(restartAfter);
          await startServer(slot);
        } else {
          const slot = runners[Math.floor(random() * runners.length)]!;
          logs.push(`[chaos] SIGKILL ${slot.name}`);
          await killChild(slot.current!);
          kills.runner++;
          await sleep(restartAfter);
          await startRunner(slot);
        }
      }
    })();

    // 200 wakeups through the balancer, 8 at a time; an idempotency key makes a retried request
    // (its server died mid-answer) find the wakeup it already made instead of making a second.
    const started = Date.now();
    const accepted = new Map<number, string>();
    let next = 0;
    const sender = async () => {
      while (next < WAKEUPS) {
        const i = next++;
        const res = await api("POST", `/api/agents/${agentIds[i % AGENTS]}/wakeup`, {
          source: "on_demand",
          reason: "runner-crash-lane",
          payload: { taskKey: `task-${i}` },
          idempotencyKey: `wake-${i}`,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        accepted.set(i, res.body.id);
        await sleep(random() * 60);
      }
    };
    await Promise.all(Array.from({ length: 8 }, sender));
    expect(accepted.size).toBe(WAKEUPS);
    expect(new Set(accepted.values()).size, "each wakeup made its own run").toBe(WAKEUPS);
    await chaos;

    const runs = await waitFor(
      "every run to reach a terminal state",
      async () => {
        const list = (await api<Run[]>("GET", `/api/companies/${companyId}/heartbeat-runs?limit=1000`)).body;
        return list.length >= WAKEUPS && list.every((r) => TERMINAL.has(r.status)) ? list : undefined;
      },
      150_000,
      500,
    );
    const duration = (Date.now() - started) / 1000;

    // Exactly one terminal outcome per accepted wakeup: its run, or the run's single process-loss retry.
    const byId = new Map(runs.map((r) => [r.id, r]));
    const retriesOf = new Map<string, Run[]>();
    for (const r of runs) if (r.retryOfRunId) retriesOf.set(r.retryOfRunId, [...(retriesOf.get(r.retryOfRunId) ?? []), r]);
    const explained = new Set<string>();
    const outcomes: Record<string, number> = {};
    const problems: string[] = [];
    let retried = 0;
    for (const runId of accepted.values()) {
      const first = byId.get(runId);
      if (!first) {
        problems.push(`accepted run ${runId} is not listed`);
        continue;
      }
      explained.add(runId);
      const retries = retriesOf.get(runId) ?? [];
      let last = first;
      if (retries.length > 1) problems.push(`run ${runId} has ${retries.length} retries`);
      if (retries.length >= 1) {
        retried++;
        if (!PROCESS_LOSS.has(first.errorCode ?? "")) problems.push(`run ${runId} was retried after ${first.status}/${first.errorCode}`);
        last = retries[0]!;
        explained.add(last.id);
        if (last.processLossRetryCount !== 1) problems.push(`retry ${last.id} has processLossRetryCount ${last.processLossRetryCount}`);
        if ((retriesOf.get(last.id) ?? []).length > 0) problems.push(`retry ${last.id} was retried again`);
      }
      const outcome = `${last.status}${last.errorCode ? `/${last.errorCode}` : ""}`;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      // A failure must be a loss the engine explains (its retry budget spent), never anything else.
      if (last.status !== "succeeded" && !PROCESS_LOSS.has(last.errorCode ?? "")) problems.push(`wakeup run ${runId} ended ${outcome}`);
    }
    console.log(`runners-two-servers outcomes: ${JSON.stringify(outcomes)}, kills ${JSON.stringify(kills)}`);
    expect(
      problems.slice(0, 20),
      `${problems.length} problems: one terminal outcome per accepted wakeup, retried only after a process loss`,
    ).toEqual([]);
    expect(
      runs.filter((r) => !explained.has(r.id)).map((r) => `${r.id} ${r.status} retryOf=${r.retryOfRunId}`),
      "every run is an accepted wakeup's run or its retry",
    ).toEqual([]);

    // What really executed: the journal. A run id starts at most once; all on runners.
    const lines = readJournal(journal);
    const starts = lines.filter((l) => l.kind === "start");
    const startsByRun = new Map<string, number>();
    for (const l of starts) startsByRun.set(l.runId, (startsByRun.get(l.runId) ?? 0) + 1);
    expect(
      [...startsByRun].filter(([, n]) => n > 1),
      "no run id executed twice",
    ).toEqual([]);
    for (const l of starts) expect(byId.has(l.runId), `journal run ${l.runId} is a run of the company`).toBe(true);
    const runnerHomes = runners.map((r) => fs.realpathSync(r.home) + path.sep);
    const elsewhere = starts.filter((l) => !runnerHomes.some((h) => `${l.cwd}${path.sep}`.startsWith(h)));
    expect(
      elsewhere.map((l) => `${l.runId} in ${l.cwd}`),
      "every execution ran in a runner's home",
    ).toEqual([]);
    for (const r of runs) if (r.status === "succeeded") expect(startsByRun.get(r.id), `succeeded run ${r.id} executed once`).toBe(1);

    // No process left behind: killed runners' scripts run out their sleep; live runners' stopped ones are killed.
    const pids = [...new Set(starts.map((l) => l.pid))];
    await waitFor("every agent process to be gone", async () => pids.every((pid) => !isAlive(pid)), 10_000, 100).catch(() => {
      throw new Error(`agent processes still alive: ${pids.filter(isAlive).join(", ")}`);
    });

    const figures = {
      seed: SEED,
      wakeups: WAKEUPS,
      agents: AGENTS,
      runs: runs.length,
      executions: starts.length,
      processLossRetries: retried,
      outcomes,
      kills,
      serverStarts: servers.reduce((n, s) => n + s.starts, 0),
      runnerStarts: runners.reduce((n, s) => n + s.starts, 0),
      leaseMs: LEASE_MS,
      durationSeconds: Number(duration.toFixed(1)),
      runsPerSecond: Number((runs.length / duration).toFixed(2)),
    };
    console.log(`runners-two-servers figures: ${JSON.stringify(figures)}`);
    fs.mkdirSync(path.join(ROOT, "test-artifacts"), { recursive: true });
    fs.writeFileSync(path.join(ROOT, "test-artifacts/runners-two-servers.json"), `${JSON.stringify(figures, null, 2)}\n`);
    expect(kills).toEqual({ server: SERVER_KILLS, runner: RUNNER_KILLS });
  }, 240_000);
});
