import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

const t = useTestServer();

const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";
const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];
const WAKE_PATHS = ["wakeup", "heartbeat/invoke"] as const;

const db = () => t.current.tdb.db;

/** A gated run waits (bounded) until the test creates a file named after its run id. */
const gateDir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-wake-gates-"));
afterAll(() => fs.rmSync(gateDir, { recursive: true, force: true }));
const GATED_SCRIPT = `i=0; while [ ! -e "${gateDir}/$PAPERCLIP_RUN_ID" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done`;
const openGate = (runId: string) => fs.writeFileSync(path.join(gateDir, runId), "");

/** A process agent whose every run runs `script` under /bin/sh. */
async function scriptAgent(companyId: string, script: string, extra: Record<string, unknown> = {}) {
  return createAgent(t.current, companyId, {
    adapterConfig: { command: "/bin/sh", args: ["-c", script], timeoutSec: 60, graceSec: 1 },
    ...extra,
  });
}

interface RunDbRow {
  id: string;
  status: string;
  agentId: string;
  taskKey: string | null;
  wakeupRequestId: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  contextSnapshot: Record<string, any> | null;
}

async function runRow(id: string): Promise<RunDbRow> {
  const [row] = await db().query<RunDbRow>(
    "SELECT id, status, agent_id, task_key, wakeup_request_id, started_at, finished_at, context_snapshot FROM heartbeat_runs WHERE id = $1",
    [id],
  );
  expect(row, `run ${id} exists`).toBeDefined();
  return row!;
}

async function runsOf(agentId: string): Promise<RunDbRow[]> {
  return db().query<RunDbRow>(
    `SELECT id, status, agent_id, task_key, wakeup_request_id, started_at, finished_at, context_snapshot
       FROM heartbeat_runs WHERE agent_id = $1 ORDER BY created_at, id`,
    [agentId],
  );
}

interface WakeDbRow {
  id: string;
  source: string;
  triggerDetail: string | null;
  reason: string | null;
  status: string;
  runId: string | null;
  coalescedCount: number;
  idempotencyKey: string | null;
  requestedByActorType: string | null;
  requestedByActorId: string | null;
  finishedAt: Date | null;
  payload: Record<string, any> | null;
}

async function wakesOf(agentId: string): Promise<WakeDbRow[]> {
  return db().query<WakeDbRow>(
    `SELECT id, source, trigger_detail, reason, status, run_id, coalesced_count, idempotency_key, requested_by_actor_type,
            requested_by_actor_id, finished_at, payload
       FROM agent_wakeup_requests WHERE agent_id = $1 ORDER BY requested_at, id`,
    [agentId],
  );
}

async function wakeRow(id: string): Promise<WakeDbRow> {
  const [row] = await db().query<WakeDbRow>(
    `SELECT id, source, trigger_detail, reason, status, run_id, coalesced_count, idempotency_key, requested_by_actor_type,
            requested_by_actor_id, finished_at, payload
       FROM agent_wakeup_requests WHERE id = $1`,
    [id],
  );
  expect(row, `wake ${id} exists`).toBeDefined();
  return row!;
}

async function invokedActivity(agentId: string) {
  return db().query<{ actorType: string; actorId: string; details: Record<string, any> }>(
    `SELECT actor_type, actor_id, details FROM activity_log
      WHERE action = 'heartbeat.invoked' AND entity_type = 'agent' AND entity_id = $1 ORDER BY created_at, id`,
    [agentId],
  );
}

async function waitForRunStatus(runId: string, statuses: string[], what = `run ${runId} ${statuses.join("/")}`): Promise<RunDbRow> {
  return waitFor(
    what,
    async () => {
      const row = await runRow(runId);
      return statuses.includes(row.status) ? row : null;
    },
    20_000,
  );
}

async function wake(agentId: string, body?: unknown, path: (typeof WAKE_PATHS)[number] = "wakeup", token?: string) {
  return t.current.post(`/api/agents/${agentId}/${path}`, body, { token });
}

