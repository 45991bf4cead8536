import { describe, expect, it } from "vitest";
import { waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { useRunExecutionServer } from "./helpers/run-execution-kit.js";
import { processGroupGone } from "../../../test-support/procs.js";

/** How a run ends: exit codes, timeouts and a missing command mapped to run, wake and agent status. */

const { t, wake, waitRunDone, waitRunning, wakeStatus, agentStatus } = useRunExecutionServer();

describe("run outcomes and finalization", () => {
  it("exit 0 -> succeeded, wake completed, agent idle, runtime state updated", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "echo done-ok"] } });
    const queued = await wake(agent.id);
    expect(queued.status).toBe("queued");
    const run = await waitRunDone(queued.id);
    expect(run).toMatchObject({ status: "succeeded", exitCode: 0, error: null, errorCode: null });
    expect(run.resultJson).toMatchObject({
      stopReason: "completed",
      timeoutFired: false,
      timeoutConfigured: true,
      effectiveTimeoutSec: 3600,
    }); // the process adapter's default timeout
    expect(await wakeStatus(run.wakeupRequestId)).toBe("completed");
    await waitFor("agent idle", async () => (await agentStatus(agent.id)) === "idle");

    const state = await t.current.get(`/api/agents/${agent.id}/runtime-state`);
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({
      agentId: agent.id,
      totalRuns: 1,
      lastRunStatus: "succeeded",
      lastRunId: run.id,
      adapterType: "process",
    });

    await waitRunDone((await wake(agent.id)).id);
    const again = await t.current.get(`/api/agents/${agent.id}/runtime-state`);
    expect(again.body).toMatchObject({ totalRuns: 2, lastRunStatus: "succeeded" });
  });

  it("exit 3 -> failed with adapter_failed (detail process_exit_nonzero), wake failed, agent status error", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: { command: "/bin/sh", args: ["-c", "echo failing >&2; exit 3"] },
    });
    const run = await waitRunDone((await wake(agent.id)).id);
    expect(run).toMatchObject({ status: "failed", errorCode: "adapter_failed", exitCode: 3 });
    expect(run.resultJson).toMatchObject({ errorDetailCode: "process_exit_nonzero" });
    expect(run.error).toContain("3");
    expect(run.stderrExcerpt).toContain("failing");
    expect(run.resultJson).toMatchObject({ stopReason: "adapter_failed", timeoutFired: false });
    expect(await wakeStatus(run.wakeupRequestId)).toBe("failed");
    await waitFor("agent error", async () => (await agentStatus(agent.id)) === "error");
    const state = await t.current.get(`/api/agents/${agent.id}/runtime-state`);
    expect(state.body).toMatchObject({ totalRuns: 1, lastRunStatus: "failed" });
  });

  it("timeoutSec 1 on `sleep 30` -> timed_out, timeoutFired, and the process group is gone", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: { command: "/bin/sh", args: ["-c", "sleep 30"], timeoutSec: 1, graceSec: 1 },
    });
    const queued = await wake(agent.id);
    const running = await waitRunning(queued.id);
    const pgid = running.processGroupId as number;
    expect(pgid).toBeGreaterThan(1);
    const run = await waitRunDone(queued.id, 15_000);
    expect(run).toMatchObject({ status: "timed_out", errorCode: "timeout" });
    expect(run.resultJson).toMatchObject({ stopReason: "timeout", timeoutFired: true, timeoutConfigured: true, effectiveTimeoutSec: 1 });
    expect(await wakeStatus(run.wakeupRequestId)).toBe("timed_out");
    await waitFor("process group gone", async () => processGroupGone(pgid), 5_000);
    await waitFor("agent error", async () => (await agentStatus(agent.id)) === "error");
  });

  it("a missing command -> failed with adapter_command_not_found", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/nonexistent/staple-no-such-command" } });
    const run = await waitRunDone((await wake(agent.id)).id);
    expect(run).toMatchObject({ status: "failed", errorCode: "adapter_command_not_found" });
    expect(run.error).toContain("/nonexistent/staple-no-such-command");
    expect(await wakeStatus(run.wakeupRequestId)).toBe("failed");
  });
});
