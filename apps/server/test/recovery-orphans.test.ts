import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { reapExpiredLeases } from "../src/runs/reaper.js";
import { signAgentJwt } from "../src/auth/agent-jwt.js";
import { TEST_JWT_SECRET } from "./helpers/test-app.js";

// Orphaned runs (docs/runs.md#lease-expiry-and-orphaned-processes) and environment leases.
const t = useTestServer({ runtime: { recovery: { strandedReconciliation: false } } });

async function orphan(opts: { pid: number | null; issueId?: string | null; agentId: string; companyId: string; retryCount?: number }) {
  const id = randomUUID();
  await t.current.tdb.db.query(
    `INSERT INTO heartbeat_runs (id, company_id, agent_id, status, started_at, issue_id, task_key, context_snapshot, process_pid, process_group_id,
       lease_owner, lease_expires_at, process_loss_retry_count)
     VALUES ($1, $2, $3, 'running', now(), $4, $5, $6::jsonb, $7, $7, 'dead-server:1:x', now() - interval '1 minute', $8)`,
    [
      id,
      opts.companyId,
      opts.agentId,
      opts.issueId ?? null,
      opts.issueId ?? "t",
      JSON.stringify({ issueId: opts.issueId ?? undefined, wakeReason: "issue_assigned" }),
      opts.pid,
      opts.retryCount ?? 0,
    ],
  );
  return id;
}
const run = async (id: string) => (await t.current.get(`/api/heartbeat-runs/${id}`)).body;

