// Runs every benchmark workload and prints one JSON object of figures.
// BENCH_DATABASE_URL additionally runs the database-bound workloads on that Postgres server.
import { runW1 } from "./w1-issues.mjs";
import { runW3 } from "./w3-start.mjs";

const results = { machine: { node: process.version, cpus: (await import("node:os")).cpus().length }, workloads: [] };
results.workloads.push(await runW1());
if (process.env.BENCH_DATABASE_URL) results.workloads.push(await runW1({ databaseUrl: process.env.BENCH_DATABASE_URL }));
results.workloads.push(await runW3());
console.log(JSON.stringify(results, null, 2));
