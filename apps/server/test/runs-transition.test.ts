import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { INITIAL_RUN_STATUSES, RUN_STATUSES, RUN_TRANSITIONS, TERMINAL_RUN_STATUSES, type RunStatus } from "@staple/contracts";
import { useTestApp, type TestApp } from "./helpers/test-app.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import {
  IllegalRunTransition,
  assertRunTransition,
  isRunTransition,
  importedRunInsertSql,
  runInsertSql,
  runTransitionSql,
  transitionRun,
  transitionRuns,
} from "../src/runs/transition.js";
import { findRun, type RunRow } from "../src/runs/rows.js";
import { promoteDueScheduledRetries, scheduleBoundedRetry } from "../src/runs/transient-retry.js";
import { localLeaseCtes } from "../src/runs/environment-leases.js";
import { DEFERRED_WAKE_CONTEXT_KEY } from "../src/runs/wake-context.js";
import { LIVE_CHANNEL } from "../src/live/bus.js";

const t = useTestApp();
const EDGES = Object.entries(RUN_TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}->${to}`));
const PAIRS = RUN_STATUSES.flatMap((from) => RUN_STATUSES.map((to) => [from, to] as [RunStatus, RunStatus]));

async function runIn(app: TestApp, status: RunStatus, agentId: string, companyId: string): Promise<string> {
  const id = randomUUID();
  // Test setup writes the status directly: this file is the table's test, not a product writer.
  await app.tdb.db.query(
    "INSERT INTO heartbeat_runs (id, company_id, agent_id, invocation_source, status) VALUES ($1, $2, $3, 'on_demand', $4)",
    [id, companyId, agentId, status],
  );
  return id;
}

describe("the run state machine is enforced by the transition module", () => {
  it("the table has exactly the documented edges", () => {
    expect(EDGES.sort()).toEqual(
      [
        "queued->running",
        "queued->cancelled",
        "scheduled_retry->queued",
        "scheduled_retry->cancelled",
        "running->succeeded",
        "running->failed",
        "running->cancelled",
        "running->timed_out",
      ].sort(),
    );
  });

  it.each(PAIRS)("%s -> %s is buildable only if it is an edge", (from, to) => {
    const edge = EDGES.includes(`${from}->${to}`);
    expect(isRunTransition(from, to)).toBe(edge);
    const build = () => runTransitionSql({ from: [from], to, set: "updated_at = now()" });
    if (edge) {
      expect(build()).toBe(`UPDATE heartbeat_runs SET status = '${to}', updated_at = now() WHERE id = $1 AND status IN ('${from}')`);
    } else {
      expect(build).toThrow(IllegalRunTransition);
      expect(() => assertRunTransition([from], to)).toThrow(IllegalRunTransition);
    }
  });

  it("refuses a from-list with one illegal member, an empty from-list, unknown states and status in `set`", () => {
    expect(() => runTransitionSql({ from: ["queued", "succeeded"], to: "cancelled" })).toThrow(/succeeded -> cancelled/);
    expect(() => runTransitionSql({ from: [], to: "cancelled" })).toThrow(IllegalRunTransition);
    expect(() => assertRunTransition(["queued"], "paused")).toThrow(IllegalRunTransition);
    expect(() => runTransitionSql({ from: ["queued"], to: "running", set: "started_at = now(), status = 'failed'" })).toThrow(
      /may not assign status/,
    );
    expect(() => runTransitionSql({ from: ["queued"], to: "running", set: "r.status = 'failed'" })).toThrow(/may not assign status/);
    // issue_comment_status is another column.
    expect(runTransitionSql({ from: ["running"], to: "failed", set: "issue_comment_status = 'x'" })).toContain(
      "issue_comment_status = 'x'",
    );
  });

  it("creates runs only in an initial state", () => {
    for (const status of RUN_STATUSES) {
      const build = () => runInsertSql(status, ["id"], ["$1"]);
      if ((INITIAL_RUN_STATUSES as readonly string[]).includes(status))
        expect(build()).toBe(`INSERT INTO heartbeat_runs (status, id) VALUES ('${status}', $1)`);
      else expect(build).toThrow(IllegalRunTransition);
    }
    expect(() => runInsertSql("queued", ["status"], ["'running'"])).toThrow(/initial/);
  });

  it("imports finished history only in a terminal state", () => {
    for (const status of RUN_STATUSES) {
      const build = () => importedRunInsertSql(status, ["id"], ["$1"], "id");
      if ((TERMINAL_RUN_STATUSES as readonly string[]).includes(status))
        expect(build()).toBe(`INSERT INTO heartbeat_runs (status, id) VALUES ('${status}', $1) RETURNING id`);
      else expect(build).toThrow(IllegalRunTransition);
    }
    expect(() => importedRunInsertSql("failed", ["status"], ["'running'"])).toThrow(/status/);
  });

  it("on the database, every pair: an edge moves a run in its from-state; anything else is refused and changes nothing", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    for (const [from, to] of PAIRS) {
      const id = await runIn(t.current, from, agent.id, company.id);
      const attempt = () => transitionRun(t.current.tdb.db, id, { from: [from], to, set: "updated_at = now()" });
      if (isRunTransition(from, to)) {
        expect(await attempt()).toEqual([{ id }]);
        expect((await findRun(t.current.tdb.db, id))!.status).toBe(to);
      } else {
        await expect(attempt()).rejects.toThrow(IllegalRunTransition);
        expect((await findRun(t.current.tdb.db, id))!.status).toBe(from);
      }
    }
  });

  it("a transition that lost a race (the run is no longer in a from-state) changes nothing; the set-based variant moves only matching runs", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const running = await runIn(t.current, "running", agent.id, company.id);
    expect(await transitionRun(t.current.tdb.db, running, { from: ["queued"], to: "cancelled" })).toEqual([]);
    expect((await findRun(t.current.tdb.db, running))!.status).toBe("running");

    const a = await runIn(t.current, "scheduled_retry", agent.id, company.id);
    const b = await runIn(t.current, "scheduled_retry", agent.id, company.id);
    const c = await runIn(t.current, "cancelled", agent.id, company.id);
    const moved = await transitionRuns(t.current.tdb.db, [a, b, c], { from: ["scheduled_retry"], to: "queued" });
    expect(moved.map((r) => r.id).sort()).toEqual([a, b].sort());
    expect((await findRun(t.current.tdb.db, c))!.status).toBe("cancelled");
  });
});

/** Status assignments in SET clauses of `UPDATE heartbeat_runs`, and INSERTs naming a status column. */
function statusWrites(text: string): number[] {
  const lines: number[] = [];
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;
  for (const m of text.matchAll(/UPDATE\s+heartbeat_runs\b(?:\s+\w+)?\s+SET\b([\s\S]*?)(?:\bWHERE\b|\bFROM\b|\bRETURNING\b|`|$)/gi)) {
    if (/(^|[\s,(])(\w+\.)?status\s*=/.test(m[1]!)) lines.push(lineOf(m.index!));
  }
  for (const m of text.matchAll(/INSERT\s+INTO\s+heartbeat_runs\s*\(([^)]*)\)/gi)) {
    if (/(^|[\s,])status\s*(,|$)/.test(m[1]!)) lines.push(lineOf(m.index!));
  }
  return lines;
}

