import { describe, expect, it, vi } from "vitest";
import { backgroundOf } from "../src/db/database.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { useTestServer, waitFor } from "./helpers/test-server.js";

// A run's end pokes the dispatcher for its agent only when the agent has a queued run
// (finalize/agent-status.ts): the claim pass it would start otherwise finds nothing. The periodic
// pass is a minute away here, so only that poke can start a queued run promptly.
const t = useTestServer({ runtime: { schedulerIntervalMs: 60_000 } });

const CLAIM_CHECK = "SELECT EXISTS (SELECT 1 FROM heartbeat_runs r JOIN agents a";
const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];

async function wake(agentId: string, taskKey: string): Promise<string> {
  const res = await t.current.post(`/api/agents/${agentId}/wakeup`, { source: "on_demand", reason: "test", payload: { taskKey } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id;
}

const status = async (runId: string) => (await t.current.get(`/api/heartbeat-runs/${runId}`)).body.status as string;

describe("a run's end and the next claim", () => {
  it("starts no claim pass when the agent has nothing queued", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "sleep 0.3"] } });
    const runId = await wake(agent.id, "only");
    await waitFor("run running", async () => (await status(runId)) === "running");
    // The engine's statements go through the database's background view (db/turns.ts).
    const query = vi.spyOn(backgroundOf(t.current.tdb.db), "query");
    const tx = vi.spyOn(backgroundOf(t.current.tdb.db), "tx");
    try {
      await waitFor("run finished", async () => TERMINAL.includes(await status(runId)));
      await new Promise((r) => setTimeout(r, 200)); // the finish's pokes, if any, have run
      const checks = query.mock.calls.filter(([sql, params]) => String(sql).includes(CLAIM_CHECK) && params?.[0] === agent.id);
      expect(checks).toHaveLength(0);
      // The spies do see the engine: the run's finalization is a transaction of its view.
      expect(tx).toHaveBeenCalled();
    } finally {
      query.mockRestore();
      tx.mockRestore();
    }
    expect(await status(runId)).toBe("succeeded");
  });

  it("starts the agent's queued run as soon as its running one ends", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "sleep 0.3"] } });
    const first = await wake(agent.id, "first");
    await waitFor("first running", async () => (await status(first)) === "running");
    const second = await wake(agent.id, "second"); // one run at a time per agent: it waits, queued
    expect(await status(second)).toBe("queued");
    const run = await waitFor(
      "second finished",
      async () => {
        const r = (await t.current.get(`/api/heartbeat-runs/${second}`)).body;
        return TERMINAL.includes(r.status) ? r : null;
      },
      10_000,
    );
    expect(run.status).toBe("succeeded");
    expect(await status(first)).toBe("succeeded");
  });
});
