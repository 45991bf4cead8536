// Scaling: the same company at 1×, 10× and 100× data (1× = 100 open issues, 5 agents, 1,000 runs;
// 100× = 10,000 issues, 500 agents, 100,000 runs; W5's set-based seed). At each size:
//   - the periodic pass in-process (engine built, never started; steady state), ms and statements;
//   - idle PSS of the server's process tree `--settle` s (default 10) after a restart on that data;
//   - then list latency over HTTP (default page and ?limit=1000), p50.
// Prints each figure per size and its slope versus the data size on log-log axes (least squares
// over the three points): 1 = linear, 0 = flat. "Grows no faster than the data" is slope ≤ 1;
// the list of a fixed page and the pass's statement count should be near 0. Embedded only.
// `node bench/scaling.mjs [--reps N] [--factors 1,10,100]`
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  ROOT,
  api,
  figure,
  freePort,
  isMain,
  median,
  parseArgs,
  percentile,
  processTree,
  pssKiB,
  report,
  round,
  sleep,
  startServer,
  stopServer,
  tempHome,
} from "./lib.mjs";
import { w5Internals } from "./w5-periodic.mjs";

const DIST = path.join(ROOT, "apps/server/dist");
const load = (rel) => import(pathToFileURL(path.join(DIST, rel)).href);
const md5uuid = (s) =>
  crypto
    .createHash("md5")
    .update(s)
    .digest("hex")
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");

export const shapeAt = (f) => ({ issues: 100 * f, agents: 5 * f, runsPerIssue: 10, stranded: 2 * f });

/** Least-squares slope of log(y) against log(x). */
export function logLogSlope(xs, ys) {
  const pts = xs.map((x, i) => [Math.log(x), Math.log(Math.max(ys[i], 1e-6))]);
  const mx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
  const my = pts.reduce((a, p) => a + p[1], 0) / pts.length;
  const num = pts.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const den = pts.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return round(num / den);
}

async function seedHome(home, shape) {
  const { openEmbedded } = await load("db/embedded.js");
  const { EMBEDDED_TEMPLATE_DIR } = await load("db/open.js");
  const { migrate } = await load("db/migrate.js");
  const dataDir = path.join(home, "db");
  if (fs.existsSync(EMBEDDED_TEMPLATE_DIR)) fs.cpSync(EMBEDDED_TEMPLATE_DIR, dataDir, { recursive: true });
  const db = await openEmbedded({ dataDir });
  await migrate(db);
  const seeded = await w5Internals.seed(db, shape);
  return { db, seeded };
}

async function periodicPass(db, home, passes) {
  const { buildApp } = await load("server.js");
  const { createLogger } = await load("logger.js");
  const counted = w5Internals.instrument(db);
  const { services } = await buildApp(
    counted.db,
    { deploymentMode: "local_trusted", agentJwtSecret: "bench", home },
    createLogger("silent"),
  );
  const engine = services.engine;
  await engine.runPeriodicPass(); // warm-up
  const ms = [];
  const statements = [];
  for (let i = 0; i < passes; i++) {
    counted.begin();
    const t0 = performance.now();
    await engine.runPeriodicPass();
    ms.push(performance.now() - t0);
    statements.push(counted.end().statements.length);
    await w5Internals.completeQueuedRuns(db);
  }
  await engine.stop();
  return { passMs: median(ms), statements: median(statements) };
}

async function measureAt(factor, { reps, settleS }) {
  const shape = shapeAt(factor);
  const home = tempHome(`scaling-${factor}x`);
  try {
    const { db, seeded } = await seedHome(home, shape);
    const pass = await periodicPass(db, home, Math.max(5, reps));
    await db.close();
    const server = await startServer({ home, port: await freePort() });
    try {
      const cid = md5uuid("w5-company");
      const timeList = async (query) => {
        for (let i = 0; i < 3; i++) await api(server.url, "GET", `/api/companies/${cid}/issues${query}`);
        const p50s = [];
        for (let r = 0; r < reps; r++) {
          const ms = [];
          for (let i = 0; i < 15; i++) {
            const t0 = performance.now();
            await api(server.url, "GET", `/api/companies/${cid}/issues${query}`);
            ms.push(performance.now() - t0);
          }
          p50s.push(percentile(ms, 50));
        }
        return median(p50s);
      };
      // Idle memory first, then the lists: the lists are timed once the start's own work is over
      // (on this data the start recovers stranded issues: it wakes their agents, whose runs check
      // the issues out and comment, so the kept list pages' version moves; 60 runs at 10×), and
      // their pages are not in the idle figure. Since requests go before the engine's work
      // (src/db/turns.ts), lists timed right after the start met that work half-way.
      await sleep(settleS * 1000);
      const pss = [];
      for (let i = 0; i < 3; i++) {
        pss.push(pssKiB(processTree(server.child.pid)).total / 1024);
        await sleep(300);
      }
      const listPageP50Ms = await timeList("");
      const list1000P50Ms = await timeList("?limit=1000");
      return {
        factor,
        issues: seeded.openIssues,
        agents: seeded.agents,
        runs: seeded.terminalRuns,
        passMs: round(pass.passMs),
        passStatements: pass.statements,
        listPageP50Ms: round(listPageP50Ms),
        list1000P50Ms: round(list1000P50Ms),
        idlePssMiB: round(median(pss), 1),
        restartMs: round(server.readyMs, 0),
      };
    } finally {
      await stopServer(server.child);
    }
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

export async function runScaling({ reps = 3, factors = [1, 10, 100], settleS = 10 } = {}) {
  const points = [];
  for (const f of factors) points.push(await measureAt(f, { reps, settleS }));
  const xs = points.map((p) => p.issues);
  const keys = ["passMs", "passStatements", "listPageP50Ms", "list1000P50Ms", "idlePssMiB", "restartMs"];
  const slopes = Object.fromEntries(
    keys.map((k) => [
      k,
      logLogSlope(
        xs,
        points.map((p) => p[k]),
      ),
    ]),
  );
  const r = { workload: "scaling", database: "embedded", reps, points, slopes, targets: { slopeAtMost: 1 } };
  r.figures = keys.map((k) => figure(`${k} slope`, slopes[k], "", 1));
  return r;
}

if (isMain(import.meta.url)) {
  const args = parseArgs();
  const argv = process.argv.slice(2);
  const factors = argv.includes("--factors") ? argv[argv.indexOf("--factors") + 1].split(",").map(Number) : undefined;
  report(await runScaling({ reps: args.reps ?? 3, ...(factors ? { factors } : {}) }));
}
