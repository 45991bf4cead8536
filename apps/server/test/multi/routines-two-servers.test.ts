import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { openPostgres } from "../../src/db/postgres.js";
import { createLogger } from "../../src/logger.js";
import { buildApp, type AppBundle } from "../../src/server.js";
import { createTestDatabase, onPostgres, type TestDatabase } from "../helpers/test-db.js";
import { TEST_JWT_SECRET } from "../helpers/test-app.js";

/**
 * Two servers (each with its own connection pool, run engine and fake clock) on one Postgres
 * database run the schedule pass at the same moments: every tick fires exactly once, because the
 * claim lives in the database (SKIP LOCKED + guarded next_run_at + unique tick index), never in
 * either server's memory. Runs only on the Postgres lane (PGlite is one in-process connection).
 */
describe.runIf(onPostgres())("routines on two servers sharing one Postgres", () => {
  let tdb: TestDatabase;
  const pools: Database[] = [];
  const servers: AppBundle[] = [];
  const clock = { at: new Date("2026-03-02T09:00:30.000Z"), now: () => new Date(clock.at), random: Math.random };
  const homes: string[] = [];

  beforeAll(async () => {
    tdb = await createTestDatabase();
    for (let i = 0; i < 2; i++) {
      const pool = await openPostgres({ connectionString: tdb.url!, maxConnections: 5 });
      const home = fs.mkdtempSync(path.join(os.tmpdir(), "staple-routines-two-"));
      homes.push(home);
      pools.push(pool);
      servers.push(
        await buildApp(
          pool,
          { deploymentMode: "local_trusted", agentJwtSecret: TEST_JWT_SECRET, home, runtime: { clock } },
          createLogger("silent"),
        ),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const pool of pools) await pool.close();
    await tdb?.drop();
    for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
  });

  async function call(server: AppBundle, method: string, url: string, body?: unknown) {
    const res = await server.app.request(url, {
      method,
      headers: { authorization: `Bearer ${server.boardToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  async function scheduledRoutine(cronExpression: string, extra: Record<string, unknown>) {
    const [a] = servers;
    const company = (await call(a!, "POST", "/api/companies", { name: `Two ${Math.random()}` })).body;
    const agent = (
      await call(a!, "POST", `/api/companies/${company.id}/agents`, {
        name: "ticker",
        adapterType: "process",
        adapterConfig: { command: "/bin/true" },
      })
    ).body;
    // Paused assignee: wakes are skipped, so no process starts while the test drives the clock.
    await tdb.db.query("UPDATE agents SET status = 'paused' WHERE id = $1", [agent.id]);
    const routine = (
      await call(a!, "POST", `/api/companies/${company.id}/routines`, { title: "tick", assigneeAgentId: agent.id, ...extra })
    ).body;
    const trigger = await call(a!, "POST", `/api/routines/${routine.id}/triggers`, { kind: "schedule", cronExpression, timezone: "UTC" });
    expect(trigger.status, JSON.stringify(trigger.body)).toBe(201);
    return routine as { id: string };
  }

  const bothPass = () => Promise.all(servers.map((s) => s.services.routines.schedulePass()));

  it("an hour of one-minute ticks, both servers passing every 20 s: 60 fires, one per tick", async () => {
    clock.at = new Date("2026-03-02T09:00:30.000Z");
    const routine = await scheduledRoutine("* * * * *", { concurrencyPolicy: "always_enqueue" });
    for (let ms = clock.at.getTime(); ms <= Date.parse("2026-03-02T10:00:10.000Z"); ms += 20_000) {
      clock.at = new Date(ms);
      await bothPass();
    }
    const runs = await tdb.db.query<{ scheduledFor: Date; status: string }>(
      "SELECT scheduled_for, status FROM routine_runs WHERE routine_id = $1 ORDER BY scheduled_for",
      [routine.id],
    );
    expect(runs).toHaveLength(60);
    expect(new Set(runs.map((r) => r.scheduledFor.toISOString())).size).toBe(60);
    expect(runs.every((r) => r.status === "issue_created")).toBe(true);
    const issues = await tdb.db.query("SELECT id FROM issues WHERE origin_id = $1", [routine.id]);
    expect(issues).toHaveLength(60);
  }, 120_000);

  it("both servers down across ticks, then racing: the catch-up policy is applied once", async () => {
    clock.at = new Date("2026-03-03T09:00:30.000Z");
    const skip = await scheduledRoutine("*/5 * * * *", { concurrencyPolicy: "always_enqueue", catchUpPolicy: "skip_missed" });
    const enqueue = await scheduledRoutine("*/5 * * * *", {
      concurrencyPolicy: "always_enqueue",
      catchUpPolicy: "enqueue_missed_with_cap",
    });
    clock.at = new Date("2026-03-03T09:31:00.000Z"); // 09:05 … 09:30 missed: 6 ticks
    await bothPass();
    await bothPass();
    const count = async (id: string) => (await tdb.db.query("SELECT id FROM routine_runs WHERE routine_id = $1", [id])).length;
    expect(await count(skip.id)).toBe(1);
    expect(await count(enqueue.id)).toBe(6);
  }, 60_000);
});
