import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, Queryable } from "../src/db/database.js";
import { noIssueHooks } from "../src/issues/hooks.js";
import { createLogger } from "../src/logger.js";
import { createRoutineService } from "../src/routines/service.js";
import { createWebhookSecrets } from "../src/routines/webhook-secret.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { createTestApp, type TestApp } from "./helpers/test-app.js";

/**
 * The schedule pass under a fake clock (the run engine's injectable clock): exact tick counts,
 * catch-up after downtime decided once, concurrency policies, pause/resume, and a statement
 * count that does not grow with the number of routines.
 */
const clock = { at: new Date("2026-01-05T10:00:30.000Z"), now: () => new Date(clock.at), random: Math.random };
const setClock = (iso: string) => (clock.at = new Date(iso));
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ runtime: { clock } });
});
afterAll(async () => {
  await t?.tdb.drop();
});

async function routineWithSchedule(cronExpression: string, extra: Record<string, unknown> = {}) {
  const company = await createCompany(t);
  const agent = await createAgent(t, company.id);
  const routine = (await t.post(`/api/companies/${company.id}/routines`, { title: "Tick", assigneeAgentId: agent.id, ...extra })).body;
  const trigger = await t.post(`/api/routines/${routine.id}/triggers`, { kind: "schedule", cronExpression, timezone: "UTC" });
  expect(trigger.status, JSON.stringify(trigger.body)).toBe(201);
  return { company, agent, routine, trigger: trigger.body.trigger };
}

const runsOf = (routineId: string) =>
  t.tdb.db.query<{ scheduledFor: Date; status: string; linkedIssueId: string | null }>(
    "SELECT scheduled_for, status, linked_issue_id FROM routine_runs WHERE routine_id = $1 ORDER BY scheduled_for",
    [routineId],
  );

