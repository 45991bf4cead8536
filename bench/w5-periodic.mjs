// W5 (performance-targets.md): one scheduler periodic pass (tickTimers -> reapExpiredLeases ->
// promoteDueScheduledRetries -> dispatcher.resumeQueued -> reconcileStrandedAssignedIssues) over a
// company with 10,000 open issues, 500 agents and 100,000 past runs: <= 100 ms per pass, with a
// statement count that does not grow with the number of issues. Prints one JSON object.
//
// Unlike W1-W3 this workload does not go through HTTP (there is no endpoint that runs one pass):
// it opens the database with the BUILT modules (apps/server/dist), seeds it with set-based SQL,
// builds the run engine with buildApp() WITHOUT starting it (no timers, no LISTEN, no dispatch
// loop) and times `services.engine.runPeriodicPass()`, counting every statement the pass issues.
//
// Seeds (each in a fresh database: a temp data dir for the embedded database, or a database
// created on the BENCH_DATABASE_URL server and dropped at the end):
//   - large: 10,000 open issues, 500 agents, 100,000 terminal runs (10 per issue);
//   - small: 1,000 open issues, 500 agents, 10,000 terminal runs; the same fixed number (50) of
//     stranded issues, so both seeds give the pass the same amount of real work and the
//     statement counts are directly comparable.
//
// Sequence per seed: seed + ANALYZE; one warm-up pass (reported apart as warmupPass: fresh
// connections, cold caches, nothing stranded yet); then the latest run of 50 issues becomes a
// failure that left nothing pending ("stranded"), and N timed passes run (BENCH_W5_PASSES,
// default 7): pass 1 does the stranded work, passes 2..N are the steady state. A pass that logs an
// error (runPeriodicPass() catches and logs) aborts the benchmark instead of looking fast.
//
// Keeping the measurement about the pass (documented choice):
//   - Every seeded agent is a process agent whose command is the absolute path of `true`, so that
//     nothing real could run even if a run were claimed.
//   - The engine is never started, so nothing LISTENs to the dispatch NOTIFY of the runs the
//     reconciliation enqueues: pass 1 only enqueues them. Before pass 2 (untimed) the benchmark
//     completes those runs with one SQL statement, as if their agents had done the work
//     (status succeeded, wake completed, issue lock released), so passes 2..N see the steady
//     state (nothing queued, nothing stranded) and `resumeQueued` never pokes an agent: no claim
//     transaction and no process runs concurrently with a timed pass. The benchmark checks that
//     the engine's execution registry stays empty.
//
// Breakdown: the pass's sub-steps are attributed from the statement log (each sub-step opens with
// a recognisable statement), so the real, unmodified pass is what is timed. BENCH_W5_EXPLAIN=1 adds
// EXPLAIN (ANALYZE, BUFFERS) plans of the slowest read statements of a steady-state pass.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, figure, isMain, median, parseArgs, report, round, tempHome } from "./lib.mjs";

// BENCH_SERVER_DIST measures another build of the server (e.g. a patched copy of dist).
const DIST = process.env.BENCH_SERVER_DIST ? path.resolve(process.env.BENCH_SERVER_DIST) : path.join(ROOT, "apps/server/dist");
const load = (rel) => import(pathToFileURL(path.join(DIST, rel)).href);

const TRUE_BIN = execFileSync("sh", ["-c", "command -v true"]).toString().trim();

const LARGE = { issues: 10_000, agents: 500, runsPerIssue: 10, stranded: 50 };
const SMALL = { issues: 1_000, agents: 500, runsPerIssue: 10, stranded: 50 };
const ACTIVE_RUNNING = 20; // running runs (other server, lease valid for an hour)
const ACTIVE_RETRIES = 10; // scheduled retries due in an hour

