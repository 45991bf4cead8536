import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isProcessGroupAlive, signalProcessGroup } from "@staple/adapter-kit";
import { httpJson, startServerProcess, type ServerProcess } from "./helpers/server-process.js";
import { startRunnerProcess, type RunnerProcess } from "./helpers/runner-process.js";
import { waitFor } from "./helpers/test-server.js";

/**
 * A real server process and real `staple runner` processes (the built CLI, own STAPLE_HOME each) on
 * loopback (docs/runners.md): a process agent bound to the runner's label runs on the runner — its
 * output and PAPERCLIP_API_URL come back through the server's API, the run records the runner — a
 * runner drains on SIGTERM, and a runner SIGKILLed mid-run loses the run to the reaper
 * (failed/process_lost exactly once) whose single retry a second runner executes.
 */

const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];
let server: ServerProcess;
let companyId: string;
let token: string;
const runners: RunnerProcess[] = [];
const groups: number[] = [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-runners-e2e-"));

beforeAll(async () => {
  server = await startServerProcess({ STAPLE_LEASE_MS: "3000", STAPLE_SCHEDULER_INTERVAL_MS: "300" });
  companyId = (await httpJson(server.url, "POST", "/api/companies", { name: "Runner E2E Co" })).body.id;
  token = (await httpJson(server.url, "POST", `/api/companies/${companyId}/runner-tokens`, { name: "e2e" })).body.token;
}, 60_000);

afterAll(async () => {
  for (const r of runners) await r.stop(5_000);
  for (const g of groups) signalProcessGroup(g, "SIGKILL");
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function runner(labels: string[], args: string[] = [], home?: string) {
  const r = await startRunnerProcess({ url: server.url, token, labels, args, home });
  runners.push(r);
  return r;
}

async function boundAgent(label: string, script: string, env: Record<string, string> = {}) {
  const res = await httpJson(server.url, "POST", `/api/companies/${companyId}/agents`, {
    name: `agent-${label}-${Math.random().toString(36).slice(2, 7)}`,
    adapterType: "process",
    adapterConfig: { command: process.execPath, args: ["-e", script], env, timeoutSec: 60 },
    runtimeConfig: { runner: label },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
}

async function wake(agentId: string) {
  const res = await httpJson(server.url, "POST", `/api/agents/${agentId}/wakeup`, { source: "on_demand", reason: "runner-e2e" });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

const getRun = async (runId: string) => (await httpJson(server.url, "GET", `/api/heartbeat-runs/${runId}`)).body;
const waitDone = (runId: string, ms = 30_000) =>
  waitFor(
    `run ${runId} terminal`,
    async () => {
      const run = await getRun(runId);
      return TERMINAL.includes(run.status) ? run : null;
    },
    ms,
    100,
  );
const logText = async (runId: string) => {
  const res = await httpJson(server.url, "GET", `/api/heartbeat-runs/${runId}/log`);
  if (res.status !== 200) return "";
  return (res.body.content as string)
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { chunk: string }).chunk)
    .join("");
};
const events = async (runId: string) =>
  (await httpJson(server.url, "GET", `/api/heartbeat-runs/${runId}/events`)).body as Array<{
    eventType: string;
    message: string | null;
    payload: Record<string, unknown> | null;
  }>;
const runnerOf = async (runId: string) => (await events(runId)).find((e) => e.message === "run started")?.payload?.runnerId;

describe("staple runner executes runs end to end", () => {
  it("a bound process agent runs on the runner: output, PAPERCLIP_API_URL and cwd come back; the run records the runner", async () => {
    const r = await runner(["e2e"]);
    const agent = await boundAgent(
      "e2e",
      `console.log("hello from the runner script"); console.log("API=" + process.env.PAPERCLIP_API_URL); console.log("CWD=" + process.cwd()); console.log("KEY=" + process.env.PAPERCLIP_API_KEY);`,
    );
    const runId = await wake(agent.id);
    const run = await waitDone(runId);
    expect(run.status, JSON.stringify(run)).toBe("succeeded");
    const log = await logText(runId);
    expect(log).toContain("hello from the runner script");
    expect(log).toContain(`API=${server.url}`);
    expect(log).toContain(`CWD=${fs.realpathSync(path.join(r.home, "runner", "agents", agent.id, "workspace"))}`);
    expect(run.stdoutExcerpt).toContain("hello from the runner script");
    expect(await runnerOf(runId)).toBe(r.id);
    const spawn = (await events(runId)).find((e) => e.eventType === "runner.spawn");
    expect(spawn?.payload).toMatchObject({ runnerId: r.id, pid: expect.any(Number) });
    // The run token never leaves the runner unredacted.
    expect(log).toContain("KEY=[REDACTED]");
    expect(log).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
    expect(JSON.stringify(await events(runId))).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  }, 60_000);

  it("drains on SIGTERM: stops claiming, lets the running run finish, exits 0", async () => {
    const r = await runner(["drain"]);
    const agent = await boundAgent("drain", `console.log("working"); setTimeout(() => console.log("done working"), 1500);`);
    const runId = await wake(agent.id);
    await waitFor("run claimed", async () => (await getRun(runId)).status === "running", 20_000, 100);
    const code = await r.stop(30_000);
    expect(code, r.output()).toBe(0);
    const run = await waitDone(runId);
    expect(run.status, JSON.stringify(run)).toBe("succeeded");
    expect(await logText(runId)).toContain("done working");
    // Drained: a new run of the label stays queued.
    const next = await wake(agent.id);
    await new Promise((res) => setTimeout(res, 1500));
    expect((await getRun(next)).status).toBe("queued");
  }, 60_000);

  it("past its drain grace a runner aborts its run: failed/runner_shutdown, its process stopped, one retry queued", async () => {
    const r = await runner(["grace"], ["--drain-grace", "1"]);
    const pidFile = path.join(dir, "grace-pid");
    const agent = await boundAgent(
      "grace",
      `require("fs").writeFileSync(process.env.PID_FILE, String(process.pid)); console.log("long job"); setTimeout(() => {}, 30000);`,
      { PID_FILE: pidFile },
    );
    const runId = await wake(agent.id);
    await waitFor("script started", async () => fs.existsSync(pidFile) && (await logText(runId)).includes("long job"), 20_000, 100);
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    groups.push(pid);
    expect(await r.stop(30_000), r.output()).toBe(0);
    const run = await waitDone(runId);
    expect(run).toMatchObject({ status: "failed", errorCode: "runner_shutdown" });
    expect(() => process.kill(pid, 0)).toThrow();
    const runs = (await httpJson(server.url, "GET", `/api/companies/${companyId}/heartbeat-runs?agentId=${agent.id}`)).body as Array<{
      status: string;
    }>;
    expect(runs.map((x) => x.status).sort()).toEqual(["failed", "queued"]);
  }, 60_000);

  it("a cancel reaches the runner within a heartbeat: the agent process is stopped and the run stays cancelled", async () => {
    const r = await runner(["cancel"]);
    const pidFile = path.join(dir, "cancel-pid");
    const agent = await boundAgent(
      "cancel",
      `require("fs").writeFileSync(process.env.PID_FILE, String(process.pid)); console.log("waiting"); setTimeout(() => {}, 30000);`,
      { PID_FILE: pidFile },
    );
    const runId = await wake(agent.id);
    await waitFor("script started", async () => fs.existsSync(pidFile) && (await logText(runId)).includes("waiting"), 20_000, 100);
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    groups.push(pid);
    const cancelled = await httpJson(server.url, "POST", `/api/heartbeat-runs/${runId}/cancel`, {});
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    const alive = (p: number) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor("the agent process is gone", async () => !alive(pid), 10_000, 100);
    expect(r.output()).toContain(`Stopping run ${runId}`);
    await new Promise((res) => setTimeout(res, 500));
    expect((await getRun(runId)).status).toBe("cancelled");
  }, 60_000);

  it("a runner SIGKILLed mid-run: the run ends failed/process_lost once, the runner restarted on its home stops the agent it left running, and the single retry runs there", async () => {
    const first = await runner(["crash"]);
    const mark = path.join(dir, "first-attempt");
    const script = `const fs = require("fs"); if (fs.existsSync(process.env.MARK)) { console.log("retry ran"); } else { fs.writeFileSync(process.env.MARK, String(process.pid)); console.log("first attempt"); setTimeout(() => {}, 20000); }`;
    const agent = await boundAgent("crash", script, { MARK: mark });
    const runId = await wake(agent.id);
    await waitFor("first attempt printing", async () => (await logText(runId)).includes("first attempt"), 20_000, 100);
    const spawn = (await events(runId)).find((e) => e.eventType === "runner.spawn");
    const orphanGroup = spawn?.payload?.processGroupId;
    expect(orphanGroup, JSON.stringify(spawn)).toEqual(expect.any(Number));
    groups.push(orphanGroup as number);
    await first.kill();
    // The agent outlives its runner (its own process group).
    expect(isProcessGroupAlive(orphanGroup as number)).toBe(true);

    const lost = await waitDone(runId, 30_000);
    expect(lost).toMatchObject({ status: "failed", errorCode: "process_lost" });
    // Restarted on the same home, the runner stops what its previous life left running before it claims.
    const second = await runner(["crash"], [], first.home);
    expect(isProcessGroupAlive(orphanGroup as number)).toBe(false);
    expect(second.output()).toContain(`Stopped process group ${orphanGroup} of run ${runId}`);
    const listRuns = async () =>
      (await httpJson(server.url, "GET", `/api/companies/${companyId}/heartbeat-runs?agentId=${agent.id}`)).body as Array<{
        id: string;
        status: string;
        errorCode: string | null;
      }>;
    const retry = await waitFor(
      "the retry succeeded",
      async () => (await listRuns()).find((r) => r.id !== runId && r.status === "succeeded"),
      30_000,
      200,
    ).catch(async (error) => {
      throw new Error(
        `${error}\nruns: ${JSON.stringify(await listRuns())}\nsecond runner: ${second.output()}\nfirst runner: ${first.output()}`,
      );
    });
    expect(await logText(retry.id)).toContain("retry ran");
    expect(await runnerOf(retry.id)).toBe(second.id);
    // Exactly once: one lost run, one retry, nothing more.
    await new Promise((res) => setTimeout(res, 1500));
    const all = await listRuns();
    expect(all.map((r) => r.status).sort()).toEqual(["failed", "succeeded"]);
    expect(all.filter((r) => r.errorCode === "process_lost")).toHaveLength(1);
  }, 90_000);
});