describe("schedule pass with a fake clock", () => {
  it("a one-minute cron fires exactly 60 times in an hour, each on its minute, whatever the pass interval", async () => {
    setClock("2026-01-05T10:00:30.000Z");
    const { routine, trigger } = await routineWithSchedule("* * * * *");
    expect(trigger.nextRunAt).toBe("2026-01-05T10:01:00.000Z");
    // Passes every 7 s (not a divisor of 60): some minutes get 8 passes, some 9; each fires once.
    const end = new Date("2026-01-05T11:00:05.000Z").getTime();
    for (let ms = clock.at.getTime(); ms <= end; ms += 7_000) {
      clock.at = new Date(ms);
      await t.services.routines.schedulePass();
    }
    const runs = await runsOf(routine.id);
    expect(runs).toHaveLength(60);
    const expected = Array.from({ length: 60 }, (_, i) => new Date(Date.UTC(2026, 0, 5, 10, i + 1)).toISOString());
    expect(runs.map((r) => new Date(r.scheduledFor).toISOString())).toEqual(expected);
    // Default coalesce_if_active: the first fire created the issue, the others joined it while it stayed open.
    expect(runs.filter((r) => r.status === "issue_created")).toHaveLength(1);
    expect(runs.filter((r) => r.status === "coalesced")).toHaveLength(59);
    expect(new Set(runs.map((r) => r.linkedIssueId)).size).toBe(1);
  });

  it("the run engine's periodic pass runs the schedule pass with its clock", async () => {
    setClock("2026-01-06T08:00:10.000Z");
    const { agent, routine } = await routineWithSchedule("*/5 * * * *");
    // A paused assignee: its wake is skipped, so the pass starts no process in this test.
    await t.tdb.db.query("UPDATE agents SET status = 'paused' WHERE id = $1", [agent.id]);
    await t.services.engine.runPeriodicPass();
    expect(await runsOf(routine.id)).toHaveLength(0);
    setClock("2026-01-06T08:05:00.000Z");
    await t.services.engine.runPeriodicPass();
    const runs = await runsOf(routine.id);
    expect(runs.map((r) => [new Date(r.scheduledFor).toISOString(), r.status])).toEqual([["2026-01-06T08:05:00.000Z", "issue_created"]]);
  });

  it.each([
    ["skip_missed", 1],
    ["enqueue_missed_with_cap", 9],
  ])(
    "after downtime across ticks, catch-up policy %s fires %i time(s), once, even with two passes racing",
    async (catchUpPolicy, fires) => {
      setClock("2026-01-07T10:00:30.000Z");
      const { routine, trigger } = await routineWithSchedule("*/5 * * * *", { catchUpPolicy, concurrencyPolicy: "always_enqueue" });
      setClock("2026-01-07T10:47:10.000Z"); // the server was down for 10:05 … 10:45 (9 ticks)
      await Promise.all([t.services.routines.schedulePass(), t.services.routines.schedulePass()]);
      await t.services.routines.schedulePass();
      const runs = await runsOf(routine.id);
      expect(runs).toHaveLength(fires);
      expect(new Date(runs.at(-1)!.scheduledFor).toISOString()).toBe("2026-01-07T10:45:00.000Z");
      expect(runs.every((r) => r.status === "issue_created")).toBe(true);
      const [after] = await t.tdb.db.query<{ nextRunAt: Date }>("SELECT next_run_at FROM routine_triggers WHERE id = $1", [trigger.id]);
      expect(after!.nextRunAt.toISOString()).toBe("2026-01-07T10:50:00.000Z");
    },
  );

  it("enqueue_missed_with_cap enqueues at most 25 missed ticks, the newest", async () => {
    setClock("2026-01-08T00:30:00.000Z");
    const { routine } = await routineWithSchedule("0 * * * *", { catchUpPolicy: "enqueue_missed_with_cap" });
    setClock("2026-01-11T00:30:00.000Z"); // 72 hourly ticks missed
    await t.services.routines.schedulePass();
    const runs = await runsOf(routine.id);
    expect(runs).toHaveLength(25);
    expect(new Date(runs[0]!.scheduledFor).toISOString()).toBe("2026-01-10T00:00:00.000Z");
    expect(new Date(runs.at(-1)!.scheduledFor).toISOString()).toBe("2026-01-11T00:00:00.000Z");
  });

  it("a paused routine owes nothing for the ticks of its pause; resuming schedules from now", async () => {
    setClock("2026-01-12T09:00:30.000Z");
    const { routine, trigger } = await routineWithSchedule("* * * * *");
    await t.patch(`/api/routines/${routine.id}`, { status: "paused" });
    setClock("2026-01-12T09:30:30.000Z");
    await t.services.routines.schedulePass();
    expect(await runsOf(routine.id)).toHaveLength(0);
    const resumed = await t.patch(`/api/routines/${routine.id}`, { status: "active" });
    expect(resumed.body.triggers.find((x: { id: string }) => x.id === trigger.id).nextRunAt).toBe("2026-01-12T09:31:00.000Z");
    setClock("2026-01-12T09:31:00.000Z");
    await t.services.routines.schedulePass();
    expect((await runsOf(routine.id)).map((r) => new Date(r.scheduledFor).toISOString())).toEqual(["2026-01-12T09:31:00.000Z"]);
  });
});

describe("concurrency policies", () => {
  const table = [
    // policy, second fire while the first issue is open, a fire after it closed
    ["coalesce_if_active", "coalesced", "issue_created"],
    ["skip_if_active", "skipped", "issue_created"],
    ["always_enqueue", "issue_created", "issue_created"],
  ] as const;
  it.each(table)("%s: while open → %s; after the issue is done → %s", async (concurrencyPolicy, whileOpen, afterDone) => {
    const company = await createCompany(t);
    const agent = await createAgent(t, company.id);
    const routine = (await t.post(`/api/companies/${company.id}/routines`, { title: "P", assigneeAgentId: agent.id, concurrencyPolicy }))
      .body;
    const first = (await t.post(`/api/routines/${routine.id}/run`, {})).body;
    expect(first.status).toBe("issue_created");
    const second = (await t.post(`/api/routines/${routine.id}/run`, {})).body;
    expect(second.status).toBe(whileOpen);
    if (whileOpen !== "issue_created") {
      expect(second).toMatchObject({ linkedIssueId: first.linkedIssueId, coalescedIntoRunId: first.id });
    }
    await t.tdb.db.query("UPDATE issues SET status = 'done' WHERE origin_id = $1", [routine.id]);
    const third = (await t.post(`/api/routines/${routine.id}/run`, {})).body;
    expect(third.status).toBe(afterDone);
    const issues = await t.tdb.db.query("SELECT id FROM issues WHERE origin_id = $1", [routine.id]);
    expect(issues).toHaveLength(concurrencyPolicy === "always_enqueue" ? 3 : 2);
  });
});

