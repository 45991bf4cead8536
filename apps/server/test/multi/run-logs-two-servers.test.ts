import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, onPostgres, type TestDatabase } from "../helpers/test-db.js";
import { httpJson, startServerProcess, type ServerProcess } from "../helpers/server-process.js";

const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

/**
 * Two real server processes with separate homes on one Postgres database: a run's log is stored in
 * the database, so both servers answer it — while the run still prints and after it ended — whichever
 * server executed it (docs/runs.md#run-logs-and-events).
 */
describe.runIf(onPostgres())("run logs read from either of two servers", () => {
  let tdb: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-two-logs-"));

  beforeAll(async () => {
    tdb = await createTestDatabase();
    const env = { DATABASE_URL: tdb.url!, PAPERCLIP_AGENT_JWT_SECRET: "two-servers-logs" };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  }, 90_000);

  afterAll(async () => {
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

  it("both servers answer the same log, live and finished", async () => {
    const company = (await httpJson(a.url, "POST", "/api/companies", { name: "Two Logs Co" })).body;
    const release = path.join(dir, "release");
    const script = `echo hello-from-a-run; i=0; while [ ! -e '${release}' ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done; echo bye`;
    const agent = (
      await httpJson(a.url, "POST", `/api/companies/${company.id}/agents`, {
        name: "printer",
        adapterType: "process",
        adapterConfig: { command: "/bin/sh", args: ["-c", script], timeoutSec: 60 },
      })
    ).body;
    const wake = await httpJson(a.url, "POST", `/api/agents/${agent.id}/wakeup`, { source: "on_demand", reason: "two-logs" });
    expect(wake.status).toBe(202);
    const runId: string = wake.body.id;

    // Live: the first line is readable from both servers before the run ends.
    for (const server of [a, b]) {
      let seen = "";
      for (let i = 0; i < 300 && !seen.includes("hello-from-a-run"); i++) {
        const res = await httpJson(server.url, "GET", `/api/heartbeat-runs/${runId}/log`);
        if (res.status === 200) seen = chunks(res.body.content);
        else await new Promise((r) => setTimeout(r, 50));
      }
      expect(seen, server.url).toBe("hello-from-a-run\n");
    }
    fs.writeFileSync(release, "");

    let run: { status: string } = { status: "queued" };
    for (let i = 0; i < 300 && !TERMINAL.has(run.status); i++) {
      run = (await httpJson(a.url, "GET", `/api/heartbeat-runs/${runId}`)).body;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(run.status).toBe("succeeded");
    const [fromA, fromB] = await Promise.all([a, b].map((s) => httpJson(s.url, "GET", `/api/heartbeat-runs/${runId}/log`)));
    expect(fromA.body).toEqual(fromB.body);
    expect(fromB.body).toMatchObject({ store: "database", logRef: `db:${runId}` });
    expect(chunks(fromB.body.content)).toBe("hello-from-a-run\nbye\n");
  });
});