/** Sub-steps of runPeriodicPass, in order, each recognised by the statement that opens it. */
const STEPS = [
  ["tickTimers", /runtime_config->'heartbeat'->>'enabled'/],
  ["reapExpiredLeases", /WHERE status = 'running' AND lease_owner IS DISTINCT FROM/],
  ["promoteDueScheduledRetries", /r\.status = 'scheduled_retry' AND r\.scheduled_retry_at <=/],
  ["resumeQueued", /SELECT DISTINCT agent_id FROM heartbeat_runs WHERE status = 'queued'/],
  ["reconcileStrandedAssignedIssues", /has_deferred_wake/],
];

// ---------------------------------------------------------------------------------------------
// Statement counting: a Database that forwards to the real one and logs every statement.

function instrument(db) {
  const log = { on: false, t0: 0, statements: [], txs: [] };
  const run = async (target, sql, params, tx) => {
    if (!log.on) return target.query(sql, params);
    const start = performance.now();
    const entry = { sql, params, start: start - log.t0, ms: 0, rows: 0, tx };
    log.statements.push(entry);
    const rows = await target.query(sql, params);
    entry.ms = performance.now() - start;
    entry.rows = rows.length;
    return rows;
  };
  const counted = {
    kind: db.kind,
    query: (sql, params) => run(db, sql, params, null),
    tx(fn) {
      if (!log.on) return db.tx(fn);
      const tx = { start: performance.now() - log.t0 };
      log.txs.push(tx);
      return db.tx((q) => fn({ query: (sql, params) => run(q, sql, params, tx) }));
    },
    exec: (sql) => db.exec(sql),
    listen: (channel, handler) => db.listen(channel, handler),
    close: () => db.close(),
  };
  return {
    db: counted,
    begin() {
      log.statements = [];
      log.txs = [];
      log.t0 = performance.now();
      log.on = true;
    },
    end() {
      log.on = false;
      return { statements: log.statements, txs: log.txs };
    },
  };
}

function stepBreakdown(statements, totalMs) {
  // Each statement belongs to the latest sub-step whose opening statement was seen (steps only
  // move forward). A sub-step starts at its opening statement (or the start of its transaction).
  const starts = new Map();
  const out = Object.fromEntries(STEPS.map(([name]) => [name, { ms: 0, statements: 0, transactions: 0, statementMs: 0 }]));
  out.unattributed = { ms: 0, statements: 0, transactions: 0, statementMs: 0 };
  let current = -1;
  const seenTx = new Set();
  for (const s of statements) {
    for (let i = current + 1; i < STEPS.length; i++) {
      if (STEPS[i][1].test(s.sql)) {
        current = i;
        starts.set(i, s.tx ? Math.min(s.tx.start, s.start) : s.start);
        break;
      }
    }
    const bucket = current < 0 ? out.unattributed : out[STEPS[current][0]];
    bucket.statements++;
    bucket.statementMs += s.ms;
    if (s.tx && !seenTx.has(s.tx)) {
      seenTx.add(s.tx);
      bucket.transactions++;
    }
  }
  const ordered = [...starts.entries()].sort((a, b) => a[0] - b[0]);
  ordered.forEach(([i, start], k) => {
    const end = k + 1 < ordered.length ? ordered[k + 1][1] : totalMs;
    out[STEPS[i][0]].ms = end - start;
  });
  for (const v of Object.values(out)) {
    v.ms = round(v.ms);
    v.statementMs = round(v.statementMs);
  }
  if (out.unattributed.statements === 0) delete out.unattributed;
  return out;
}

const normalize = (sql) => sql.replace(/\s+/g, " ").trim();

function topStatements(statements, n = 6) {
  const groups = new Map();
  for (const s of statements) {
    const key = normalize(s.sql);
    const g = groups.get(key) ?? { sql: key.length > 160 ? `${key.slice(0, 157)}...` : key, count: 0, totalMs: 0, maxMs: 0, rows: 0 };
    g.count++;
    g.totalMs += s.ms;
    g.maxMs = Math.max(g.maxMs, s.ms);
    g.rows += s.rows;
    groups.set(key, g);
  }
  return [...groups.values()]
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, n)
    .map((g) => ({ ...g, totalMs: round(g.totalMs), maxMs: round(g.maxMs) }));
}

