// SQL statements per operation (W1 create / list, W2 wakeup and run), counted in-process: the
// built server (apps/server/dist) on a fresh embedded database (or BENCH_DATABASE_URL) wrapped by
// W5's statement counter, requests sent with app.request() (no socket). The run engine is started
// so wakeups run to completion (process agents running `true`). Counts are deterministic, so
// they are the figure to compare before/after a change on a noisy machine; times are not printed.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, figure, isMain, median, parseArgs, report, sleep, tempHome } from "./lib.mjs";
import { w5Internals } from "./w5-periodic.mjs";

const DIST = path.join(ROOT, "apps/server/dist");
const load = (rel) => import(pathToFileURL(path.join(DIST, rel)).href);
const TRUE_BIN = execFileSync("sh", ["-c", "command -v true"]).toString().trim();
const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

export async function runStatements({ databaseUrl, reps = 20 } = {}) {
  const { buildApp } = await load("server.js");
  const { createLogger } = await load("logger.js");
  const opened = await w5Internals.openFresh(databaseUrl);
  const home = tempHome("statements");
  const counted = w5Internals.instrument(opened.db);
  try {
    const { app, services, boardToken } = await buildApp(
      counted.db,
      { deploymentMode: "local_trusted", agentJwtSecret: "bench", home },
      createLogger("silent"),
    );
    const call = async (method, pathname, body) => {
      const res = await app.request(pathname, {
        method,
        headers: { authorization: `Bearer ${boardToken}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${pathname} -> ${res.status}: ${text}`);
      return JSON.parse(text);
    };
    const measure = async (fn) => {
      counted.begin();
      const out = await fn();
      return { out, n: counted.end().statements.length };
    };
    const company = await call("POST", "/api/companies", { name: "Bench statements" });
    const creates = [];
    for (let i = 0; i < reps; i++) {
      creates.push(
        (
          await measure(() =>
            call("POST", `/api/companies/${company.id}/issues`, { title: `Issue ${i}`, status: "todo", priority: "medium" }),
          )
        ).n,
      );
    }
    const list = (await measure(() => call("GET", `/api/companies/${company.id}/issues?limit=1000`))).n;
    const agent = await call("POST", `/api/companies/${company.id}/agents`, {
      name: "statements-agent",
      adapterType: "process",
      adapterConfig: { command: TRUE_BIN, args: [], timeoutSec: 60, graceSec: 2 },
    });
    await services.engine.start();
    // A wakeup's request alone, then everything until its run is terminal (claim, start,
    // heartbeats, finish, release), one run at a time so statements are attributed to one run.
    const wakeups = [];
    const perRun = [];
    const lastSql = {};
    for (let i = 0; i < reps; i++) {
      counted.begin();
      const run = await call("POST", `/api/agents/${agent.id}/wakeup`, {
        source: "on_demand",
        triggerDetail: "manual",
        reason: "bench",
        payload: { taskKey: `s-${i}` },
      });
      const wlog = counted.end().statements;
      wakeups.push(wlog.length);
      if (i === reps - 1) lastSql.wakeup = wlog.map((x) => x.sql.replace(/\s+/g, " ").trim().slice(0, 140));
      counted.begin();
      for (let k = 0; k < 3000; k++) {
        const [row] = await opened.db.query("SELECT status FROM heartbeat_runs WHERE id = $1", [run.id]);
        if (TERMINAL.has(row.status)) break;
        await sleep(5);
      }
      await sleep(50); // let the finish path's last statements land
      const rlog = counted.end().statements;
      perRun.push(rlog.length);
      if (i === reps - 1) lastSql.run = rlog.map((x) => x.sql.replace(/\s+/g, " ").trim().slice(0, 140));
    }
    await services.engine.stop();
    const r = {
      workload: "statements",
      database: databaseUrl ? "postgres" : "embedded",
      reps,
      createIssue: median(creates),
      listIssues1000: list,
      wakeupRequest: median(wakeups),
      wakeupToRunFinished: median(perRun),
      samples: { createIssue: creates, wakeupRequest: wakeups, wakeupToRunFinished: perRun },
      // The statements of the last wakeup and its run, abridged: what a "fewer statements" change targets.
      statementsOfLastRun: lastSql,
    };
    r.figures = [
      figure("create issue", r.createIssue, "statements"),
      figure("list", r.listIssues1000, "statements"),
      figure("wakeup → 202", r.wakeupRequest, "statements"),
      figure("run (claim → finished)", r.wakeupToRunFinished, "statements"),
    ];
    return r;
  } finally {
    await opened.dispose();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const args = parseArgs();
  report(await runStatements({ databaseUrl: args.databaseUrl, reps: args.reps ?? 20 }));
}
