import { describe, expect, it } from "vitest";
import { createEmbeddedMaintenance, MAINTENANCE_INTERVAL_MS } from "../src/db/embedded-maintenance.js";
import { createLogger } from "../src/logger.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { createTestApp, useTestApp } from "./helpers/test-app.js";
import { onPostgres } from "./helpers/test-db.js";

// PGlite runs no autovacuum: the periodic pass analyses and vacuums as autovacuum would
// (db/embedded-maintenance.ts). Embedded only: a Postgres server has its own autovacuum.
const t = useTestApp();

const reltuples = async (table: string) =>
  Number((await t.current.tdb.db.query<{ n: number }>("SELECT reltuples AS n FROM pg_class WHERE relname = $1", [table]))[0]!.n);

describe.skipIf(onPostgres())("embedded database maintenance", () => {
  it("skips the start-up call and calls within a naptime, then analyses a table past autovacuum's threshold and vacuums its dead rows", async () => {
    const { db } = t.current.tdb;
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const maintain = createEmbeddedMaintenance(db, createLogger("silent"));
    await db.query(
      `INSERT INTO heartbeat_runs (company_id, agent_id, status, finished_at, context_snapshot)
       SELECT $1, $2, 'succeeded', now(), '{}'::jsonb FROM generate_series(1, 400)`,
      [company.id, agent.id],
    );

    const at = (naptimes: number) => new Date(1_000_000 + naptimes * MAINTENANCE_INTERVAL_MS);
    expect(await maintain(at(0))).toEqual({ vacuumed: [], analyzed: [] });
    expect(await maintain(at(0.5))).toEqual({ vacuumed: [], analyzed: [] });
    const first = await maintain(at(1));
    expect(first.analyzed).toContain("heartbeat_runs");
    expect(await reltuples("heartbeat_runs")).toBe(400);

    // Every row rewritten: 400 dead versions, over 50 + 20 % of 400.
    await db.query("UPDATE heartbeat_runs SET updated_at = now() WHERE company_id = $1", [company.id]);
    expect((await maintain(at(1.5))).vacuumed).toEqual([]);
    const second = await maintain(at(2));
    expect(second.vacuumed).toContain("heartbeat_runs");
    const [stats] = await db.query<{ dead: number }>("SELECT n_dead_tup AS dead FROM pg_stat_user_tables WHERE relname = 'heartbeat_runs'");
    expect(Number(stats!.dead)).toBe(0);

    // Nothing changed since: nothing to do.
    expect((await maintain(at(3))).vacuumed).not.toContain("heartbeat_runs");
  });

  it("is one of the run engine's periodic tasks on the embedded database", async () => {
    let now = Date.now();
    const app = await createTestApp({ runtime: { clock: { now: () => new Date(now), random: Math.random } } });
    try {
      const company = await createCompany(app);
      const agent = await createAgent(app, company.id);
      await app.tdb.db.query(
        `INSERT INTO heartbeat_runs (company_id, agent_id, status, finished_at, context_snapshot)
         SELECT $1, $2, 'succeeded', now(), '{}'::jsonb FROM generate_series(1, 300)`,
        [company.id, agent.id],
      );
      await app.services.engine.runPeriodicPass();
      now += MAINTENANCE_INTERVAL_MS;
      await app.services.engine.runPeriodicPass();
      const [row] = await app.tdb.db.query<{ n: number }>("SELECT reltuples AS n FROM pg_class WHERE relname = 'heartbeat_runs'");
      expect(Number(row!.n)).toBe(300);
    } finally {
      await app.tdb.drop();
    }
  });
});
