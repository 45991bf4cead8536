// Routines schedule pass (docs/routines.md#exactly-once-across-servers): time and statement count
// of one schedule pass over N routines with a schedule trigger each, for N = 10 and N = 10,000,
// (a) with nothing due and (b) with 20 routines due. The pass must be set-based: the statement
// count may not grow with N, only with the number of due fires. Prints one JSON object.
//
// Uses the BUILT server modules (apps/server/dist; `npx tsc -b apps/server` first) and the
// routine service directly with a statement-counting database handle; the issue hooks are the
// no-op ones, so the figures are the pass's own (claim + dispatch), not the wakes it enqueues.
// BENCH_DATABASE_URL runs the same on that Postgres server (a throwaway database is created).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, figure, isMain, median, parseArgs, report, round } from "./lib.mjs";

const DIST = path.join(ROOT, "apps/server/dist");
const load = (rel) => import(pathToFileURL(path.join(DIST, rel)).href);
const PASSES = Number(process.env.BENCH_ROUTINES_PASSES ?? 5);
const DUE = 20;

function counting(db) {
  const c = { n: 0 };
  const wrap = (q) => ({
    query: (sql, p) => {
      c.n++;
      return q.query(sql, p);
    },
  });
  return {
    c,
    db: {
      kind: db.kind,
      query: (sql, p) => {
        c.n++;
        return db.query(sql, p);
      },
      tx: (fn) => db.tx((q) => fn(wrap(q))),
      exec: (sql) => db.exec(sql),
      listen: (ch, h) => db.listen(ch, h),
      close: () => db.close(),
    },
  };
}

async function openFresh(databaseUrl) {
  const { migrate } = await load("db/migrate.js");
  if (databaseUrl) {
    const { openPostgres } = await load("db/postgres.js");
    const { default: pg } = await import("pg");
    const name = `staple_bench_routines_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    const db = await openPostgres({ connectionString: url.toString() });
    await migrate(db);
    return {
      db,
      async dispose() {
        await db.close();
        const a = new pg.Client({ connectionString: databaseUrl });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await a.end();
      },
    };
  }
  const { openEmbedded } = await load("db/embedded.js");
  const { EMBEDDED_TEMPLATE_DIR } = await load("db/open.js");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-bench-routines-db-"));
  const dataDir = path.join(dir, "db");
  if (fs.existsSync(EMBEDDED_TEMPLATE_DIR)) fs.cpSync(EMBEDDED_TEMPLATE_DIR, dataDir, { recursive: true });
  const db = await openEmbedded({ dataDir });
  await migrate(db);
  return {
    db,
    async dispose() {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function measure(databaseUrl, routines) {
  const { createRoutineService } = await load("routines/service.js");
  const { createWebhookSecrets } = await load("routines/webhook-secret.js");
  const { noIssueHooks } = await load("issues/hooks.js");
  const { createLogger } = await load("logger.js");
  const fresh = await openFresh(databaseUrl);
  try {
    const { db } = fresh;
    const [company] = await db.query("INSERT INTO companies (name, issue_prefix) VALUES ('Bench', 'BNR') RETURNING id");
    const [agent] = await db.query(
      "INSERT INTO agents (company_id, name, url_key, adapter_type, adapter_config) VALUES ($1, 'bench', 'bench', 'process', '{}'::jsonb) RETURNING id",
      [company.id],
    );
    const seed = (count, next) =>
      db.query(
        `WITH r AS (INSERT INTO routines (company_id, title, assignee_agent_id, concurrency_policy)
                    SELECT $1, 'r' || g, $2, 'always_enqueue' FROM generate_series(1, $3::int) g RETURNING id)
         INSERT INTO routine_triggers (company_id, routine_id, kind, cron_expression, timezone, next_run_at)
         SELECT $1, id, 'schedule', '0 0 * * *', 'UTC', $4 FROM r`,
        [company.id, agent.id, count, next],
      );
    const now = new Date("2026-06-01T12:00:00.000Z");
    await seed(routines, "2026-06-02T00:00:00.000Z");
    await db.query("ANALYZE");
    const { db: counted, c } = counting(db);
    const service = createRoutineService({
      db: counted,
      logger: createLogger("silent"),
      issueHooks: noIssueHooks,
      secrets: createWebhookSecrets("bench"),
      clock: { now: () => now },
      apiUrl: () => "http://127.0.0.1:3100",
    });
    const pass = async () => {
      c.n = 0;
      const t0 = performance.now();
      const result = await service.schedulePass(now);
      return { ms: performance.now() - t0, statements: c.n, fires: result.claimed };
    };
    await pass(); // warm-up
    const idle = [];
    for (let i = 0; i < PASSES; i++) idle.push(await pass());
    await seed(DUE, "2026-06-01T11:00:00.000Z");
    const due = await pass();
    return {
      routines: routines + DUE,
      idle: { medianMs: round(median(idle.map((p) => p.ms))), statements: idle[0].statements },
      due: {
        fires: due.fires,
        ms: round(due.ms),
        statements: due.statements,
        statementsPerFire: round((due.statements - idle[0].statements) / DUE),
      },
    };
  } finally {
    await fresh.dispose();
  }
}

/** One database (embedded, or Postgres at databaseUrl): 10 and 10,000 routines. */
export async function runRoutinesSchedule({ databaseUrl } = {}) {
  const small = await measure(databaseUrl, 10);
  const large = await measure(databaseUrl, 10_000);
  const setBased = small.idle.statements === large.idle.statements && small.due.statements === large.due.statements;
  return {
    workload: "routines-schedule",
    database: databaseUrl ? "postgres" : "embedded",
    small,
    large,
    setBased,
    figures: [
      figure("idle pass at 10,000", large.idle.medianMs, "ms"),
      figure("statements", large.idle.statements, "", small.idle.statements),
      { ...figure("set-based", setBased ? 1 : 0, "", 1, "higher"), value: setBased ? "yes" : "no", targetLabel: "yes" },
    ],
  };
}

if (isMain(import.meta.url)) {
  const { databaseUrl } = parseArgs();
  report(await runRoutinesSchedule({}));
  if (databaseUrl) report(await runRoutinesSchedule({ databaseUrl }));
}
