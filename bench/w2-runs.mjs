// W2 and W2' (performance-targets.md): 20 process agents running `true`; 200 wakeups round robin
// with 20 in flight (distinct task keys), until all runs are terminal; then 40 wakeups one at a
// time. Latencies use the client's send time and the runs' startedAt/finishedAt.
import { execFileSync } from "node:child_process";
import { api, freePort, percentile, round, startServer, stopServer, tempHome } from "./lib.mjs";

const TRUE_BIN = execFileSync("sh", ["-c", "command -v true"]).toString().trim();
const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

async function waitAllTerminal(url, companyId, count, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await api(url, "GET", `/api/companies/${companyId}/heartbeat-runs?limit=1000`);
    const done = runs.filter((r) => TERMINAL.has(r.status));
    if (done.length >= count) return runs;
    if (Date.now() > deadline) throw new Error(`only ${done.length}/${count} runs terminal`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function runW2({ databaseUrl } = {}) {
  const home = tempHome("w2");
  const { child, url } = await startServer({ home, port: await freePort(), databaseUrl });
  try {
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
    // W2: 200 wakeups, 20 in flight.
    const sent = new Map();
    const accepted = [];
    let next = 0;
    const t0 = performance.now();
    const t0Wall = Date.now();
    const worker = async () => {
      while (next < 200) {
        const i = next++;
        const agent = agents[i % agents.length];
        const sendWall = Date.now();
        const s = performance.now();
        const run = await api(url, "POST", `/api/agents/${agent.id}/wakeup`, {
          source: "on_demand",
          triggerDetail: "manual",
          reason: "bench",
          payload: { taskKey: `bench-${i}` },
        });
        accepted.push(performance.now() - s);
        sent.set(run.id, sendWall);
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    const runs = await waitAllTerminal(url, company.id, 200);
    const totalMs = performance.now() - t0;
    const ours = runs.filter((r) => sent.has(r.id));
    const startLat = ours.map((r) => new Date(r.startedAt).getTime() - sent.get(r.id));
    const lastFinish = Math.max(...ours.map((r) => new Date(r.finishedAt).getTime()));
    const succeeded = ours.filter((r) => r.status === "succeeded").length;

    // W2': 40 wakeups one at a time, unloaded.
    const sent2 = new Map();
    const accepted2 = [];
    for (let i = 0; i < 40; i++) {
      const agent = agents[i % agents.length];
      const sendWall = Date.now();
      const s = performance.now();
      const run = await api(url, "POST", `/api/agents/${agent.id}/wakeup`, {
        source: "on_demand",
        triggerDetail: "manual",
        reason: "bench-seq",
        payload: { taskKey: `bench-seq-${i}` },
      });
      accepted2.push(performance.now() - s);
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
      workload: "W2",
      database: databaseUrl ? "postgres" : "embedded",
      maxConcurrentRunsPerAgent: Number(process.env.BENCH_MAX_CONCURRENT_RUNS ?? 1),
      runs: ours.length,
      allSucceeded: succeeded === 200,
      succeeded,
      firstWakeupToLastFinishedMs: round(lastFinish - t0Wall, 0),
      clientObservedTotalMs: round(totalMs, 0),
      runsPerSecond: round(200 / ((lastFinish - t0Wall) / 1000), 1),
      wakeupAcceptedP50Ms: round(percentile(accepted, 50)),
      wakeupToStartedP50Ms: round(percentile(startLat, 50)),
      wakeupToStartedP95Ms: round(percentile(startLat, 95)),
      w2prime: {
        wakeupAcceptedP50Ms: round(percentile(accepted2, 50)),
        wakeupToStartedP50Ms: round(percentile(start2, 50)),
        allSucceeded: ours2.every((r) => r.status === "succeeded"),
      },
      targets: databaseUrl
        ? {
            firstWakeupToLastFinishedMs: 700,
            wakeupAcceptedP50Ms: 30,
            wakeupToStartedP50Ms: 100,
            wakeupToStartedP95Ms: 250,
            w2prime: { wakeupAcceptedP50Ms: 8, wakeupToStartedP50Ms: 20 },
          }
        : {
            firstWakeupToLastFinishedMs: 1300,
            wakeupAcceptedP50Ms: 30,
            wakeupToStartedP50Ms: 100,
            wakeupToStartedP95Ms: 250,
            w2prime: { wakeupAcceptedP50Ms: 8, wakeupToStartedP50Ms: 20 },
          },
    };
  } finally {
    await stopServer(child);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runW2({ databaseUrl: process.env.BENCH_DATABASE_URL }), null, 2));
}