describe("POST /api/agents/:id/wakeup and /heartbeat/invoke", () => {
  it("202 with the queued run; the run succeeds and its wake completes", async () => {
    const company = await createCompany(t.current);
    const agent = await scriptAgent(company.id, "echo woke");
    const res = await wake(agent.id, { source: "on_demand", reason: "manual_poke", payload: { taskKey: "task-x", note: 1 } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({
      agentId: agent.id,
      companyId: company.id,
      status: "queued",
      invocationSource: "on_demand",
      triggerDetail: null,
      contextSnapshot: { wakeReason: "manual_poke", taskKey: "task-x", wakeSource: "on_demand" },
    });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.wakeupRequestId).toMatch(/^[0-9a-f-]{36}$/);

    const queuedWake = await wakeRow(res.body.wakeupRequestId);
    expect(queuedWake).toMatchObject({
      source: "on_demand",
      reason: "manual_poke",
      runId: res.body.id,
      requestedByActorType: "user",
      requestedByActorId: "local-board",
    });
    expect(queuedWake.payload).toEqual({ taskKey: "task-x", note: 1 });

    const done = await waitForRunStatus(res.body.id, TERMINAL);
    expect(done.status).toBe("succeeded");
    expect(done.taskKey).toBe("task-x");
    expect((await wakeRow(res.body.wakeupRequestId)).status).toBe("completed");
    const api = await t.current.get(`/api/heartbeat-runs/${res.body.id}`);
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({ id: res.body.id, status: "succeeded", invocationSource: "on_demand" });
    expect(api.body.stdoutExcerpt).toContain("woke");

    const activity = await invokedActivity(agent.id);
    expect(activity).toHaveLength(1);
    expect(activity[0]).toMatchObject({ actorType: "user", actorId: "local-board" });
    expect(activity[0]!.details).toMatchObject({ outcome: "queued", runId: res.body.id, source: "on_demand", reason: "manual_poke" });
  });

  it("a skipped wake is audited too: outcome skipped, no run", async () => {
    const company = await createCompany(t.current);
    const agent = await scriptAgent(company.id, "true", {
      runtimeConfig: { heartbeat: { enabled: false, intervalSec: 0, wakeOnDemand: false, maxConcurrentRuns: 1 } },
    });
    const res = await wake(agent.id, { reason: "poke" });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ status: "skipped", reason: "heartbeat.wakeOnDemand.disabled" });
    const activity = await invokedActivity(agent.id);
    expect(activity).toHaveLength(1);
    expect(activity[0]!.details).toEqual({ outcome: "skipped", runId: null, source: "on_demand", reason: "poke" });
  });

  it("legacy heartbeat/invoke: 202 with the queued run, triggerDetail defaults to manual", async () => {
    const company = await createCompany(t.current);
    const agent = await scriptAgent(company.id, "true");
    const res = await wake(agent.id, { reason: "legacy", payload: { taskKey: "legacy-task" } }, "heartbeat/invoke");
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({
      agentId: agent.id,
      status: "queued",
      invocationSource: "on_demand",
      triggerDetail: "manual",
      contextSnapshot: { wakeReason: "legacy", taskKey: "legacy-task", wakeTriggerDetail: "manual" },
    });
    expect((await wakeRow(res.body.wakeupRequestId)).triggerDetail).toBe("manual");
    expect((await waitForRunStatus(res.body.id, TERMINAL)).status).toBe("succeeded");
    expect((await wakeRow(res.body.wakeupRequestId)).status).toBe("completed");
    expect(await invokedActivity(agent.id)).toHaveLength(1);
  });

  it("an explicit triggerDetail wins over the legacy default", async () => {
    const company = await createCompany(t.current);
    const agent = await scriptAgent(company.id, "true");
    const res = await wake(agent.id, { triggerDetail: "ping" }, "heartbeat/invoke");
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.triggerDetail).toBe("ping");
    await waitForRunStatus(res.body.id, TERMINAL);
  });

  for (const path of WAKE_PATHS) {
    it(`${path}: an absent body and an empty object are both accepted (defaults: on_demand)`, async () => {
      const company = await createCompany(t.current);
      const agent = await scriptAgent(company.id, "true");
      const noBody = await wake(agent.id, undefined, path);
      expect(noBody.status, JSON.stringify(noBody.body)).toBe(202);
      expect(noBody.body).toMatchObject({
        agentId: agent.id,
        invocationSource: "on_demand",
        triggerDetail: path === "wakeup" ? null : "manual",
      });
      expect(noBody.body.contextSnapshot).toMatchObject({ wakeSource: "on_demand" });
      await waitForRunStatus(noBody.body.id, TERMINAL);

      const emptyObject = await wake(agent.id, {}, path);
      expect(emptyObject.status, JSON.stringify(emptyObject.body)).toBe(202);
      expect(emptyObject.body).toMatchObject({ agentId: agent.id, invocationSource: "on_demand" });
      await waitForRunStatus(emptyObject.body.id, TERMINAL);
      expect(await invokedActivity(agent.id)).toHaveLength(2);
    });

    it(`${path}: an invalid body is a 400 and writes nothing`, async () => {
      const company = await createCompany(t.current);
      const agent = await scriptAgent(company.id, "true");
      const bad: unknown[] = [
        { source: "whenever" },
        { source: 5 },
        { triggerDetail: "sometimes" },
        { reason: 42 },
        { reason: "" },
        { payload: "not an object" },
        { payload: [1, 2] },
        { idempotencyKey: 7 },
        { forceFreshSession: "yes" },
        { unknownField: true },
      ];
      for (const body of bad) {
        const res = await wake(agent.id, body, path);
        expect(res.status, `${JSON.stringify(body)} -> ${JSON.stringify(res.body)}`).toBe(400);
        expect(res.body.error).toEqual(expect.any(String));
      }
      const malformed = await t.current.call("POST", `/api/agents/${agent.id}/${path}`, { rawBody: "{not json" });
      expect(malformed.status).toBe(400);
      expect(await wakesOf(agent.id)).toEqual([]);
      expect(await runsOf(agent.id)).toEqual([]);
      expect(await invokedActivity(agent.id)).toEqual([]);
    });

    it(`${path}: an unknown agent is a 404`, async () => {
      const res = await wake(UNKNOWN_UUID, { reason: "x" }, path);
      expect(res.status, JSON.stringify(res.body)).toBe(404);
      const notUuid = await wake("not-a-uuid", {}, path);
      expect(notUuid.status, JSON.stringify(notUuid.body)).toBe(404);
    });
  }

  it("a paused or terminated agent is not invokable: 409, no wake row, no run, no activity", async () => {
    const company = await createCompany(t.current);
    const paused = await scriptAgent(company.id, "true");
    expect((await t.current.post(`/api/agents/${paused.id}/pause`)).status).toBe(200);
    for (const path of WAKE_PATHS) {
      const res = await wake(paused.id, { reason: "try" }, path);
      expect(res.status, JSON.stringify(res.body)).toBe(409);
      expect(res.body.code).toBe("agent_not_invokable");
    }
    const terminated = await scriptAgent(company.id, "true");
    expect((await t.current.post(`/api/agents/${terminated.id}/terminate`)).status).toBe(200);
    for (const path of WAKE_PATHS) {
      const res = await wake(terminated.id, {}, path);
      expect(res.status, JSON.stringify(res.body)).toBe(409);
    }
    for (const agent of [paused, terminated]) {
      expect(await wakesOf(agent.id)).toEqual([]);
      expect(await runsOf(agent.id)).toEqual([]);
      expect(await invokedActivity(agent.id)).toEqual([]);
    }
    // Resuming makes the agent invokable again.
    expect((await t.current.post(`/api/agents/${paused.id}/resume`)).status).toBe(200);
    const again = await wake(paused.id, {});
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect((await waitForRunStatus(again.body.id, TERMINAL)).status).toBe("succeeded");
  });

  it("another company's agent cannot wake an agent (404, as if it did not exist) and writes nothing", async () => {
    const company = await createCompany(t.current);
    const target = await scriptAgent(company.id, "true");
    const outsider = await scriptAgent((await createCompany(t.current)).id, "true");
    const key = await createAgentKey(t.current, outsider.id);
    for (const path of WAKE_PATHS) {
      const res = await wake(target.id, { reason: "from outside" }, path, key.token);
      expect(res.status, JSON.stringify(res.body)).toBe(404);
    }
    expect(await wakesOf(target.id)).toEqual([]);
    expect(await runsOf(target.id)).toEqual([]);
    expect(await invokedActivity(target.id)).toEqual([]);
  });

  it("an agent may wake itself with its key (202) but not another agent (403)", async () => {
    const company = await createCompany(t.current);
    const self = await scriptAgent(company.id, "true");
    const other = await scriptAgent(company.id, "true");
    const key = await createAgentKey(t.current, self.id);

    for (const path of WAKE_PATHS) {
      const forbidden = await wake(other.id, { reason: "poke other" }, path, key.token);
      expect(forbidden.status, JSON.stringify(forbidden.body)).toBe(403);
    }
    expect(await wakesOf(other.id)).toEqual([]);
    expect(await runsOf(other.id)).toEqual([]);
    expect(await invokedActivity(other.id)).toEqual([]);

    const res = await wake(self.id, { reason: "self poke", payload: { taskKey: "self" } }, "wakeup", key.token);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ agentId: self.id, contextSnapshot: { wakeReason: "self poke" } });
    const row = await wakeRow(res.body.wakeupRequestId);
    expect(row).toMatchObject({ requestedByActorType: "agent", requestedByActorId: self.id });
    const activity = await invokedActivity(self.id);
    expect(activity).toHaveLength(1);
    expect(activity[0]).toMatchObject({ actorType: "agent", actorId: self.id });
    await waitForRunStatus(res.body.id, TERMINAL);
  });

  it("an agent of another company cannot wake the agent", async () => {
    const company = await createCompany(t.current);
    const target = await scriptAgent(company.id, "true");
    const otherCompany = await createCompany(t.current);
    const stranger = await scriptAgent(otherCompany.id, "true");
    const key = await createAgentKey(t.current, stranger.id);
    const res = await wake(target.id, {}, "wakeup", key.token);
    expect([403, 404]).toContain(res.status);
    expect(await wakesOf(target.id)).toEqual([]);
  });

  it("wakeOnDemand false: 202 skipped with a recorded skipped wake, no run", async () => {
    const company = await createCompany(t.current);
    const agent = await scriptAgent(company.id, "true", { runtimeConfig: { heartbeat: { wakeOnDemand: false } } });
    for (const [path, body] of [
      ["wakeup", { reason: "nope" }],
      ["heartbeat/invoke", undefined],
      ["wakeup", { source: "automation" }],
      ["wakeup", { source: "assignment" }],
    ] as const) {
      const res = await wake(agent.id, body, path);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toMatchObject({ status: "skipped", reason: "heartbeat.wakeOnDemand.disabled" });
      const row = await wakeRow(res.body.wakeupRequestId);
      expect(row.status).toBe("skipped");
      expect(row.reason).toBe("heartbeat.wakeOnDemand.disabled");
      expect(row.runId).toBeNull();
      expect(row.finishedAt).not.toBeNull();
    }
    expect(await runsOf(agent.id)).toEqual([]);
    const activity = await invokedActivity(agent.id);
    expect(activity).toHaveLength(4);
    expect(activity.every((a) => a.details.outcome === "skipped" && a.details.runId === null)).toBe(true);
  });

  it("timer wakes are skipped (heartbeat.disabled) while the heartbeat is disabled, queued once it is enabled", async () => {
    const company = await createCompany(t.current);
    const agent = await scriptAgent(company.id, "true");
    const res = await wake(agent.id, { source: "timer", triggerDetail: "system", reason: "heartbeat_timer" });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ status: "skipped", reason: "heartbeat.disabled" });
    const skipped = await wakeRow(res.body.wakeupRequestId);
    expect(skipped).toMatchObject({ source: "timer", status: "skipped", reason: "heartbeat.disabled", runId: null });
    expect(skipped.finishedAt).not.toBeNull();
    expect(await runsOf(agent.id)).toEqual([]);

    // The timer gate is the heartbeat switch, not wakeOnDemand: an enabled heartbeat takes timer
    // wakes even when on-demand wakes are off.
    const patched = await t.current.patch(`/api/agents/${agent.id}`, {
      runtimeConfig: { heartbeat: { enabled: true, intervalSec: 0, wakeOnDemand: false } },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const timer = await wake(agent.id, { source: "timer", triggerDetail: "system", reason: "heartbeat_timer" });
    expect(timer.status, JSON.stringify(timer.body)).toBe(202);
    expect(timer.body).toMatchObject({ status: "queued", invocationSource: "timer", agentId: agent.id });
    expect((await waitForRunStatus(timer.body.id, TERMINAL)).status).toBe("succeeded");
    const onDemand = await wake(agent.id, {});
    expect(onDemand.body).toMatchObject({ status: "skipped", reason: "heartbeat.wakeOnDemand.disabled" });
  });

  it("issue-scoped skips are recorded with their reason (unknown issue, unresolved blockers)", async () => {
    const company = await createCompany(t.current);
    const agent = await scriptAgent(company.id, "true");
    const missing = await wake(agent.id, { reason: "look", payload: { issueId: UNKNOWN_UUID } });
    expect(missing.status, JSON.stringify(missing.body)).toBe(202);
    expect(missing.body).toMatchObject({ status: "skipped", reason: "issue_execution_issue_not_found" });
    expect(await wakeRow(missing.body.wakeupRequestId)).toMatchObject({
      status: "skipped",
      reason: "issue_execution_issue_not_found",
      runId: null,
    });

    const blocker = await createIssue(t.current, company.id, { status: "todo" });
    const blocked = await createIssue(t.current, company.id, { status: "backlog", blockedByIssueIds: [blocker.id] });
    const res = await wake(agent.id, { reason: "look", payload: { issueId: blocked.id } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ status: "skipped", reason: "issue_dependencies_blocked" });
    const row = await wakeRow(res.body.wakeupRequestId);
    expect(row).toMatchObject({ status: "skipped", reason: "issue_dependencies_blocked", runId: null });
    expect(row.payload).toMatchObject({ issueId: blocked.id, unresolvedBlockerIssueIds: [blocker.id] });
    expect(await runsOf(agent.id)).toEqual([]);

    // Every skipped wake of this agent has its row and its reason.
    const rows = await wakesOf(agent.id);
    expect(rows.map((r) => [r.status, r.reason])).toEqual([
      ["skipped", "issue_execution_issue_not_found"],
      ["skipped", "issue_dependencies_blocked"],
    ]);
    expect(await invokedActivity(agent.id)).toHaveLength(2);
  });

  it("idempotencyKey: the same key twice returns the same run and creates one run and one wake", async () => {
    const company = await createCompany(t.current);
    const agent = await scriptAgent(company.id, "true");
    const first = await wake(agent.id, { reason: "once", idempotencyKey: "key-1", payload: { taskKey: "idem" } });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body.status).toBe("queued");
    const second = await wake(agent.id, { reason: "once", idempotencyKey: "key-1", payload: { taskKey: "idem" } }, "heartbeat/invoke");
    expect(second.status, JSON.stringify(second.body)).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    await waitForRunStatus(first.body.id, TERMINAL);
    const third = await wake(agent.id, { reason: "once", idempotencyKey: "key-1", payload: { taskKey: "idem" } });
    expect(third.status).toBe(202);
    expect(third.body.id).toBe(first.body.id);

    expect((await runsOf(agent.id)).map((r) => r.id)).toEqual([first.body.id]);
    const keyed = (await wakesOf(agent.id)).filter((w) => w.idempotencyKey === "key-1");
    expect(keyed).toHaveLength(1);
    expect(keyed[0]!.runId).toBe(first.body.id);

    // The key is per agent: another agent may use it.
    const other = await scriptAgent(company.id, "true");
    const otherRes = await wake(other.id, { idempotencyKey: "key-1" });
    expect(otherRes.status).toBe(202);
    expect(otherRes.body.id).not.toBe(first.body.id);
    expect(otherRes.body.agentId).toBe(other.id);
    await waitForRunStatus(otherRes.body.id, TERMINAL);
  });

  it("idempotencyKey on a skipped wake: the repeat is answered as a duplicate without a run", async () => {
    const company = await createCompany(t.current);
    const agent = await scriptAgent(company.id, "true", { runtimeConfig: { heartbeat: { wakeOnDemand: false } } });
    const first = await wake(agent.id, { idempotencyKey: "skip-key" });
    expect(first.body).toMatchObject({ status: "skipped", reason: "heartbeat.wakeOnDemand.disabled" });
    const second = await wake(agent.id, { idempotencyKey: "skip-key" });
    expect(second.status).toBe(202);
    expect(second.body).toMatchObject({
      status: "skipped",
      reason: "duplicate_idempotency_key",
      wakeupRequestId: first.body.wakeupRequestId,
    });
    expect(await wakesOf(agent.id)).toHaveLength(1);
    expect(await runsOf(agent.id)).toEqual([]);
  });

  it("non-issue coalescing: same task joins the running run, another task waits for the single slot", async () => {
    const company = await createCompany(t.current);
    const agent = await scriptAgent(company.id, `${GATED_SCRIPT}; echo done-$PAPERCLIP_RUN_ID`, {
      runtimeConfig: { heartbeat: { maxConcurrentRuns: 1 } },
    });

    const first = await wake(agent.id, { reason: "work x", payload: { taskKey: "X" } });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body.status).toBe("queued");
    const runA = first.body.id as string;
    await waitForRunStatus(runA, ["running"]);

    const coalesced = await wake(agent.id, { reason: "more x", payload: { taskKey: "X", extra: true } });
    expect(coalesced.status, JSON.stringify(coalesced.body)).toBe(202);
    expect(coalesced.body.id).toBe(runA);
    expect(coalesced.body.status).toBe("running");

    const other = await wake(agent.id, { reason: "work y", payload: { taskKey: "Y" } });
    expect(other.status, JSON.stringify(other.body)).toBe(202);
    const runB = other.body.id as string;
    expect(runB).not.toBe(runA);
    expect(other.body.status).toBe("queued");
    expect(other.body.contextSnapshot).toMatchObject({ taskKey: "Y", wakeReason: "work y" });

    // While A holds the only slot, B stays queued however often the dispatcher looks.
    await t.current.services.engine.runPeriodicPass();
    t.current.services.engine.poke(agent.id);
    await t.current.services.engine.runPeriodicPass();
    expect((await runRow(runB)).status).toBe("queued");
    expect((await runRow(runA)).status).toBe("running");

    // Never two running at once; B starts only after A finished.
    let maxRunning = 0;
    const sampleRunning = async () => {
      const [{ running }] = (await db().query<{ running: number }>(
        "SELECT count(*)::int AS running FROM heartbeat_runs WHERE agent_id = $1 AND status = 'running'",
        [agent.id],
      )) as [{ running: number }];
      maxRunning = Math.max(maxRunning, running);
    };
    openGate(runA);
    await waitFor("run B running", async () => {
      await sampleRunning();
      return (await runRow(runB)).status === "running";
    });
    const aDone = await runRow(runA);
    expect(aDone.status).toBe("succeeded");
    openGate(runB);
    const bDone = await waitFor("run B finished", async () => {
      await sampleRunning();
      const b = await runRow(runB);
      return TERMINAL.includes(b.status) ? b : null;
    });
    expect(maxRunning).toBe(1);
    expect(bDone.status).toBe("succeeded");
    expect(aDone.finishedAt).not.toBeNull();
    expect(bDone.startedAt).not.toBeNull();
    expect(new Date(bDone.startedAt!).getTime()).toBeGreaterThanOrEqual(new Date(aDone.finishedAt!).getTime());
    expect(aDone.contextSnapshot).toMatchObject({ taskKey: "X", wakeReason: "more x" });

    expect((await runsOf(agent.id)).map((r) => r.id).sort()).toEqual([runA, runB].sort());
    const wakes = await wakesOf(agent.id);
    expect(wakes).toHaveLength(3);
    const byRun = (id: string) => wakes.filter((w) => w.runId === id);
    expect(
      byRun(runA)
        .map((w) => w.status)
        .sort(),
    ).toEqual(["coalesced", "completed"]);
    const coalescedWake = byRun(runA).find((w) => w.status === "coalesced")!;
    expect(coalescedWake).toMatchObject({ reason: "more x", coalescedCount: 1 });
    expect(coalescedWake.finishedAt).not.toBeNull();
    expect(byRun(runB).map((w) => w.status)).toEqual(["completed"]);

    const activity = await invokedActivity(agent.id);
    expect(activity.map((a) => a.details.outcome)).toEqual(["queued", "coalesced", "queued"]);
    expect(activity.map((a) => a.details.runId)).toEqual([runA, runA, runB]);
  });

  it("a wake for a task with a queued run (slot busy) coalesces into the queued run", async () => {
    const company = await createCompany(t.current);
    const agent = await scriptAgent(company.id, GATED_SCRIPT);
    const hold = await wake(agent.id, { payload: { taskKey: "hold" } });
    await waitForRunStatus(hold.body.id, ["running"]);
    const queued = await wake(agent.id, { reason: "first", payload: { taskKey: "Q" } });
    expect(queued.body.status).toBe("queued");
    const again = await wake(agent.id, { reason: "second", payload: { taskKey: "Q", more: 1 } });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(queued.body.id);
    expect(again.body.status).toBe("queued");
    // The merged context carries the newest wake's reason.
    expect(again.body.contextSnapshot).toMatchObject({ taskKey: "Q", wakeReason: "second" });
    openGate(hold.body.id);
    await waitForRunStatus(queued.body.id, ["running"]);
    openGate(queued.body.id);
    expect((await waitForRunStatus(queued.body.id, TERMINAL)).status).toBe("succeeded");
    expect((await runsOf(agent.id)).map((r) => r.id).sort()).toEqual([hold.body.id, queued.body.id].sort());
  });

  it("an issue wake behind another agent's live run on the issue is answered 202 deferred and promoted later", async () => {
    const company = await createCompany(t.current);
    const owner = await scriptAgent(company.id, GATED_SCRIPT);
    const other = await scriptAgent(company.id, "true");
    const issue = await createIssue(t.current, company.id, { assigneeAgentId: owner.id });
    const ownerRun = await waitFor("owner run running", async () => {
      const [r] = await db().query<{ id: string; status: string }>("SELECT id, status FROM heartbeat_runs WHERE issue_id = $1", [issue.id]);
      return r?.status === "running" ? r : null;
    });

    const res = await wake(other.id, { reason: "have a look", payload: { issueId: issue.id } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ status: "deferred", reason: "issue_execution_deferred" });
    const deferred = await wakeRow(res.body.wakeupRequestId);
    expect(deferred).toMatchObject({ status: "deferred_issue_execution", reason: "issue_execution_deferred", runId: null });
    expect(deferred.payload).toMatchObject({ issueId: issue.id, _paperclipWakeContext: { wakeReason: "have a look", issueId: issue.id } });
    expect(await runsOf(other.id)).toEqual([]);
    expect((await invokedActivity(other.id)).map((a) => a.details.outcome)).toEqual(["deferred"]);

    openGate(ownerRun.id);
    const promoted = await waitFor("promoted run", async () => (await runsOf(other.id))[0]);
    expect(promoted.wakeupRequestId).toBe(deferred.id);
    expect(promoted.contextSnapshot).toMatchObject({ issueId: issue.id, wakeReason: "have a look" });
    expect((await wakeRow(deferred.id)).reason).toBe("issue_execution_promoted");
    await waitForRunStatus(promoted.id, TERMINAL);
  });
});
