import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, onPostgres, type TestDatabase } from "../helpers/test-db.js";
import { httpJson, startServerProcess, type ServerProcess } from "../helpers/server-process.js";

const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

/**
 * Two real server processes on one Postgres database share the run queue. Coordination lives in
 * the database (claim row lock + SKIP LOCKED + guarded transitions + leases), so across 200
 * wakeups no run may execute twice and no agent may exceed its concurrency.
 */
describe.runIf(onPostgres())("two servers on one Postgres", () => {
  let tdb: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-two-servers-"));
  const journal = path.join(dir, "journal.log");

  beforeAll(async () => {
    tdb = await createTestDatabase();
    const env = { DATABASE_URL: tdb.url!, PAPERCLIP_AGENT_JWT_SECRET: "two-servers-secret" };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await tdb?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  it("runs 200 wakeups exactly once each, within every agent's concurrency", async () => {
    const company = (await httpJson(a.url, "POST", "/api/companies", { name: "Two Servers Co" })).body;
    const script = `echo "start $PAPERCLIP_AGENT_ID $PAPERCLIP_RUN_ID $(date +%s%N)" >> ${journal}; sleep 0.05; echo "end $PAPERCLIP_AGENT_ID $PAPERCLIP_RUN_ID $(date +%s%N)" >> ${journal}`;
    const agents: { id: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await httpJson(a.url, "POST", `/api/companies/${company.id}/agents`, {
        name: `worker-${i}`,
        adapterType: "process",
        adapterConfig: { command: "/bin/sh", args: ["-c", script], timeoutSec: 60, graceSec: 2 },
        runtimeConfig: { heartbeat: { maxConcurrentRuns: 2 } },
      });
      expect(res.status).toBe(201);
      agents.push(res.body);
    }
    let next = 0;
    const runIds: string[] = [];
    const worker = async () => {
      while (next < 200) {
        const i = next++;
        const server = i % 2 === 0 ? a : b;
        const res = await httpJson(server.url, "POST", `/api/agents/${agents[i % agents.length]!.id}/wakeup`, {
          source: "on_demand",
          reason: "two-servers",
          payload: { taskKey: `task-${i}` },
        });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        runIds.push(res.body.id);
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    expect(new Set(runIds).size).toBe(200);

    let runs: { id: string; status: string }[] = [];
    for (let i = 0; i < 1200; i++) {
      runs = (await httpJson(a.url, "GET", `/api/companies/${company.id}/heartbeat-runs?limit=1000`)).body;
      if (runs.length >= 200 && runs.every((r) => TERMINAL.has(r.status))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(runs.length).toBe(200);
    expect(runs.filter((r) => r.status === "succeeded").length).toBe(200);

    const lines = fs
      .readFileSync(journal, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" "));
    const starts = lines.filter((l) => l[0] === "start");
    // Executed exactly once each.
    expect(starts.length).toBe(200);
    expect(new Set(starts.map((l) => l[2])).size).toBe(200);
    // Never more than maxConcurrentRuns (2) of one agent at once: sweep its start/end events.
    for (const agent of agents) {
      const events = lines
        .filter((l) => l[1] === agent.id)
        .map((l) => ({ t: BigInt(l[3]!), d: l[0] === "start" ? 1 : -1 }))
        .sort((x, y) => (x.t === y.t ? x.d - y.d : x.t < y.t ? -1 : 1));
      let live = 0;
      let max = 0;
      for (const e of events) {
        live += e.d;
        max = Math.max(max, live);
      }
      expect(max, `agent ${agent.id}`).toBeLessThanOrEqual(2);
    }
    // Both servers did part of the work.
    const owners = await tdb.db.query<{ n: number }>("SELECT count(DISTINCT lease_owner)::int AS n FROM heartbeat_runs");
    expect(owners[0]!.n).toBe(2);
  }, 180_000);
});
