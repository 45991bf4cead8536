import { describe, expect, it } from "vitest";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";

const t = useTestServer();

describe("run engine smoke", () => {
  it("wakes a process agent and finishes its run", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: { command: "/bin/sh", args: ["-c", "echo hello $PAPERCLIP_RUN_ID"] },
    });
    const res = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", reason: "test" });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const runId = res.body.id;
    const run = await waitFor("run finished", async () => {
      const r = await t.current.get(`/api/heartbeat-runs/${runId}`);
      return ["succeeded", "failed", "cancelled", "timed_out"].includes(r.body.status) ? r.body : null;
    });
    expect(run.status, JSON.stringify(run)).toBe("succeeded");
    expect(run.stdoutExcerpt).toContain(`hello ${runId}`);
  });
});
