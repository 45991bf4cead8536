import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, onPostgres, type TestDatabase } from "../helpers/test-db.js";
import { httpJson, startServerProcess, type ServerProcess } from "../helpers/server-process.js";
import { startRunnerProcess, type RunnerProcess } from "../helpers/runner-process.js";

const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

/**
 * Two real server processes on one Postgres database and a real `staple runner` attached to server A
 * (docs/runners.md): a run of an agent bound to the runner executes on the runner, and its log —
 * streamed by the runner to A — is readable from server B while the run still prints, and after.
 */
describe.runIf(onPostgres())("a runner's run log read from the other server", () => {
  let tdb: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  let runner: RunnerProcess | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-two-runner-"));

  beforeAll(async () => {
    tdb = await createTestDatabase();
    const env = { DATABASE_URL: tdb.url!, PAPERCLIP_AGENT_JWT_SECRET: "two-servers-runner", STAPLE_SCHEDULER_INTERVAL_MS: "500" };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  }, 90_000);

  afterAll(async () => {
    await runner?.stop(10_000);
    await Promise.all([a?.stop(), b?.stop()]);
    await tdb?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  const chunks = (content: string) =>
    content
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { chunk: string }).chunk)
      .join("");

  it("server B tails the log of a run executing on a runner attached to server A", async () => {
    const company = (await httpJson(a.url, "POST", "/api/companies", { name: "Two Servers Runner Co" })).body;
    const token = (await httpJson(a.url, "POST", `/api/companies/${company.id}/runner-tokens`, { name: "remote" })).body.token;
    runner = await startRunnerProcess({ url: a.url, token, labels: ["remote"] });
    const release = path.join(dir, "release");
    const script = `console.log("hello-from-a-runner"); const fs = require("fs"); let i = 0; const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(release)}) || ++i > 600) { clearInterval(t); console.log("bye"); } }, 50);`;
    const agent = (
      await httpJson(b.url, "POST", `/api/companies/${company.id}/agents`, {
        name: "remote printer",
        adapterType: "process",
        adapterConfig: { command: process.execPath, args: ["-e", script], timeoutSec: 60 },
        runtimeConfig: { runner: "remote" },
      })
    ).body;
    // Woken through server B: neither server executes it, the runner (via A) does.
    const wake = await httpJson(b.url, "POST", `/api/agents/${agent.id}/wakeup`, { source: "on_demand", reason: "two-servers-runner" });
    expect(wake.status).toBe(202);
    const runId: string = wake.body.id;

    let seen = "";
    for (let i = 0; i < 400 && !seen.includes("hello-from-a-runner"); i++) {
      const res = await httpJson(b.url, "GET", `/api/heartbeat-runs/${runId}/log`);
      if (res.status === 200) seen = chunks(res.body.content);
      if (!seen.includes("hello-from-a-runner")) await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toBe("hello-from-a-runner\n");
    expect((await httpJson(b.url, "GET", `/api/heartbeat-runs/${runId}`)).body.status).toBe("running");
    fs.writeFileSync(release, "");

    let run: { status: string } = { status: "running" };
    for (let i = 0; i < 400 && !TERMINAL.has(run.status); i++) {
      run = (await httpJson(b.url, "GET", `/api/heartbeat-runs/${runId}`)).body;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(run.status).toBe("succeeded");
    const fromB = await httpJson(b.url, "GET", `/api/heartbeat-runs/${runId}/log`);
    expect(fromB.body).toMatchObject({ store: "database", logRef: `db:${runId}` });
    expect(chunks(fromB.body.content)).toBe("hello-from-a-runner\nbye\n");
    const events = (await httpJson(b.url, "GET", `/api/heartbeat-runs/${runId}/events`)).body as Array<{
      message: string | null;
      payload: Record<string, unknown> | null;
    }>;
    expect(events.find((e) => e.message === "run started")?.payload?.runnerId).toBe(runner.id);
  }, 90_000);
});
