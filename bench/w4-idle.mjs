// W4: idle memory and CPU. Seeds a home over HTTP with 1,000 issues and 400 finished runs (20
// process agents running `true`, 20 wakeups each), stops the server, restarts it on that data and,
// `--settle` seconds (default 30) after health is ok, sums the proportional set size (Pss of
// /proc/<pid>/smaps_rollup) of the server and all its descendants; then the CPU time of the same
// processes over `--window` seconds (default 20) as % of one core. `--reps N` restarts (default 3),
// medians. Against another server: `--base URL --pid PID` measures that process tree as it is
// (no seeding or restart: seed it with the same workload first).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import {
  api,
  cpuTicks,
  figure,
  freePort,
  isMain,
  median,
  parseArgs,
  processTree,
  pssKiB,
  report,
  round,
  sleep,
  startServer,
  stopServer,
  tempHome,
} from "./lib.mjs";

const TRUE_BIN = execFileSync("sh", ["-c", "command -v true"]).toString().trim();
const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);
export const W4_TARGETS = { idlePssMiB: 110, idleCpuPercent: 0.5 };

/** 1,000 issues and 400 finished runs, over HTTP. */
export async function seedW4(url, { issues = 1000, runs = 400 } = {}) {
  const company = await api(url, "POST", "/api/companies", { name: `Bench W4 ${Date.now()}` });
  let n = 0;
  const creator = async () => {
    while (n < issues) {
      const i = n++;
      await api(url, "POST", `/api/companies/${company.id}/issues`, {
        title: `Bench issue ${i}`,
        description: `Issue ${i} of the idle workload.`,
        status: "backlog",
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, creator));
  const agents = [];
  for (let i = 0; i < 20; i++) {
    agents.push(
      await api(url, "POST", `/api/companies/${company.id}/agents`, {
        name: `idle-agent-${i}`,
        adapterType: "process",
        adapterConfig: { command: TRUE_BIN, args: [], timeoutSec: 60, graceSec: 2 },
      }),
    );
  }
  let w = 0;
  const waker = async () => {
    while (w < runs) {
      const i = w++;
      await api(url, "POST", `/api/agents/${agents[i % 20].id}/wakeup`, {
        source: "on_demand",
        triggerDetail: "manual",
        reason: "bench",
        payload: { taskKey: `idle-${i}` },
      });
    }
  };
  await Promise.all(Array.from({ length: 20 }, waker));
  for (let k = 0; k < 6000; k++) {
    const list = await api(url, "GET", `/api/companies/${company.id}/heartbeat-runs?limit=1000`);
    if (list.filter((r) => TERMINAL.has(r.status)).length >= runs) return company;
    await sleep(50);
  }
  throw new Error("W4 seed: runs did not finish");
}

/** The largest mappings of one process by Pss (to see what dominates: wasm heap, V8 heap, code). */
function topMappings(pid, n = Number(process.env.BENCH_W4_MAPPINGS || 6)) {
  const out = [];
  let cur = null;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      cur = { name: head[3] || "[anon]", sizeKiB: (Number.parseInt(head[2], 16) - Number.parseInt(head[1], 16)) / 1024, pssKiB: 0 };
      out.push(cur);
    } else if (cur && line.startsWith("Pss:")) cur.pssKiB = Number(line.split(/\s+/)[1]);
  }
  return out.sort((a, b) => b.pssKiB - a.pssKiB).slice(0, n);
}

async function measureTree(pid, { settleS, windowS }) {
  await sleep(settleS * 1000);
  const samples = [];
  for (let i = 0; i < 3; i++) {
    samples.push(pssKiB(processTree(pid)));
    await sleep(500);
  }
  const pids = processTree(pid);
  const t0 = cpuTicks(pids);
  const w0 = performance.now();
  await sleep(windowS * 1000);
  const cpu = ((cpuTicks(pids) - t0) / 100 / ((performance.now() - w0) / 1000)) * 100;
  const pss = median(samples.map((s) => s.total));
  return { pssMiB: pss / 1024, processes: pids.length, perProcessKiB: samples[0].per, cpuPercent: cpu, topMappings: topMappings(pid) };
}

export async function runW4({ base, pid, reps = 3, settleS = 30, windowS = 20, databaseUrl } = {}) {
  let list;
  let database = databaseUrl ? "postgres" : "embedded";
  if (base) {
    if (!pid) throw new Error("W4 against --base needs --pid PID (the server's process id)");
    database = `external ${base}`;
    list = [];
    for (let i = 0; i < reps; i++) list.push(await measureTree(pid, { settleS: i === 0 ? 0 : 5, windowS }));
  } else {
    const home = tempHome("w4");
    const port = await freePort();
    try {
      const first = await startServer({ home, port, databaseUrl });
      await seedW4(first.url);
      await stopServer(first.child);
      list = [];
      for (let i = 0; i < reps; i++) {
        const s = await startServer({ home, port, databaseUrl });
        try {
          list.push(await measureTree(s.child.pid, { settleS, windowS }));
        } finally {
          await stopServer(s.child);
        }
      }
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }
  const r = {
    workload: "W4",
    database,
    reps,
    settleS,
    windowS,
    idlePssMiB: round(median(list.map((x) => x.pssMiB)), 1),
    idleCpuPercent: round(median(list.map((x) => x.cpuPercent))),
    processes: list[0].processes,
    perProcessKiB: list[0].perProcessKiB,
    topMappingsOfServer: list[0].topMappings,
    samples: { pssMiB: list.map((x) => round(x.pssMiB, 1)), cpuPercent: list.map((x) => round(x.cpuPercent)) },
    targets: W4_TARGETS,
  };
  r.figures = [
    figure("idle PSS", r.idlePssMiB, "MiB", W4_TARGETS.idlePssMiB),
    figure("idle CPU", r.idleCpuPercent, "%", W4_TARGETS.idleCpuPercent),
  ];
  return r;
}

if (isMain(import.meta.url)) {
  const args = parseArgs();
  const argv = process.argv.slice(2);
  const num = (flag) => (argv.includes(flag) ? Number(argv[argv.indexOf(flag) + 1]) : undefined);
  report(await runW4({ ...args, reps: args.reps ?? 3, pid: num("--pid"), settleS: num("--settle") ?? 30, windowS: num("--window") ?? 20 }));
}
