// Runs every benchmark workload (W1–W5, statements per operation, the board's cold load, the routines schedule pass, the
// mentions adversarial input and the scaling series) and prints one JSON object of figures, then
// one summary line per workload with each figure beside its target (✓/✗).
// BENCH_DATABASE_URL (or `npm run bench:postgres`, which provides a throwaway server) additionally
// runs the database-bound workloads on Postgres. `--base URL [--token T]` runs the HTTP workloads
// (W1, W2, the board) against another Paperclip-compatible server instead; `--reps N` sets the
// repetitions; `--only W1,W2,...` picks workloads (names as in the summary).
import os from "node:os";
import { runBoardCold } from "./board-cold.mjs";
import { parseArgs, summaryLine } from "./lib.mjs";
import { runMentionsAdversarial } from "./mentions-adversarial.mjs";
import { runRoutinesSchedule } from "./routines-schedule.mjs";
import { runScaling } from "./scaling.mjs";
import { runStatements } from "./statements.mjs";
import { runW1 } from "./w1-issues.mjs";
import { runW2 } from "./w2-runs.mjs";
import { runW3 } from "./w3-start.mjs";
import { runW4 } from "./w4-idle.mjs";
import { runW5 } from "./w5-periodic.mjs";

const args = parseArgs();
const argv = process.argv.slice(2);
const only = argv.includes("--only") ? new Set(argv[argv.indexOf("--only") + 1].split(",")) : null;
const want = (name) => !only || only.has(name);
const reps = args.reps;
const postgres = args.databaseUrl;
const base = args.base;
const http = { base, token: args.token, ...(reps ? { reps } : {}) };

const results = {
  machine: {
    node: process.version,
    cpus: os.cpus().length,
    loadavg: os.loadavg().map((v) => Math.round(v * 100) / 100),
    at: new Date().toISOString(),
  },
  workloads: [],
};
const run = async (name, fn) => {
  if (!want(name)) return;
  const r = await fn();
  results.workloads.push(r);
  if (r.figures) console.error(summaryLine(`${r.workload} [${r.database}]`, r.figures));
};

await run("W1", () => runW1(http));
if (postgres && !base) await run("W1", () => runW1({ ...http, databaseUrl: postgres }));
await run("W2", () => runW2(http));
if (postgres && !base) await run("W2", () => runW2({ ...http, databaseUrl: postgres }));
if (!base) {
  await run("statements", () => runStatements());
  if (postgres) await run("statements", () => runStatements({ databaseUrl: postgres }));
  await run("W3", () => runW3(reps ? { reps } : {}));
  await run("W4", () => runW4(reps ? { reps } : {}));
  if (postgres) await run("W4", () => runW4({ ...(reps ? { reps } : {}), databaseUrl: postgres }));
  await run("W5", () => runW5());
  if (postgres) await run("W5", () => runW5({ databaseUrl: postgres }));
}
await run("board", () => runBoardCold(http));
if (!base) {
  await run("routines-schedule", () => runRoutinesSchedule());
  if (postgres) await run("routines-schedule", () => runRoutinesSchedule({ databaseUrl: postgres }));
  await run("mentions", () => runMentionsAdversarial());
  await run("scaling", () => runScaling(reps ? { reps } : {}));
}
console.log(JSON.stringify(results, null, 2));
// The summary again, together at the end (the JSON above is long).
console.error("\nSummary");
for (const r of results.workloads) if (r.figures) console.error(summaryLine(`${r.workload} [${r.database}]`, r.figures));
