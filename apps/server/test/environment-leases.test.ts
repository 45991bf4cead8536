import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Queryable } from "../src/db/database.js";
import { localLeaseCtes } from "../src/runs/environment-leases.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { createTestApp, type TestApp } from "./helpers/test-app.js";
import { onPostgres } from "./helpers/test-db.js";

/**
 * The environment lease a local run takes with its "run started" record (runs/environment-leases.ts,
 * docs/runs.md#environment-leases): the company's `local` environment is created by its first run
 * and reused by every later one, and each lease writes its activity row.
 */
async function insertRun(app: TestApp, companyId: string, agentId: string): Promise<string> {
  const id = randomUUID();
  await app.tdb.db.query(
    `INSERT INTO heartbeat_runs (id, company_id, agent_id, invocation_source, status, started_at)
     VALUES ($1, $2, $3, 'on_demand', 'running', now())`,
    [id, companyId, agentId],
  );
  return id;
}

const lease = (q: Queryable, run: { companyId: string; runId: string; agentId: string }) =>
  q.query(`WITH ${localLeaseCtes({ company: "$1::uuid", run: "$2::uuid", agent: "$3::text", issue: "$4::uuid" })} SELECT 1`, [
    run.companyId,
    run.runId,
    run.agentId,
    null,
  ]);

describe("environment leases of local runs", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.tdb.drop();
  });

  it("the first run creates the company's local environment, later runs lease the same one, each with its activity row", async () => {
    const company = await createCompany(app);
    const agent = await createAgent(app, company.id);
    const runs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const runId = await insertRun(app, company.id, agent.id);
      await lease(app.tdb.db, { companyId: company.id, runId, agentId: agent.id });
      runs.push(runId);
    }
    const envs = await app.tdb.db.query<{ id: string; name: string }>(
      "SELECT id, name FROM environments WHERE company_id = $1 AND driver = 'local'",
      [company.id],
    );
    expect(envs).toEqual([{ id: expect.any(String), name: "Local" }]);
    const leases = await app.tdb.db.query<{ runId: string; environmentId: string; status: string; leasePolicy: string }>(
      "SELECT heartbeat_run_id AS run_id, environment_id, status, lease_policy FROM environment_leases WHERE company_id = $1 ORDER BY created_at",
      [company.id],
    );
    expect(leases.map((l) => l.runId).sort()).toEqual([...runs].sort());
    expect(new Set(leases.map((l) => [l.environmentId, l.status, l.leasePolicy].join()))).toEqual(
      new Set([[envs[0]!.id, "active", "ephemeral"].join()]),
    );
    const activity = await app.tdb.db.query<{ runId: string; agentId: string; details: { environmentId: string } }>(
      "SELECT run_id, agent_id, details FROM activity_log WHERE company_id = $1 AND action = 'environment.lease_acquired'",
      [company.id],
    );
    expect(activity.map((a) => a.runId).sort()).toEqual([...runs].sort());
    expect(activity.every((a) => a.agentId === agent.id && a.details.environmentId === envs[0]!.id)).toBe(true);
  });

  // Postgres only: the embedded database runs one transaction at a time.
  it.skipIf(!onPostgres())("two first runs racing to create the environment both get a lease on the one environment", async () => {
    const company = await createCompany(app);
    const agent = await createAgent(app, company.id);
    const first = await insertRun(app, company.id, agent.id);
    const second = await insertRun(app, company.id, agent.id);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let created!: () => void;
    const isCreated = new Promise<void>((r) => (created = r));
    // The first run's statement has created the environment but not committed when the second runs.
    const firstTx = app.tdb.db.tx(async (q) => {
      await lease(q, { companyId: company.id, runId: first, agentId: agent.id });
      created();
      await released;
    });
    await isCreated;
    const secondLease = lease(app.tdb.db, { companyId: company.id, runId: second, agentId: agent.id });
    // The second waits on the unique index for the first to commit.
    await new Promise((r) => setTimeout(r, 200));
    release();
    await firstTx;
    await secondLease;
    const envs = await app.tdb.db.query<{ id: string }>("SELECT id FROM environments WHERE company_id = $1", [company.id]);
    expect(envs).toHaveLength(1);
    const leases = await app.tdb.db.query<{ runId: string; environmentId: string }>(
      "SELECT heartbeat_run_id AS run_id, environment_id FROM environment_leases WHERE company_id = $1",
      [company.id],
    );
    expect(leases.map((l) => l.runId).sort()).toEqual([first, second].sort());
    expect(leases.every((l) => l.environmentId === envs[0]!.id)).toBe(true);
  });
});
