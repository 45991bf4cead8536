// W2 and W2': 20 process agents running `true`; 200 wakeups round robin with 20 in flight (distinct
// task keys), until all runs are terminal; then 40 wakeups one at a time. Latencies use the
// client's send time and the runs' startedAt/finishedAt. The machine's spawn limit (200 `/bin/true`,
// 20 in flight, from Node) is measured before every repetition and W2's total is printed as a
// ratio to it: the ratio is what holds across machines. After the repetitions, one more wave with a
// reader (the company's agents every 25 ms, as an open board would) gives the read's latency under
// that load (no target).
// `node bench/w2-runs.mjs [--base URL --token T] [--reps N] [--postgres]`
import { execFileSync } from "node:child_process";
import { api, figure, isMain, median, medianOf, parseArgs, percentile, repeat, report, round, withServer } from "./lib.mjs";
import { spawnLimit } from "./spawn-limit.mjs";

const TRUE_BIN = execFileSync("sh", ["-c", "command -v true"]).toString().trim();
const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);
export const W2_TARGETS = { ratioToSpawnLimit: 1.5, wakeupAcceptedP50Ms: 30, w2primeAcceptedP50Ms: 5, w2primeStartedP50Ms: 10 };

// How often the client looks for the end. The figure comes from the runs' own finishedAt, so this
// only decides how much load the harness itself adds while the runs finish: every poll lists all
// the company's runs (≈200), which at the former 10 ms took a large share of the server's one
// thread away from the runs it was measuring (docs/performance.md, W2).
const POLL_MS = Number(process.env.BENCH_W2_POLL_MS ?? 100);