// ---------------------------------------------------------------------------------------------
// Databases.

async function openFresh(databaseUrl) {
  const { migrate } = await load("db/migrate.js");
  if (databaseUrl) {
    const { openPostgres } = await load("db/postgres.js");
    const { default: pg } = await import("pg");
    const name = `staple_bench_w5_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    const db = await openPostgres({ connectionString: url.toString(), applicationName: "staple-bench-w5" });
    await migrate(db);
    return {
      db,
      async dispose() {
        await db.close();
        const a = new pg.Client({ connectionString: databaseUrl });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => a.query(`DROP DATABASE IF EXISTS "${name}"`));
        await a.end();
      },
    };
  }
  const { openEmbedded } = await load("db/embedded.js");
  const { EMBEDDED_TEMPLATE_DIR } = await load("db/open.js");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-bench-w5-db-"));
  const dataDir = path.join(dir, "db");
  // Same first-start path as the server: copy the prepared, migrated cluster when it exists.
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

// ---------------------------------------------------------------------------------------------
// Seed (set-based: a handful of INSERT ... SELECT FROM generate_series statements).

async function seed(db, { issues, agents, runsPerIssue, stranded }) {
  const step = Math.floor(issues / stranded);
  if (step <= 17) throw new Error("too many stranded issues for the seed layout");
  const wakeStep = Math.max(1, Math.floor(issues / 300));
  const cid = "md5('w5-company')::uuid";
  const agentId = (g) => `md5('w5-agent-' || (${g}))::uuid`;
  const issueId = (n) => `md5('w5-issue-' || (${n}))::uuid`;
  const runId = (n, k) => `md5('w5-run-' || (${n}) || '-' || (${k}))::uuid`;
  // Kind of issue n: stranded (latest run failed, nothing pending), running (a live run of another
  // server), retry (a scheduled retry due later), or normal (latest run succeeded).
  const kind = (n) =>
    `CASE WHEN (${n}) % ${step} = 17 THEN 'stranded'
          WHEN (${n}) % ${step} = 5 AND (${n}) / ${step} < ${ACTIVE_RUNNING} THEN 'running'
          WHEN (${n}) % ${step} = 11 AND (${n}) / ${step} < ${ACTIVE_RETRIES} THEN 'retry'
          ELSE 'normal' END`;
  const t0 = performance.now();
  await db.tx(async (q) => {
    await q.query(`INSERT INTO companies (id, name, issue_prefix, issue_counter) VALUES (${cid}, 'Bench W5', 'BW5', $1)`, [issues]);
    // 500 agents: idle, except every 25th paused; heartbeat timers disabled except every 50th
    // (enabled, hourly, last beat ten minutes ago: not due).
    await q.query(
      `INSERT INTO agents (id, company_id, name, url_key, role, status, adapter_type, adapter_config, runtime_config,
                           pause_reason, paused_at, last_heartbeat_at, created_at, updated_at)
       SELECT ${agentId("g")}, ${cid}, 'bench-agent-' || g, 'bench-agent-' || g, 'engineer',
              CASE WHEN g % 25 = 24 THEN 'paused' ELSE 'idle' END, 'process',
              jsonb_build_object('command', $1::text, 'args', '[]'::jsonb, 'timeoutSec', 60, 'graceSec', 2),
              CASE WHEN g % 50 = 7 THEN '{"heartbeat": {"enabled": true, "intervalSec": 3600}}'::jsonb
                   ELSE '{"heartbeat": {"enabled": false}}'::jsonb END,
              CASE WHEN g % 25 = 24 THEN 'manual' END, CASE WHEN g % 25 = 24 THEN now() - interval '1 day' END,
              now() - interval '10 minutes', now() - interval '60 days', now() - interval '1 day'
         FROM generate_series(0, $2::int - 1) g`,
      [TRUE_BIN, agents],
    );
    // Open issues: 60 % todo, 40 % in_progress (stranded ones alternate), assigned round robin.
    await q.query(
      `INSERT INTO issues (id, company_id, title, description, status, priority, assignee_agent_id, issue_number, identifier,
                           started_at, created_at, updated_at)
       SELECT ${issueId("n")}, ${cid}, 'Bench issue ' || n, 'Benchmark issue number ' || n || ' with a short description.',
              CASE WHEN ${kind("n")} = 'stranded' THEN (CASE WHEN (n / ${step}) % 2 = 0 THEN 'in_progress' ELSE 'todo' END)
                   WHEN ${kind("n")} = 'running' THEN 'in_progress'
                   WHEN ${kind("n")} = 'retry' THEN 'todo'
                   WHEN n % 5 < 2 THEN 'in_progress' ELSE 'todo' END,
              (ARRAY['critical', 'high', 'medium', 'low'])[n % 4 + 1], ${agentId(`n % ${agents}`)}, n, 'BW5-' || n,
              CASE WHEN n % 5 < 2 THEN now() - interval '3 days' END,
              now() - interval '30 days' + n * interval '1 second', now() - n * interval '1 second'
         FROM generate_series(1, $1::int) n`,
      [issues],
    );
    // Terminal runs: runsPerIssue per issue, by its assignee, six hours apart; the latest decides
    // the issue's state (failed for stranded issues, else succeeded; in_progress issues' latest
    // run alternates between liveness 'advanced' and none).
    await q.query(
      `INSERT INTO heartbeat_runs (id, company_id, agent_id, invocation_source, trigger_detail, status, issue_id, task_key,
                                  started_at, finished_at, error, error_code, exit_code, usage_json, result_json,
                                  stdout_excerpt, liveness_state, context_snapshot, created_at, updated_at)
       SELECT ${runId("n", "k")}, ${cid}, ${agentId(`n % ${agents}`)},
              CASE WHEN k = 1 THEN 'assignment' ELSE 'automation' END, 'system', s.status, ${issueId("n")}, ${issueId("n")}::text,
              c.at + interval '1 second', c.at + (30 + n % 300) * interval '1 second',
              CASE WHEN s.status = 'failed' THEN 'Process exited with code 1' WHEN s.status = 'timed_out' THEN 'Timed out after 600s' END,
              CASE WHEN s.status = 'failed' THEN 'adapter_failed' WHEN s.status = 'timed_out' THEN 'timeout' WHEN s.status = 'cancelled' THEN 'cancelled' END,
              CASE WHEN s.status = 'succeeded' THEN 0 WHEN s.status = 'failed' THEN 1 END,
              jsonb_build_object('inputTokens', 1000 + n % 5000, 'outputTokens', 100 + k * 10, 'costCents', k),
              CASE WHEN s.status = 'succeeded' THEN jsonb_build_object('summary', 'Worked on BW5-' || n) END,
              'step ' || k || ': ' || repeat('agent output ', 12),
              CASE WHEN s.status <> 'succeeded' THEN NULL
                   WHEN k = $2::int AND n % 10 < 2 THEN 'advanced'
                   WHEN k < $2::int THEN 'completed' END,
              jsonb_build_object('issueId', ${issueId("n")}, 'wakeReason',
                                 CASE WHEN k = 1 THEN 'issue_assigned' WHEN k % 3 = 0 THEN 'issue_commented' ELSE 'issue_continuation_needed' END),
              c.at, c.at + (30 + n % 300) * interval '1 second'
         FROM generate_series(1, $1::int) n
        CROSS JOIN generate_series(1, $2::int) k
        CROSS JOIN LATERAL (SELECT now() - interval '1 hour' - ($2::int - k) * interval '6 hours' - (n % 1000) * interval '1 second' AS at) c
        CROSS JOIN LATERAL (SELECT CASE
                WHEN k = $2::int THEN (CASE WHEN ${kind("n")} = 'retry' THEN 'failed' ELSE 'succeeded' END)
                WHEN (n + k) % 10 = 0 THEN 'failed' WHEN (n + k) % 10 = 1 THEN 'cancelled' WHEN (n + k) % 10 = 2 THEN 'timed_out'
                ELSE 'succeeded' END AS status) s`,
      [issues, runsPerIssue],
    );
    // A few hundred wakeup requests, completed, for the latest run of every wakeStep-th issue.
    await q.query(
      `WITH w AS (
         INSERT INTO agent_wakeup_requests (id, company_id, agent_id, source, trigger_detail, reason, payload, status,
                                            requested_by_actor_type, requested_by_actor_id, issue_id, run_id,
                                            requested_at, claimed_at, finished_at, created_at, updated_at)
         SELECT md5('w5-wake-' || n)::uuid, ${cid}, ${agentId(`n % ${agents}`)}, 'automation', 'system', 'issue_continuation_needed',
                jsonb_build_object('issueId', ${issueId("n")}), 'completed', 'system', 'bench', ${issueId("n")}, ${runId("n", "$2::int")},
                now() - interval '2 hours', now() - interval '2 hours', now() - interval '1 hour', now() - interval '2 hours', now() - interval '1 hour'
           FROM generate_series(1, $1::int) n WHERE n % $3::int = 1
         RETURNING id, run_id
       )
       UPDATE heartbeat_runs r SET wakeup_request_id = w.id FROM w WHERE r.id = w.run_id`,
      [issues, runsPerIssue, wakeStep],
    );
    // Live work owned by another server (its lease valid for an hour): the reaper must leave it.
    await q.query(
      `WITH src AS (SELECT n, ${agentId(`n % ${agents}`)} AS agent_id, md5('w5-live-' || n)::uuid AS run_id FROM generate_series(1, $1::int) n
                     WHERE ${kind("n")} = 'running'),
       w AS (
         INSERT INTO agent_wakeup_requests (id, company_id, agent_id, source, trigger_detail, reason, status, issue_id, run_id, claimed_at)
         SELECT md5('w5-live-wake-' || n)::uuid, ${cid}, agent_id, 'automation', 'system', 'issue_continuation_needed', 'claimed',
                ${issueId("n")}, run_id, now() - interval '5 minutes' FROM src
       ),
       r AS (
         INSERT INTO heartbeat_runs (id, company_id, agent_id, invocation_source, trigger_detail, status, wakeup_request_id, issue_id, task_key,
                                     started_at, lease_owner, lease_expires_at, context_snapshot, created_at, updated_at)
         SELECT run_id, ${cid}, agent_id, 'automation', 'system', 'running', md5('w5-live-wake-' || n)::uuid, ${issueId("n")}, ${issueId("n")}::text,
                now() - interval '5 minutes', 'bench-other-server', now() + interval '1 hour',
                jsonb_build_object('issueId', ${issueId("n")}, 'wakeReason', 'issue_continuation_needed'), now() - interval '5 minutes', now()
           FROM src
       ),
       i AS (
         UPDATE issues SET execution_run_id = src.run_id, execution_agent_name_key = 'bench-agent-' || (src.n % ${agents}),
                           execution_locked_at = now() - interval '5 minutes', checkout_run_id = src.run_id
           FROM src WHERE issues.id = ${issueId("src.n")}
       )
       UPDATE agents SET status = 'running' FROM src WHERE agents.id = src.agent_id`,
      [issues],
    );
    // Scheduled retries of failed runs, due in an hour: promotion must find nothing due.
    await q.query(
      `WITH src AS (SELECT n, ${agentId(`n % ${agents}`)} AS agent_id, md5('w5-retry-' || n)::uuid AS run_id FROM generate_series(1, $1::int) n
                     WHERE ${kind("n")} = 'retry'),
       w AS (
         INSERT INTO agent_wakeup_requests (id, company_id, agent_id, source, trigger_detail, reason, payload, status,
                                            requested_by_actor_type, requested_by_actor_id, issue_id, run_id)
         SELECT md5('w5-retry-wake-' || n)::uuid, ${cid}, agent_id, 'automation', 'system', 'transient_failure_retry',
                jsonb_build_object('issueId', ${issueId("n")}), 'queued', 'system', 'transient_retry', ${issueId("n")}, run_id FROM src
       ),
       r AS (
         INSERT INTO heartbeat_runs (id, company_id, agent_id, invocation_source, trigger_detail, status, wakeup_request_id, issue_id, task_key,
                                     context_snapshot, retry_of_run_id, scheduled_retry_at, scheduled_retry_attempt, scheduled_retry_reason,
                                     created_at, updated_at)
         SELECT run_id, ${cid}, agent_id, 'automation', 'system', 'scheduled_retry', md5('w5-retry-wake-' || n)::uuid, ${issueId("n")},
                ${issueId("n")}::text,
                jsonb_build_object('issueId', ${issueId("n")}, 'wakeReason', 'transient_failure_retry', 'retryReason', 'transient_failure'),
                ${runId("n", "$2::int")}, now() + interval '1 hour', 1, 'transient_failure', now() - interval '10 minutes', now()
           FROM src
       )
       UPDATE issues SET execution_run_id = src.run_id, execution_locked_at = now() - interval '10 minutes'
         FROM src WHERE issues.id = ${issueId("src.n")}`,
      [issues, runsPerIssue],
    );
  });
  await db.exec("ANALYZE");
  const [counts] = await db.query(
    `SELECT (SELECT count(*)::int FROM issues WHERE status IN ('todo', 'in_progress')) AS open_issues,
            (SELECT count(*)::int FROM agents) AS agents,
            (SELECT count(*)::int FROM heartbeat_runs WHERE status IN ('succeeded', 'failed', 'cancelled', 'timed_out')) AS terminal_runs,
            (SELECT count(*)::int FROM heartbeat_runs WHERE status IN ('queued', 'scheduled_retry', 'running')) AS active_runs,
            (SELECT count(*)::int FROM agent_wakeup_requests) AS wakeup_requests,
            (SELECT count(*)::int FROM agents WHERE status = 'paused') AS paused_agents,
            (SELECT count(*)::int FROM issues i JOIN agents a ON a.id = i.assignee_agent_id
              WHERE a.status = 'paused' AND i.id IN (SELECT ${issueId("n")} FROM generate_series(1, $1::int) n WHERE ${kind("n")} = 'stranded')) AS stranded_on_paused`,
    [issues],
  );
  if (counts.strandedOnPaused !== 0) throw new Error("seed layout put a stranded issue on a paused agent");
  const strand = async () => {
    // The latest run of each stranded issue becomes a failure (finished now) that scheduled no
    // retry and left nothing pending: the reconciliation must requeue the issue (todo: dispatch, in_progress:
    // continuation).
    const [row] = await db
      .query(
        `WITH s AS (SELECT ${runId("n", "$2::int")} AS run_id FROM generate_series(1, $1::int) n WHERE ${kind("n")} = 'stranded')
       UPDATE heartbeat_runs r SET status = 'failed', error = 'Process exited with code 1', error_code = 'adapter_failed', exit_code = 1,
              liveness_state = NULL, result_json = NULL, finished_at = now(), updated_at = now()
         FROM s WHERE r.id = s.run_id
       RETURNING 1`,
        [issues, runsPerIssue],
      )
      .then((rows) => [{ stranded: rows.length }]);
    return row.stranded;
  };
  return { ...counts, seedMs: round(performance.now() - t0, 0), strand };
}

/**
 * Completes the runs a pass queued, as if their agents had done the work (see the header): one
 * statement, untimed. Returns how many it completed.
 */
async function completeQueuedRuns(db) {
  const [row] = await db.query(
    `WITH r AS (
       UPDATE heartbeat_runs SET status = 'succeeded', started_at = now(), finished_at = now(), exit_code = 0,
              liveness_state = 'advanced', updated_at = now()
        WHERE status = 'queued' RETURNING id, wakeup_request_id
     ), w AS (
       UPDATE agent_wakeup_requests SET status = 'completed', claimed_at = now(), finished_at = now(), updated_at = now()
        WHERE id IN (SELECT wakeup_request_id FROM r)
     ), i AS (
       UPDATE issues SET execution_run_id = NULL, execution_agent_name_key = NULL, execution_locked_at = NULL
        WHERE execution_run_id IN (SELECT id FROM r)
     )
     SELECT count(*)::int AS completed FROM r`,
  );
  return row.completed;
}

async function explainSlowest(db, statements, n) {
  const reads = statements
    .filter((s) => /^\s*(SELECT|WITH)\b/i.test(s.sql) && !/\b(INSERT|UPDATE|DELETE)\b/i.test(s.sql))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n);
  const plans = [];
  for (const s of reads) {
    const rows = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${s.sql}`, s.params);
    plans.push({ sql: normalize(s.sql), params: s.params, passMs: round(s.ms), plan: rows.map((r) => r.queryPlan ?? Object.values(r)[0]) });
  }
  return plans;
}

