import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimQueuedRuns } from "../src/runs/claim.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { createTestApp, type TestApp } from "./helpers/test-app.js";

/**
 * The claim reads each claimed run's agent as its execution needs it (runs/claim.ts, prepare-run.ts
 * agentForRunSql), so executing a run claimed here reads no agent row again: the agent, the saved
 * session of the run's own task, and the agent's granted secrets.
 */
describe("the claim returns each claimed run's agent", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.tdb.drop();
  });

  it("with the session of the run's task (not another task's) and the granted secrets", async () => {
    const company = await createCompany(app);
    const agent = await createAgent(app, company.id, { role: "qa", title: "Tester" });
    const db = app.tdb.db;
    await db.query(
      `INSERT INTO agent_task_sessions (company_id, agent_id, adapter_type, task_key, session_params_json, session_display_id)
       VALUES ($1, $2, 'process', 'task-a', '{"sessionId":"s-a"}', 'A'), ($1, $2, 'process', 'task-b', '{"sessionId":"s-b"}', 'B')`,
      [company.id, agent.id],
    );
    const [secret] = await db.query<{ id: string }>(
      "INSERT INTO company_secrets (company_id, key, name, fingerprint) VALUES ($1, 'TOKEN', 'Token', 'fp') RETURNING id",
      [company.id],
    );
    await db.query("INSERT INTO agent_secret_grants (secret_id, agent_id, company_id) VALUES ($1, $2, $3)", [
      secret!.id,
      agent.id,
      company.id,
    ]);
    const woken = await app.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", payload: { taskKey: "task-a" } });
    expect(woken.status, JSON.stringify(woken.body)).toBe(202);

    const { claimed, agents } = await claimQueuedRuns(db, agent.id, "test-owner", 30_000);
    expect(claimed.map((r) => r.id)).toEqual([woken.body.id]);
    expect(agents?.get(woken.body.id)).toEqual({
      id: agent.id,
      companyId: company.id,
      name: agent.name,
      role: "qa",
      title: "Tester",
      status: expect.any(String),
      adapterType: "process",
      adapterConfig: { command: "/bin/true" },
      sessionParamsJson: { sessionId: "s-a" },
      sessionDisplayId: "A",
      grantedSecretIds: [secret!.id],
    });
    // The run row itself carries nothing extra (it is answered and logged as a run).
    expect(Object.keys(claimed[0]!)).not.toContain("agentForRun");
  });
});