describe("the schedule pass is set-based", () => {
  /** A database handle that counts every statement sent, inside transactions too. */
  function counting(db: Database) {
    let n = 0;
    const wrap = (q: Queryable): Queryable => ({
      query: (sql, params) => {
        n++;
        return q.query(sql, params);
      },
    });
    const counted: Database = {
      kind: db.kind,
      query: (sql, params) => {
        n++;
        return db.query(sql, params);
      },
      tx: (fn) => db.tx((q) => fn(wrap(q))),
      exec: (sql) => db.exec(sql),
      listen: (channel, handler) => db.listen(channel, handler),
      close: () => db.close(),
    };
    return { db: counted, reset: () => (n = 0), count: () => n };
  }

  async function addRoutines(companyId: string, agentId: string, count: number, nextRunAt: string) {
    await t.tdb.db.query(
      `WITH r AS (
         INSERT INTO routines (company_id, title, assignee_agent_id, concurrency_policy)
         SELECT $1, 'bulk ' || g, $2, 'always_enqueue' FROM generate_series(1, $3::int) g RETURNING id
       )
       INSERT INTO routine_triggers (company_id, routine_id, kind, cron_expression, timezone, next_run_at)
       SELECT $1, id, 'schedule', '0 0 * * *', 'UTC', $4 FROM r`,
      [companyId, agentId, count, nextRunAt],
    );
  }

  it("statements per pass stay the same with 10 or 10,000 idle routines; due fires cost per fire, not per routine", async () => {
    setClock("2026-02-01T12:00:00.000Z");
    const company = await createCompany(t);
    const agent = await createAgent(t, company.id);
    // Earlier tests' routines must not be due: the test counts only this company's work.
    await t.tdb.db.query("UPDATE routine_triggers SET next_run_at = NULL WHERE company_id <> $1", [company.id]);
    const c = counting(t.tdb.db);
    const service = createRoutineService({
      db: c.db,
      logger: createLogger("silent"),
      issueHooks: noIssueHooks,
      secrets: createWebhookSecrets("bench"),
      clock,
      apiUrl: () => "http://127.0.0.1:3100",
    });
    const measure = async () => {
      c.reset();
      const result = await service.schedulePass();
      return { statements: c.count(), ...result };
    };

    await addRoutines(company.id, agent.id, 10, "2026-02-02T00:00:00.000Z");
    const idleSmall = await measure();
    await addRoutines(company.id, agent.id, 9_990, "2026-02-02T00:00:00.000Z");
    const idleLarge = await measure();
    expect(idleLarge.statements).toBe(idleSmall.statements);
    expect(idleLarge.statements).toBeLessThanOrEqual(3);

    await addRoutines(company.id, agent.id, 5, "2026-02-01T11:00:00.000Z");
    const dueLarge = await measure();
    expect(dueLarge.claimed).toBe(5);
    expect(dueLarge.dispatched).toHaveLength(5);
    // One claim transaction (select, update, insert), one select of received fires, then a fixed
    // number of statements per fire: 10,000 idle routines add nothing.
    const perFire = (dueLarge.statements - 4) / 5;
    expect(Number.isInteger(perFire)).toBe(true);
    expect(perFire).toBeLessThanOrEqual(10);
    const [plan] = await t.tdb.db.query<{ total: string }>("SELECT count(*)::text AS total FROM routine_triggers WHERE company_id = $1", [
      company.id,
    ]);
    expect(Number(plan!.total)).toBe(10_005);
  });
});