describe("no other file writes heartbeat_runs.status", () => {
  it("the detector sees direct writes (and not other columns)", () => {
    expect(statusWrites("q.query(`UPDATE heartbeat_runs SET status = 'failed' WHERE id = $1`)")).toEqual([1]);
    expect(statusWrites("`UPDATE heartbeat_runs r\n SET finished_at = now(), status = $2 FROM x WHERE r.id = x.id`")).toEqual([1]);
    expect(statusWrites("`INSERT INTO heartbeat_runs (id, company_id, status) VALUES ($1, $2, 'queued')`")).toEqual([1]);
    expect(statusWrites("`UPDATE heartbeat_runs SET issue_comment_status = $2 WHERE id = $1 AND status = 'running'`")).toEqual([]);
  });

  it("only runs/transition.ts writes it", () => {
    const src = path.resolve(import.meta.dirname, "../src");
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith(".ts") && full !== path.join(src, "runs/transition.ts")) {
          for (const line of statusWrites(fs.readFileSync(full, "utf8"))) offenders.push(`${path.relative(src, full)}:${line}`);
        }
      }
    };
    walk(src);
    expect(offenders).toEqual([]);
  });
});

describe("one cancel path", () => {
  it("a scheduled retry cancelled because its issue was reassigned gets every side effect of a cancel", async () => {
    const db = t.current.tdb.db;
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const other = await createAgent(t.current, company.id);
    const newAssignee = await createAgent(t.current, company.id);
    const issue = await createIssue(t.current, company.id, { status: "todo" });
    await db.query("UPDATE issues SET assignee_agent_id = $2 WHERE id = $1", [issue.id, agent.id]);
    const sourceId = randomUUID();
    await db.query(
      `INSERT INTO heartbeat_runs (id, company_id, agent_id, invocation_source, status, error_code, finished_at, issue_id, context_snapshot)
       VALUES ($1, $2, $3, 'assignment', 'failed', 'adapter_failed', now(), $4, $5::jsonb)`,
      [sourceId, company.id, agent.id, issue.id, JSON.stringify({ issueId: issue.id, wakeReason: "issue_assigned" })],
    );
    await db.query("UPDATE issues SET execution_run_id = $2 WHERE id = $1", [issue.id, sourceId]);
    const scheduled = await scheduleBoundedRetry(db, (await findRun(db, sourceId)) as RunRow, { now: new Date(), random: () => 0.5 });
    if (scheduled.outcome !== "scheduled") throw new Error("not scheduled");
    const retry = scheduled.run;
    // A lease held by the retry, and another agent's wake waiting behind the lock.
    await db.query(`WITH ${localLeaseCtes({ company: "$1::uuid", run: "$2::uuid", agent: "$3::text", issue: "$4::uuid" })} SELECT 1`, [
      company.id,
      retry.id,
      agent.id,
      issue.id,
    ]);
    const deferredId = randomUUID();
    await db.query(
      `INSERT INTO agent_wakeup_requests (id, company_id, agent_id, source, trigger_detail, reason, payload, status, requested_by_actor_type, issue_id)
       VALUES ($1, $2, $3, 'on_demand', 'manual', 'issue_commented', $4::jsonb, 'deferred_issue_execution', 'agent', $5)`,
      [
        deferredId,
        company.id,
        other.id,
        JSON.stringify({ issueId: issue.id, [DEFERRED_WAKE_CONTEXT_KEY]: { issueId: issue.id, wakeReason: "issue_commented" } }),
        issue.id,
      ],
    );
    await db.query("UPDATE issues SET assignee_agent_id = $2 WHERE id = $1", [issue.id, newAssignee.id]);

    const notes: string[] = [];
    const stop = await db.listen(LIVE_CHANNEL, (payload) => notes.push(payload));
    try {
      expect(await promoteDueScheduledRetries(db, scheduled.dueAt)).toEqual({ promoted: 0, runIds: [] });
      for (let i = 0; i < 50 && !notes.some((n) => n.includes(retry.id)); i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await stop();
    }

    const cancelled = (await findRun(db, retry.id))!;
    expect({ status: cancelled.status, errorCode: cancelled.errorCode }).toEqual({ status: "cancelled", errorCode: "issue_reassigned" });
    // Stop metadata, as every cancel records it.
    expect(cancelled.resultJson).toMatchObject({ stopReason: "issue_reassigned", timeoutFired: false, effectiveTimeoutSec: 0 });
    expect(cancelled.leaseExpiresAt).toBeNull();
    // The board heard of it.
    expect(notes.some((n) => n.includes(retry.id) && n.includes("heartbeat.run.status"))).toBe(true);
    // The wake is closed and the lifecycle event written.
    const [wake] = await db.query<{ status: string }>("SELECT status FROM agent_wakeup_requests WHERE id = $1", [retry.wakeupRequestId]);
    expect(wake!.status).toBe("cancelled");
    const events = await db.query<{ message: string }>("SELECT message FROM heartbeat_run_events WHERE run_id = $1 ORDER BY seq", [
      retry.id,
    ]);
    expect(events.map((e) => e.message)).toContain("run cancelled");
    // Its environment lease is released.
    const [lease] = await db.query<{ status: string }>("SELECT status FROM environment_leases WHERE heartbeat_run_id = $1", [retry.id]);
    expect(lease!.status).toBe("released");
    // The lock is released and the deferred wake promoted into a queued run.
    const [promoted] = await db.query<{ status: string; runId: string | null }>(
      "SELECT status, run_id FROM agent_wakeup_requests WHERE id = $1",
      [deferredId],
    );
    expect(promoted!.status).toBe("queued");
    expect((await findRun(db, promoted!.runId!))!).toMatchObject({ agentId: other.id, issueId: issue.id, status: "queued" });
    const [row] = await db.query<{ executionRunId: string | null }>("SELECT execution_run_id FROM issues WHERE id = $1", [issue.id]);
    expect(row!.executionRunId).toBeNull(); // the promoted wake's agent is not the assignee: it does not take the lock
  });
});