describe("orphaned runs", () => {
  it("keeps a run whose recorded pid is still alive: running, process_detached, not reaped", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const child = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
    try {
      const id = await orphan({ pid: child.pid!, agentId: agent.id, companyId: company.id });
      const result = await reapExpiredLeases(t.current.services.engine.resources);
      expect(result.runIds).not.toContain(id);
      const r = await run(id);
      expect(r.status).toBe("running");
      expect(r.errorCode).toBe("process_detached");
      expect(r.error).toContain(`child pid ${child.pid} is still alive`);
      const retries = await t.current.tdb.db.query("SELECT id FROM heartbeat_runs WHERE retry_of_run_id = $1", [id]);
      expect(retries).toHaveLength(0);

      // The detached run reports in (its token carries the run id): the warning clears.
      const token = signAgentJwt({ agentId: agent.id, companyId: company.id, adapterType: "process", runId: id }, TEST_JWT_SECRET, 60);
      expect((await t.current.get("/api/agents/me", { token })).status).toBe(200);
      const cleared = await run(id);
      expect(cleared.errorCode).toBeNull();
      expect(cleared.status).toBe("running");
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("queues exactly one retry when the recorded pid is dead, and moves the issue lock to it", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, {
      runtimeConfig: { heartbeat: { wakeOnDemand: true } },
      adapterConfig: { command: "/bin/sh", args: ["-c", "sleep 30"] },
    });
    const issue = await createIssue(t.current, company.id, { status: "backlog" });
    await t.current.tdb.db.query("UPDATE issues SET assignee_agent_id = $2, status = 'in_progress' WHERE id = $1", [issue.id, agent.id]);
    const id = await orphan({ pid: 999_999, issueId: issue.id, agentId: agent.id, companyId: company.id });
    await t.current.tdb.db.query("UPDATE issues SET execution_run_id = $2, checkout_run_id = $2 WHERE id = $1", [issue.id, id]);
    const result = await reapExpiredLeases(t.current.services.engine.resources);
    expect(result.runIds).toContain(id);
    const r = await run(id);
    expect(r).toMatchObject({ status: "failed", errorCode: "process_lost" });
    expect(r.resultJson.stopReason).toBe("process_lost");
    const retries = await t.current.tdb.db.query<{ id: string; processLossRetryCount: number; contextSnapshot: Record<string, unknown> }>(
      "SELECT id, process_loss_retry_count, context_snapshot FROM heartbeat_runs WHERE retry_of_run_id = $1",
      [id],
    );
    expect(retries).toHaveLength(1);
    expect(retries[0]!.processLossRetryCount).toBe(1);
    expect(retries[0]!.contextSnapshot).toMatchObject({ retryReason: "process_lost", wakeReason: "process_lost_retry" });
    const locked = (await t.current.get(`/api/issues/${issue.id}`)).body;
    expect(locked.executionRunId).toBe(retries[0]!.id);
    // Reaping again changes nothing (exactly once).
    await reapExpiredLeases(t.current.services.engine.resources);
    expect(await t.current.tdb.db.query("SELECT id FROM heartbeat_runs WHERE retry_of_run_id = $1", [id])).toHaveLength(1);
    await t.current.post(`/api/heartbeat-runs/${retries[0]!.id}/cancel`);
  });

  it("does not retry a run that was already the process-loss retry", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const id = await orphan({ pid: 999_998, agentId: agent.id, companyId: company.id, retryCount: 1 });
    await reapExpiredLeases(t.current.services.engine.resources);
    expect((await run(id)).errorCode).toBe("process_lost");
    expect(await t.current.tdb.db.query("SELECT id FROM heartbeat_runs WHERE retry_of_run_id = $1", [id])).toHaveLength(0);
  });

  it("releases active environment leases when an orphaned run is reaped (as failed)", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const id = await orphan({ pid: 999_997, agentId: agent.id, companyId: company.id, retryCount: 1 });
    const [env] = await t.current.tdb.db.query<{ id: string }>(
      "INSERT INTO environments (company_id, name) VALUES ($1, 'Local') RETURNING id",
      [company.id],
    );
    await t.current.tdb.db.query("INSERT INTO environment_leases (company_id, environment_id, heartbeat_run_id) VALUES ($1, $2, $3)", [
      company.id,
      env!.id,
      id,
    ]);
    await reapExpiredLeases(t.current.services.engine.resources);
    // The engine's own pass (every 500 ms here) may have reaped it first and still be finalizing
    // (seen on Postgres under load): wait for whichever reaper did it to commit.
    const lease = await waitFor("lease released", async () => {
      const [row] = await t.current.tdb.db.query<{ status: string; releasedAt: Date | null }>(
        "SELECT status, released_at FROM environment_leases WHERE heartbeat_run_id = $1",
        [id],
      );
      return row?.status !== "active" ? row : undefined;
    });
    expect(lease!.status).toBe("failed");
    expect(lease!.releasedAt).not.toBeNull();
  });

  it("a normal run holds a local environment lease while it runs and releases it at the end", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "sleep 1"] } });
    const wake = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", payload: { taskKey: "lease" } });
    const active = await waitFor(
      "active lease",
      async () =>
        (
          await t.current.tdb.db.query<{ status: string }>("SELECT status FROM environment_leases WHERE heartbeat_run_id = $1", [
            wake.body.id,
          ])
        )[0],
    );
    expect(active.status).toBe("active");
    await waitFor("run finished", async () => (await run(wake.body.id)).status === "succeeded");
    const [lease] = await t.current.tdb.db.query<{ status: string }>("SELECT status FROM environment_leases WHERE heartbeat_run_id = $1", [
      wake.body.id,
    ]);
    expect(lease!.status).toBe("released");
    const actions = (await t.current.get(`/api/companies/${company.id}/activity?entityType=environment_lease`)).body.map(
      (a: { action: string }) => a.action,
    );
    expect(actions).toEqual(["environment.lease_released", "environment.lease_acquired"]);
  });
});

describe("liveness backfill of an issue's runs", () => {
  it("classifies unclassified finished runs when an issue's runs are listed", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const issue = await createIssue(t.current, company.id, { status: "backlog" });
    const ids: string[] = [];
    for (const [status, out] of [
      ["failed", null],
      ["succeeded", "Next steps: I will inspect the code"],
      ["succeeded", null],
    ] as const) {
      const id = randomUUID();
      ids.push(id);
      await t.current.tdb.db.query(
        `INSERT INTO heartbeat_runs (id, company_id, agent_id, status, issue_id, finished_at, stdout_excerpt, context_snapshot) VALUES ($1, $2, $3, $4, $5, now(), $6, '{}'::jsonb)`,
        [id, company.id, agent.id, status, issue.id, out],
      );
    }
    const res = await t.current.get(`/api/issues/${issue.id}/runs`);
    expect(res.status).toBe(200);
    const byId = new Map(res.body.map((r: { runId: string; livenessState: string }) => [r.runId, r.livenessState]));
    expect([byId.get(ids[0]), byId.get(ids[1]), byId.get(ids[2])]).toEqual(["failed", "plan_only", "empty_response"]);
  });
});