async function waitAllTerminal(url, companyId, count, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await api(url, "GET", `/api/companies/${companyId}/heartbeat-runs?limit=1000`);
    const done = runs.filter((r) => TERMINAL.has(r.status));
    if (done.length >= count) return runs;
    if (Date.now() > deadline) throw new Error(`only ${done.length}/${count} runs terminal`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function setUp(url) {
  const company = await api(url, "POST", "/api/companies", { name: `Bench W2 ${Date.now()}` });
  const agents = [];
  for (let i = 0; i < 20; i++) {
    agents.push(
      await api(url, "POST", `/api/companies/${company.id}/agents`, {
        name: `bench-agent-${i}`,
        adapterType: "process",
        adapterConfig: { command: TRUE_BIN, args: [], timeoutSec: 60, graceSec: 2 },
        // The workload leaves concurrency at the default (Staple: 1 run per agent at a time);
        // BENCH_MAX_CONCURRENT_RUNS measures the engine with parallel runs per agent.
        ...(process.env.BENCH_MAX_CONCURRENT_RUNS
          ? { runtimeConfig: { heartbeat: { maxConcurrentRuns: Number(process.env.BENCH_MAX_CONCURRENT_RUNS) } } }
          : {}),
      }),
    );
  }
  return { company, agents };
}

/** One wakeup as the workload sends it: the run, the send time (wall clock) and the time to its 202. */
async function timedWake(url, agent, reason, taskKey) {
  const sendWall = Date.now();
  const s = performance.now();
  const run = await api(url, "POST", `/api/agents/${agent.id}/wakeup`, {
    source: "on_demand",
    triggerDetail: "manual",
    reason,
    payload: { taskKey },
  });
  return { run, sendWall, ms: performance.now() - s };
}

/** W2's load: 200 wakeups, 20 in flight, until every run is terminal. */
async function wave(url, company, agents) {
  const sent = new Map();
  const accepted = [];
  let next = 0;
  const t0 = performance.now();
  const t0Wall = Date.now();
  const worker = async () => {
    while (next < 200) {
      const i = next++;
      const { run, sendWall, ms } = await timedWake(url, agents[i % agents.length], "bench", `bench-${i}`);
      accepted.push(ms);
      sent.set(run.id, sendWall);
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  const runs = await waitAllTerminal(url, company.id, 200);
  return { sent, accepted, runs, t0Wall, totalMs: performance.now() - t0 };
}

/**
 * A board read while W2's load runs (no target; docs/performance.md): one more wave, and meanwhile
 * the company's agent list read every 25 ms, as a board open on that company would.
 */
async function readDuringLoad(url) {
  const { company, agents } = await setUp(url);
  const reads = [];
  let loading = true;
  const reader = (async () => {
    for (let i = 0; loading && i < 10_000; i++) {
      const s = performance.now();
      await api(url, "GET", `/api/companies/${company.id}/agents`);
      reads.push(performance.now() - s);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  try {
    await wave(url, company, agents);
  } finally {
    loading = false;
    await reader;
  }
  return { reads: reads.length, p50Ms: round(percentile(reads, 50)), p95Ms: round(percentile(reads, 95)) };
}

async function oneRep(url) {
  {
    const { company, agents } = await setUp(url);
    // W2: 200 wakeups, 20 in flight.
    const { sent, accepted, runs, t0Wall, totalMs } = await wave(url, company, agents);
    const ours = runs.filter((r) => sent.has(r.id));
    const startLat = ours.map((r) => new Date(r.startedAt).getTime() - sent.get(r.id));
    const lastFinish = Math.max(...ours.map((r) => new Date(r.finishedAt).getTime()));
    const succeeded = ours.filter((r) => r.status === "succeeded").length;

    // W2': 40 wakeups one at a time, unloaded.
    const sent2 = new Map();
    const accepted2 = [];
    for (let i = 0; i < 40; i++) {
      const { run, sendWall, ms } = await timedWake(url, agents[i % agents.length], "bench-seq", `bench-seq-${i}`);
      accepted2.push(ms);
      sent2.set(run.id, sendWall);
      // Unloaded: wait for this run to start before sending the next one.
      for (let k = 0; k < 2000; k++) {
        const r = await api(url, "GET", `/api/heartbeat-runs/${run.id}`);
        if (r.startedAt) break;
        await new Promise((res) => setTimeout(res, 2));
      }
    }
    const runs2 = await waitAllTerminal(url, company.id, 240);
    const ours2 = runs2.filter((r) => sent2.has(r.id));
    const start2 = ours2.map((r) => new Date(r.startedAt).getTime() - sent2.get(r.id));
    return {
      runs: ours.length,
      succeeded,
      firstWakeupToLastFinishedMs: lastFinish - t0Wall,
      clientObservedTotalMs: totalMs,
      runsPerSecond: 200 / ((lastFinish - t0Wall) / 1000),
      wakeupAcceptedP50Ms: percentile(accepted, 50),
      wakeupToStartedP50Ms: percentile(startLat, 50),
      wakeupToStartedP95Ms: percentile(startLat, 95),
      w2primeAcceptedP50Ms: percentile(accepted2, 50),
      w2primeStartedP50Ms: percentile(start2, 50),
      w2primeAllSucceeded: ours2.every((r) => r.status === "succeeded"),
    };
  }
}

export async function runW2({ databaseUrl, base, token, reps = 3 } = {}) {
  return withServer({ base, token, databaseUrl, label: "w2" }, async ({ url }) => {
    const spawn = [];
    const list = await repeat(reps, async () => {
      spawn.push((await spawnLimit(1)).ms);
      return oneRep(url);
    });
    const boardReadDuringLoad = await readDuringLoad(url);
    const spawnMs = median(spawn);
    const totalMs = median(list.map((r) => r.firstWakeupToLastFinishedMs));
    const r = {
      workload: "W2",
      database: base ? `external ${base}` : databaseUrl ? "postgres" : "embedded",
      reps,
      maxConcurrentRunsPerAgent: Number(process.env.BENCH_MAX_CONCURRENT_RUNS ?? 1),
      pollMs: POLL_MS,
      spawnLimitMs: round(spawnMs, 0),
      firstWakeupToLastFinishedMs: round(totalMs, 0),
      // Each repetition against the spawn limit measured just before it (same minute), then the median.
      ratioToSpawnLimit: round(median(list.map((x, i) => x.firstWakeupToLastFinishedMs / spawn[i]))),
      runsPerSecond: medianOf(list, "runsPerSecond"),
      allSucceeded: list.every((x) => x.succeeded === 200 && x.w2primeAllSucceeded),
      wakeupAcceptedP50Ms: medianOf(list, "wakeupAcceptedP50Ms"),
      wakeupToStartedP50Ms: medianOf(list, "wakeupToStartedP50Ms"),
      wakeupToStartedP95Ms: medianOf(list, "wakeupToStartedP95Ms"),
      w2prime: { wakeupAcceptedP50Ms: medianOf(list, "w2primeAcceptedP50Ms"), wakeupToStartedP50Ms: medianOf(list, "w2primeStartedP50Ms") },
      boardReadDuringLoad,
      samples: { spawnLimitMs: spawn.map((v) => round(v, 0)), totalMs: list.map((x) => round(x.firstWakeupToLastFinishedMs, 0)) },
      targets: W2_TARGETS,
    };
    r.figures = [
      figure("200 runs", r.firstWakeupToLastFinishedMs, "ms"),
      figure("= × spawn limit", r.ratioToSpawnLimit, "", W2_TARGETS.ratioToSpawnLimit),
      figure("→202 p50 loaded", r.wakeupAcceptedP50Ms, "ms", W2_TARGETS.wakeupAcceptedP50Ms),
      figure("W2′ →202 p50", r.w2prime.wakeupAcceptedP50Ms, "ms", W2_TARGETS.w2primeAcceptedP50Ms),
      figure("W2′ →started p50", r.w2prime.wakeupToStartedP50Ms, "ms", W2_TARGETS.w2primeStartedP50Ms),
      figure("board read during load p50", boardReadDuringLoad.p50Ms, "ms"),
      figure("board read during load p95", boardReadDuringLoad.p95Ms, "ms"),
    ];
    return r;
  });
}

if (isMain(import.meta.url)) {
  const args = parseArgs();
  report(await runW2({ ...args, reps: args.reps ?? 3 }));
}
