import { describe, expect, it } from "vitest";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { useTestServer, waitFor } from "./helpers/test-server.js";

// When a finalization step fails, the run is failed plainly (`finalization_failed`) and what it held
// is released (runs/execute.ts): its issue lock, its agent's status and its environment lease.
// The fault is a trigger that refuses the runtime-totals step's write for this one agent.
const t = useTestServer();

const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];

describe("a finalization that fails", () => {
  it("fails the run plainly, and its environment lease ends as failed", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "true"] } });
    const db = t.current.tdb.db;
    await db.exec(`
      CREATE FUNCTION refuse_runtime_totals() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected finalization fault'; END $$;
      CREATE TRIGGER refuse_runtime_totals BEFORE INSERT OR UPDATE ON agent_runtime_state
        FOR EACH ROW WHEN (NEW.agent_id = '${agent.id}') EXECUTE FUNCTION refuse_runtime_totals();`);
    try {
      const woken = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", reason: "test" });
      expect(woken.status, JSON.stringify(woken.body)).toBe(202);
      const run = await waitFor("run ended", async () => {
        const r = (await t.current.get(`/api/heartbeat-runs/${woken.body.id}`)).body;
        return TERMINAL.includes(r.status) ? r : null;
      });
      expect(run).toMatchObject({ status: "failed", errorCode: "finalization_failed" });
      const leases = await db.query<{ status: string; failureReason: string | null }>(
        "SELECT status, failure_reason FROM environment_leases WHERE heartbeat_run_id = $1",
        [run.id],
      );
      expect(leases).toEqual([{ status: "failed", failureReason: "finalization_failed" }]);
      const released = await db.query<{ details: { status: string } }>(
        "SELECT details FROM activity_log WHERE run_id = $1 AND action = 'environment.lease_released'",
        [run.id],
      );
      expect(released.map((r) => r.details.status)).toEqual(["failed"]);
      expect((await t.current.get(`/api/agents/${agent.id}`)).body.status).toBe("error");
    } finally {
      await db.exec("DROP TRIGGER refuse_runtime_totals ON agent_runtime_state; DROP FUNCTION refuse_runtime_totals();");
    }
  });
});
