import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect } from "vitest";
import { createFakeAdapter, type AdapterExecuteContext, type AdapterResult } from "@staple/adapter-kit";
import { processAdapter } from "@staple/adapter-process";
import { useTestServer, waitFor } from "./test-server.js";

/**
 * Shared setup of the run engine end-to-end tests (docs/runs.md#executing-a-run through
 * #finalization, the cost ledger, sessions, timers, the agent environment): runs-agent-environment,
 * runs-outcomes, runs-reads, runs-sessions-cost, runs-timer-heartbeats. Real process agents spawned
 * by the engine of a listening test server, plus a scripted fake registered as `claude_local` for
 * sessions, usage and cost.
 */

export type FakeBehaviour = (ctx: AdapterExecuteContext) => AdapterResult;

export const NODE = process.execPath;
export const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];
export const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

/** A node script that writes its whole environment to $OUT_DIR/<run id>.json (and says so). */
export const DUMP_ENV_SCRIPT = `require("fs").writeFileSync(process.env.OUT_DIR + "/" + process.env.PAPERCLIP_RUN_ID + ".json", JSON.stringify(process.env)); console.log("environment written");`;

export function readEnvDump(dir: string, runId: string): Record<string, string> {
  return JSON.parse(fs.readFileSync(path.join(dir, `${runId}.json`), "utf8"));
}

/** Starts the file's server (in a top-level call: it registers the file's hooks) and binds the helpers to it. */
export function useRunExecutionServer() {
  /** Per-agent scripted results of the fake `claude_local` adapter (default: plain success). */
  const fakeBehaviour = new Map<string, FakeBehaviour>();
  const fake = createFakeAdapter(
    async (ctx) => {
      const behaviour = fakeBehaviour.get(ctx.agent.id);
      await ctx.onLog("stdout", `fake run ${ctx.runId}\n`);
      return behaviour ? behaviour(ctx) : { exitCode: 0, signal: null, timedOut: false };
    },
    { type: "claude_local" },
  );

  const t = useTestServer({
    runtime: { schedulerIntervalMs: 500, leaseMs: 3000, adapters: { process: processAdapter, claude_local: fake } },
  });

  const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "staple-runs-exec-"));
  afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
  const tempDir = () => fs.mkdtempSync(path.join(tmpRoot, "d-"));

  async function wake(agentId: string, body: Record<string, unknown> = {}) {
    const res = await t.current.post(`/api/agents/${agentId}/wakeup`, { source: "on_demand", reason: "test", ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.id, JSON.stringify(res.body)).toBeTruthy();
    return res.body as { id: string; status: string; [k: string]: any };
  }

  async function getRun(runId: string) {
    const res = await t.current.get(`/api/heartbeat-runs/${runId}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as Record<string, any>;
  }

  async function waitRunDone(runId: string, timeoutMs = 20_000) {
    return waitFor(
      `run ${runId} terminal`,
      async () => {
        const run = await getRun(runId);
        return TERMINAL.includes(run.status) ? run : null;
      },
      timeoutMs,
    );
  }

  async function waitRunning(runId: string) {
    return waitFor(`run ${runId} running with a pid`, async () => {
      const run = await getRun(runId);
      if (TERMINAL.includes(run.status)) throw new Error(`run ended early: ${JSON.stringify(run)}`);
      return run.status === "running" && run.processPid ? run : null;
    });
  }

  async function wakeStatus(wakeupRequestId: string) {
    const [row] = await t.current.tdb.db.query<{ status: string }>("SELECT status FROM agent_wakeup_requests WHERE id = $1", [
      wakeupRequestId,
    ]);
    return row?.status;
  }

  async function agentStatus(agentId: string) {
    const res = await t.current.get(`/api/agents/${agentId}`);
    expect(res.status).toBe(200);
    return res.body.status as string;
  }

  return { t, fake, fakeBehaviour, tempDir, wake, getRun, waitRunDone, waitRunning, wakeStatus, agentStatus };
}
