// Runs every benchmark workload and prints one JSON object of figures.
// BENCH_DATABASE_URL additionally runs the database-bound workloads on that Postgres server;
// `npm run bench:postgres` provides a throwaway one (see .ci/with-postgres).
import { runW1 } from "./w1-issues.mjs";
import { runW3 } from "./w3-start.mjs";
import { runW2 } from "./w2-runs.mjs";
import { runW5 } from "./w5-periodic.mjs";
import { runMentionsAdversarial } from "./mentions-adversarial.mjs";

const results = { machine: { node: process.version, cpus: (await import("node:os")).cpus().length }, workloads: [] };
const postgres = process.env.BENCH_DATABASE_URL;
results.workloads.push(await runW1());
if (postgres) results.workloads.push(await runW1({ databaseUrl: postgres }));
results.workloads.push(await runW2());
if (postgres) results.workloads.push(await runW2({ databaseUrl: postgres }));
results.workloads.push(await runW3());
results.workloads.push(await runW5());
if (postgres) results.workloads.push(await runW5({ databaseUrl: postgres }));
results.workloads.push(await runMentionsAdversarial());
console.log(JSON.stringify(results, null, 2));