// ---------------------------------------------------------------------------------------------

async function measureSeed(shape, { databaseUrl, passes, explain, extraSql }) {
  const { buildApp } = await load("server.js");
  const { createLogger } = await load("logger.js");
  const opened = await openFresh(databaseUrl);
  const home = tempHome("w5");
  try {
    const seeded = await seed(opened.db, shape);
    if (extraSql) {
      await opened.db.exec(extraSql);
      await opened.db.exec("ANALYZE");
    }
    const counted = instrument(opened.db);
    // Silent, except that errors are kept: runPeriodicPass() logs a failing sub-step and returns,
    // and a pass that failed half-way must not be reported as a fast pass.
    const errors = [];
    const silent = createLogger("silent");
    const logger = {
      ...silent,
      error: (msg, fields) => errors.push({ msg, err: String(fields?.err?.message ?? fields?.err ?? "") }),
      child: () => logger,
    };
    const { services } = await buildApp(counted.db, { deploymentMode: "local_trusted", agentJwtSecret: "bench", home }, logger);
    const engine = services.engine; // never started: no timers, no LISTEN, no dispatch loop
    const passMs = [];
    const statementsPerPass = [];
    const transactionsPerPass = [];
    const breakdown = [];
    let firstPass = null;
    let steadyPass = null;
    let completedAfterPass1 = 0;
    // Warm-up pass (untimed in passMs, reported apart): first statements on fresh connections,
    // cold plan and catalog caches. Nothing is stranded yet, so it is a steady-state pass.
    counted.begin();
    const t = performance.now();
    await engine.runPeriodicPass();
    const warmupMs = performance.now() - t;
    const warmupLog = counted.end();
    if (errors.length > 0) throw new Error(`warm-up pass failed: ${JSON.stringify(errors)}`);
    const strandedNow = await seeded.strand();
    for (let i = 0; i < passes; i++) {
      counted.begin();
      const t0 = performance.now();
      await engine.runPeriodicPass();
      const ms = performance.now() - t0;
      const log = counted.end();
      passMs.push(round(ms));
      statementsPerPass.push(log.statements.length);
      transactionsPerPass.push(log.txs.length);
      breakdown.push(stepBreakdown(log.statements, ms));
      if (i === 0) firstPass = log;
      steadyPass = log;
      // Untimed: finish what the pass queued (pass 1: the stranded issues' runs).
      const completed = await completeQueuedRuns(opened.db);
      if (i === 0) completedAfterPass1 = completed;
      if (engine.registry.all().length > 0) throw new Error("a run started executing during the benchmark");
      if (errors.length > 0) throw new Error(`pass ${i + 1} failed: ${JSON.stringify(errors)}`);
    }
    const steady = passMs.slice(1);
    const result = {
      issues: seeded.openIssues,
      agents: seeded.agents,
      runs: seeded.terminalRuns,
      activeRuns: seeded.activeRuns,
      wakeupRequests: seeded.wakeupRequests,
      strandedSeeded: strandedNow,
      seedMs: seeded.seedMs,
      warmupPass: {
        ms: round(warmupMs),
        statements: warmupLog.statements.length,
        breakdown: stepBreakdown(warmupLog.statements, warmupMs),
      },
      passMs,
      steadyStatePassMs: round(median(steady)),
      statementsPerPass,
      transactionsPerPass,
      runsQueuedByPass1: completedAfterPass1,
      breakdownPass1: breakdown[0],
      breakdownSteadyState: medianBreakdown(breakdown.slice(1)),
      topStatementsPass1: topStatements(firstPass.statements),
      topStatementsSteadyState: topStatements(steadyPass.statements),
    };
    if (explain) result.plans = await explainSlowest(opened.db, steadyPass.statements, 2);
    await engine.stop();
    return result;
  } finally {
    await opened.dispose();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

function medianBreakdown(list) {
  if (list.length === 0) return null;
  const out = {};
  for (const name of Object.keys(list[0])) {
    out[name] = {
      ms: round(median(list.map((b) => b[name]?.ms ?? 0))),
      statementMs: round(median(list.map((b) => b[name]?.statementMs ?? 0))),
      statements: median(list.map((b) => b[name]?.statements ?? 0)),
      transactions: median(list.map((b) => b[name]?.transactions ?? 0)),
    };
  }
  return out;
}

/**
 * `extraSql` (env BENCH_W5_EXTRA_SQL) runs after the seed, before ANALYZE and the passes: a way to
 * measure a proposed index before writing its migration.
 */
export const W5_TARGET_MS = 20;

export async function runW5({
  databaseUrl,
  passes = Number(process.env.BENCH_W5_PASSES ?? 7),
  explain = process.env.BENCH_W5_EXPLAIN === "1",
  extraSql = process.env.BENCH_W5_EXTRA_SQL,
} = {}) {
  const large = await measureSeed(LARGE, { databaseUrl, passes, explain, extraSql });
  const small = await measureSeed(SMALL, { databaseUrl, passes, explain, extraSql });
  const { issues, agents, runs, passMs, steadyStatePassMs, statementsPerPass, ...details } = large;
  return {
    workload: "W5",
    database: databaseUrl ? "postgres" : "embedded",
    issues,
    agents,
    runs,
    passMs,
    steadyStatePassMs,
    statementsPerPass,
    smallSeed: {
      issues: small.issues,
      agents: small.agents,
      runs: small.runs,
      passMs: small.passMs,
      steadyStatePassMs: small.steadyStatePassMs,
      statementsPerPass: small.statementsPerPass,
    },
    // Does not grow: pass by pass, the 10,000-issue seed issues no more statements than the
    // 1,000-issue one (the two seeds give the pass the same work: 50 stranded issues each).
    statementCountIndependentOfIssues: small.statementsPerPass.every((n, i) => n >= statementsPerPass[i]),
    ...(extraSql ? { extraSql } : {}),
    details,
    smallSeedDetails: (({ issues: _i, agents: _a, runs: _r, passMs: _p, steadyStatePassMs: _s, statementsPerPass: _sp, ...rest }) => rest)(
      small,
    ),
    target: { passMs: W5_TARGET_MS },
    figures: [
      figure("pass at 10,000 issues", round(steadyStatePassMs), "ms", W5_TARGET_MS),
      figure("at 1,000", round(small.steadyStatePassMs), "ms"),
      figure("statements", median(statementsPerPass.slice(1))),
      {
        ...figure("statements independent of issues", 1, "", 1, "higher"),
        value: small.statementsPerPass.every((n, i) => n >= statementsPerPass[i]) ? "yes" : "no",
        targetLabel: "yes",
      },
    ],
  };
}

/** For investigations (query plans, index experiments) on the same seed. */
export const w5Internals = { openFresh, seed, instrument, completeQueuedRuns, LARGE, SMALL };

if (isMain(import.meta.url)) {
  const args = parseArgs();
  // --reps N: N steady-state passes after the pass that does the stranded work.
  report(await runW5({ databaseUrl: args.databaseUrl, ...(args.reps ? { passes: args.reps + 1 } : {}) }));
}
