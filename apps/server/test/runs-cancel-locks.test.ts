import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestServer, useTestServer, waitFor, type TestServer } from "./helpers/test-server.js";
import { TEST_JWT_SECRET } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import { signAgentJwt } from "../src/auth/agent-jwt.js";

/**
 * Cancellation (docs/runs.md#cancellation), pause/terminate, checkout and execution locks
 * (docs/issues.md#checkout, #the-execution-lock), graceful shutdown and the live event streams,
 * against a listening test server whose run engine spawns real process agents.
 */

const t = useTestServer();

const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];
const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

/** Sleeps 30 s when woken with reason "long" or for an assignment, else finishes at once. */
const SLEEPER = {
  command: "/bin/sh",
  args: ["-c", 'case "$PAPERCLIP_WAKE_REASON" in long|issue_assigned) sleep 30;; esac; echo quick-run'],
  graceSec: 1,
};

async function wake(app: TestServer, agentId: string, body: Record<string, unknown> = {}) {
  const res = await app.post(`/api/agents/${agentId}/wakeup`, { source: "on_demand", reason: "test", ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body.id, JSON.stringify(res.body)).toBeTruthy();
  return res.body as { id: string; status: string; wakeupRequestId: string; [k: string]: any };
}

async function getRun(runId: string, app: TestServer = t.current) {
  const res = await app.get(`/api/heartbeat-runs/${runId}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Record<string, any>;
}

async function waitRunDone(runId: string, app: TestServer = t.current, timeoutMs = 20_000) {
  return waitFor(
    `run ${runId} terminal`,
    async () => {
      const run = await getRun(runId, app);
      return TERMINAL.includes(run.status) ? run : null;
    },
    timeoutMs,
  );
}

async function waitRunning(runId: string, app: TestServer = t.current) {
  return waitFor(`run ${runId} running with a process group`, async () => {
    const run = await getRun(runId, app);
    if (TERMINAL.includes(run.status)) throw new Error(`run ended early: ${JSON.stringify(run)}`);
    return run.status === "running" && run.processGroupId ? run : null;
  });
}

async function wakeStatus(wakeupRequestId: string, app: TestServer = t.current) {
  const [row] = await app.tdb.db.query<{ status: string }>("SELECT status FROM agent_wakeup_requests WHERE id = $1", [wakeupRequestId]);
  return row?.status;
}

/** True when no live (non-zombie) process is left in the group. */
function processGroupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") return false;
  }
  return true;
}

/**
 * A run row in `status`, as if this server were executing it (lease owned by the engine, far in
 * the future, so the reaper leaves it alone). Used where a test needs "a live run" without a process.
 */
async function insertRun(companyId: string, agentId: string, status: "running" | "failed" | "succeeded"): Promise<string> {
  const live = status === "running";
  const [row] = await t.current.tdb.db.query<{ id: string }>(
    `INSERT INTO heartbeat_runs (company_id, agent_id, status, started_at, finished_at, lease_owner, lease_expires_at)
     VALUES ($1, $2, $3, now(), ${live ? "NULL" : "now()"}, $4, ${live ? "now() + interval '1 hour'" : "NULL"}) RETURNING id`,
    [companyId, agentId, status, live ? t.current.services.engine.resources.instanceId : null],
  );
  return row!.id;
}

const jwtFor = (agent: { id: string; companyId: string }, runId: string) =>
  signAgentJwt({ agentId: agent.id, companyId: agent.companyId, adapterType: "process", runId }, TEST_JWT_SECRET, 3600);

async function issueRow(issueId: string) {
  const [row] = await t.current.tdb.db.query<Record<string, any>>(
    `SELECT status, assignee_agent_id, checkout_run_id, execution_run_id, execution_agent_name_key, execution_locked_at
       FROM issues WHERE id = $1`,
    [issueId],
  );
  return row!;
}

/** Puts an issue into a lock state directly (the seed-003 fixtures). */
async function setIssueLocks(issueId: string, f: { status: string; assigneeAgentId: string | null; checkoutRunId: string | null; executionRunId: string | null; nameKey?: string | null }) {
  await t.current.tdb.db.query(
    `UPDATE issues SET status = $2, assignee_agent_id = $3, checkout_run_id = $4, execution_run_id = $5,
            execution_agent_name_key = $6, execution_locked_at = CASE WHEN $5::uuid IS NULL THEN NULL ELSE now() END
      WHERE id = $1`,
    [issueId, f.status, f.assigneeAgentId, f.checkoutRunId, f.executionRunId, f.executionRunId ? (f.nameKey ?? "someone") : null],
  );
}

describe("cancellation", () => {
  it("cancels a running run: stop metadata, process group gone within graceSec + 3 s, activity, wake cancelled; repeat is a no-op", async () => {
    const company = await createCompany(t.current);
    // Ignores SIGTERM (and so does its sleep): only the SIGKILL after graceSec ends it.
    const graceSec = 1;
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "trap '' TERM; sleep 30"], graceSec } });
    const queued = await wake(t.current, agent.id);
    const running = await waitRunning(queued.id);
    const pgid = running.processGroupId as number;

    const res = await t.current.post(`/api/heartbeat-runs/${queued.id}/cancel`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: queued.id, status: "cancelled", errorCode: "cancelled" });
    expect(res.body.resultJson).toMatchObject({ stopReason: "cancelled", effectiveTimeoutSec: 0, timeoutConfigured: false, timeoutFired: false });
    expect(res.body.finishedAt).toBeTruthy();

    await waitFor("process group gone", async () => processGroupGone(pgid), (graceSec + 3) * 1000);

    // The adapter's own ending does not overwrite the cancel.
    await waitFor("agent settled", async () => {
      const a = await t.current.get(`/api/agents/${agent.id}`);
      return a.body.status === "idle";
    });
    const after = await getRun(queued.id);
    expect(after).toMatchObject({ status: "cancelled", errorCode: "cancelled", finishedAt: res.body.finishedAt });
    expect(after.resultJson).toMatchObject({ stopReason: "cancelled", effectiveTimeoutSec: 0, timeoutConfigured: false, timeoutFired: false });
    expect(await wakeStatus(queued.wakeupRequestId)).toBe("cancelled");

    const activity = await t.current.tdb.db.query<{ actorType: string; details: any }>(
      "SELECT actor_type, details FROM activity_log WHERE action = 'heartbeat.cancelled' AND entity_type = 'heartbeat_run' AND entity_id = $1",
      [queued.id],
    );
    expect(activity).toHaveLength(1);
    expect(activity[0]).toMatchObject({ actorType: "user", details: { agentId: agent.id, previousStatus: "running" } });
    const events = await t.current.get(`/api/heartbeat-runs/${queued.id}/events`);
    expect(events.body.map((e: any) => e.message)).toContain("run cancelled");

    // Cancelling again changes nothing.
    const again = await t.current.post(`/api/heartbeat-runs/${queued.id}/cancel`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: "cancelled", errorCode: "cancelled", finishedAt: res.body.finishedAt, error: after.error });
    const activityAgain = await t.current.tdb.db.query(
      "SELECT id FROM activity_log WHERE action = 'heartbeat.cancelled' AND entity_id = $1",
      [queued.id],
    );
    expect(activityAgain).toHaveLength(1);

    expect((await t.current.post(`/api/heartbeat-runs/${UNKNOWN_UUID}/cancel`)).status).toBe(404);
  });

  it("cancels a queued run (never started); agent keys may not cancel", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: SLEEPER, runtimeConfig: { heartbeat: { maxConcurrentRuns: 1 } } });
    const key = await createAgentKey(t.current, agent.id);
    const first = await wake(t.current, agent.id, { reason: "long" });
    await waitRunning(first.id);
    // A different task key: a second run, held in the queue by maxConcurrentRuns 1.
    const second = await wake(t.current, agent.id, { reason: "long", payload: { taskKey: "second" } });
    expect(second.id).not.toBe(first.id);
    expect(second.status).toBe("queued");

    const denied = await t.current.post(`/api/heartbeat-runs/${second.id}/cancel`, undefined, { token: key.token });
    expect(denied.status).toBe(403);
    expect((await getRun(second.id)).status).toBe("queued");

    const res = await t.current.post(`/api/heartbeat-runs/${second.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "cancelled", errorCode: "cancelled", startedAt: null, processPid: null });
    expect(res.body.resultJson).toMatchObject({ stopReason: "cancelled", effectiveTimeoutSec: 0, timeoutConfigured: false, timeoutFired: false });
    expect(await wakeStatus(second.wakeupRequestId)).toBe("cancelled");
    const noLog = await t.current.get(`/api/heartbeat-runs/${second.id}/log`);
    expect(noLog.status).toBe(404);
    expect(noLog.body.error).toBe("Run log not found");

    const cleanup = await t.current.post(`/api/heartbeat-runs/${first.id}/cancel`);
    expect(cleanup.body.status).toBe("cancelled");
    // The cancelled queued run never starts.
    await waitFor("agent idle", async () => (await t.current.get(`/api/agents/${agent.id}`)).body.status === "idle");
    expect((await getRun(second.id)).startedAt).toBeNull();
  });

  it("cancelling an issue run releases its lock and promotes the comment wake deferred behind it", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: SLEEPER });
    const issue = await createIssue(t.current, company.id, { status: "todo", assigneeAgentId: agent.id });
    const [first] = await waitFor("assignment run", async () => {
      const res = await t.current.get(`/api/issues/${issue.id}/runs`);
      return res.body.length > 0 ? (res.body as any[]) : null;
    });
    const runId = first.runId as string;
    await waitRunning(runId);
    // The harness checked the issue out for the run.
    await waitFor("checkout by the run", async () => (await issueRow(issue.id)).checkoutRunId === runId);
    expect(await issueRow(issue.id)).toMatchObject({ status: "in_progress", executionRunId: runId });

    const comment = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "One more thing" });
    expect(comment.status).toBe(201);
    const [deferred] = await t.current.tdb.db.query<{ id: string; status: string }>(
      "SELECT id, status FROM agent_wakeup_requests WHERE issue_id = $1 AND status = 'deferred_issue_execution'",
      [issue.id],
    );
    expect(deferred).toBeTruthy();

    const res = await t.current.post(`/api/heartbeat-runs/${runId}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("cancelled");
    const row = await issueRow(issue.id);
    expect(row.checkoutRunId).not.toBe(runId);
    expect(row.executionRunId).not.toBe(runId);

    const [promoted] = await t.current.tdb.db.query<{ status: string; reason: string; runId: string }>(
      "SELECT status, reason, run_id FROM agent_wakeup_requests WHERE id = $1",
      [deferred!.id],
    );
    expect(promoted).toMatchObject({ reason: "issue_execution_promoted" });
    expect(promoted!.runId).toBeTruthy();
    const next = await waitRunDone(promoted!.runId);
    expect(next.status, JSON.stringify(next)).toBe("succeeded");
    expect(next.contextSnapshot).toMatchObject({ issueId: issue.id, wakeReason: "issue_commented", wakeCommentId: comment.body.id });
    await waitFor("locks released", async () => {
      const r = await issueRow(issue.id);
      return r.checkoutRunId === null && r.executionRunId === null;
    });
  });

  it("pausing an agent cancels its running run (process gone) and its queued runs; resume then wake works", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: SLEEPER, runtimeConfig: { heartbeat: { maxConcurrentRuns: 1 } } });
    const running = await wake(t.current, agent.id, { reason: "long" });
    const pgid = (await waitRunning(running.id)).processGroupId as number;
    const queued = await wake(t.current, agent.id, { reason: "long", payload: { taskKey: "queued-one" } });
    expect(queued.status).toBe("queued");

    const paused = await t.current.post(`/api/agents/${agent.id}/pause`);
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    expect(paused.body.status).toBe("paused");

    const r1 = await getRun(running.id);
    expect(r1).toMatchObject({ status: "cancelled", errorCode: "cancelled" });
    expect(r1.resultJson).toMatchObject({ stopReason: "paused", timeoutFired: false });
    const r2 = await getRun(queued.id);
    expect(r2).toMatchObject({ status: "cancelled", errorCode: "cancelled", startedAt: null });
    expect(await wakeStatus(running.wakeupRequestId)).toBe("cancelled");
    expect(await wakeStatus(queued.wakeupRequestId)).toBe("cancelled");
    await waitFor("process group gone", async () => processGroupGone(pgid), 5_000);

    const activity = await t.current.tdb.db.query<{ entityId: string }>(
      "SELECT entity_id FROM activity_log WHERE action = 'heartbeat.cancelled' AND entity_id = ANY($1::text[])",
      [[running.id, queued.id]],
    );
    expect(activity.map((a) => a.entityId).sort()).toEqual([running.id, queued.id].sort());

    // Still paused once the adapter has wound down; a paused agent cannot be woken.
    await waitFor("run log recorded", async () => (await getRun(running.id)).logBytes !== null);
    expect((await t.current.get(`/api/agents/${agent.id}`)).body.status).toBe("paused");
    const refused = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand" });
    expect(refused.status).toBe(409);

    const resumed = await t.current.post(`/api/agents/${agent.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe("idle");
    const next = await waitRunDone((await wake(t.current, agent.id, { reason: "short" })).id);
    expect(next.status, JSON.stringify(next)).toBe("succeeded");
    expect(next.stdoutExcerpt).toContain("quick-run");
  });

  it("terminating an agent cancels its running and queued runs and stops the process", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: SLEEPER, runtimeConfig: { heartbeat: { maxConcurrentRuns: 1 } } });
    const running = await wake(t.current, agent.id, { reason: "long" });
    const pgid = (await waitRunning(running.id)).processGroupId as number;
    const queued = await wake(t.current, agent.id, { reason: "long", payload: { taskKey: "queued-two" } });

    const res = await t.current.post(`/api/agents/${agent.id}/terminate`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("terminated");
    expect(await getRun(running.id)).toMatchObject({ status: "cancelled", errorCode: "cancelled" });
    expect(await getRun(queued.id)).toMatchObject({ status: "cancelled", errorCode: "cancelled" });
    await waitFor("process group gone", async () => processGroupGone(pgid), 5_000);
    await waitFor("run log recorded", async () => (await getRun(running.id)).logBytes !== null);
    expect((await t.current.get(`/api/agents/${agent.id}`)).body.status).toBe("terminated");
    expect((await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand" })).status).toBe(409);
  });
});

describe("checkout and execution locks", () => {
  it("agents need a run id; the owning run checks out (idempotently); others get 403/409", async () => {
    const company = await createCompany(t.current);
    const a = await createAgent(t.current, company.id);
    const b = await createAgent(t.current, company.id);
    const keyA = await createAgentKey(t.current, a.id);
    const issue = await createIssue(t.current, company.id, { status: "todo" });
    const body = { agentId: a.id, expectedStatuses: ["todo"] };

    const noRun = await t.current.post(`/api/issues/${issue.id}/checkout`, body, { token: keyA.token });
    expect(noRun.status).toBe(401);
    expect(noRun.body.error).toBe("Agent run id required");

    const runA = await insertRun(company.id, a.id, "running");
    const tokenA = jwtFor(a, runA);
    const mismatch = await t.current.post(`/api/issues/${issue.id}/checkout`, body, { token: tokenA, runId: UNKNOWN_UUID });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.code).toBe("agent_jwt_run_id_mismatch");

    const ok = await t.current.post(`/api/issues/${issue.id}/checkout`, body, { token: tokenA, runId: runA });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ id: issue.id, status: "in_progress", assigneeAgentId: a.id, checkoutRunId: runA, executionRunId: runA });
    expect(ok.body.startedAt).toBeTruthy();

    const again = await t.current.post(`/api/issues/${issue.id}/checkout`, { agentId: a.id, expectedStatuses: ["todo", "in_progress"] }, { token: tokenA });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ status: "in_progress", assigneeAgentId: a.id, checkoutRunId: runA, executionRunId: runA });

    const runB = await insertRun(company.id, b.id, "running");
    const tokenB = jwtFor(b, runB);
    const asOther = await t.current.post(`/api/issues/${issue.id}/checkout`, body, { token: tokenB });
    expect(asOther.status).toBe(403);
    const selfB = await t.current.post(`/api/issues/${issue.id}/checkout`, { agentId: b.id, expectedStatuses: ["todo", "in_progress"] }, { token: tokenB });
    expect(selfB.status).toBe(409);
    expect(selfB.body.error).toBe("Issue checkout conflict");

    const board = await t.current.post(`/api/issues/${issue.id}/checkout`, { agentId: b.id, expectedStatuses: ["todo", "in_progress"] });
    expect(board.status).toBe(409);
    expect(board.body).toMatchObject({
      error: "Issue checkout conflict",
      details: { issueId: issue.id, status: "in_progress", assigneeAgentId: a.id, checkoutRunId: runA, executionRunId: runA },
    });
    expect(await issueRow(issue.id)).toMatchObject({ assigneeAgentId: a.id, checkoutRunId: runA, executionRunId: runA });

    const checkedOut = await t.current.tdb.db.query<{ runId: string; actorType: string }>(
      "SELECT run_id, actor_type FROM activity_log WHERE action = 'issue.checked_out' AND entity_id = $1",
      [issue.id],
    );
    expect(checkedOut.length).toBeGreaterThanOrEqual(1);
    expect(checkedOut[0]).toEqual({ runId: runA, actorType: "agent" });
  });

  it("checkout of an issue with open blockers -> 422", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const blocker = await createIssue(t.current, company.id, { status: "todo" });
    const issue = await createIssue(t.current, company.id, { status: "todo", blockedByIssueIds: [blocker.id] });
    const res = await t.current.post(`/api/issues/${issue.id}/checkout`, { agentId: agent.id, expectedStatuses: ["todo"] });
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual({ blockedByIssueIds: [blocker.id] });
    expect(await issueRow(issue.id)).toMatchObject({ status: "todo", assigneeAgentId: null, checkoutRunId: null });
  });

  it("the assignee's live run adopts a checkout left by a finished run (issue.checkout_lock_adopted)", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const failedRun = await insertRun(company.id, agent.id, "failed");
    const liveRun = await insertRun(company.id, agent.id, "running");
    const issue = await createIssue(t.current, company.id, { status: "todo" });
    await setIssueLocks(issue.id, { status: "in_progress", assigneeAgentId: agent.id, checkoutRunId: failedRun, executionRunId: failedRun });

    const res = await t.current.post(`/api/issues/${issue.id}/checkout`, { agentId: agent.id, expectedStatuses: ["todo"] }, { token: jwtFor(agent, liveRun) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: "in_progress", assigneeAgentId: agent.id, checkoutRunId: liveRun, executionRunId: liveRun });
    const adopted = await t.current.tdb.db.query<{ details: any }>(
      "SELECT details FROM activity_log WHERE action = 'issue.checkout_lock_adopted' AND entity_id = $1",
      [issue.id],
    );
    expect(adopted).toHaveLength(1);
    expect(adopted[0]!.details).toMatchObject({ previousCheckoutRunId: failedRun, runId: liveRun });
  });

  it("20 agents racing for one todo issue: exactly one wins, 19 get 409, none 5xx", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id, { status: "todo" });
    const contenders: { agentId: string; runId: string; token: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const agent = await createAgent(t.current, company.id);
      const runId = await insertRun(company.id, agent.id, "running");
      contenders.push({ agentId: agent.id, runId, token: jwtFor(agent, runId) });
    }
    const results = await Promise.all(
      contenders.map(async (c) => {
        const res = await fetch(`${t.current.url}/api/issues/${issue.id}/checkout`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${c.token}`, "x-paperclip-run-id": c.runId },
          body: JSON.stringify({ agentId: c.agentId, expectedStatuses: ["todo"] }),
        });
        return { ...c, status: res.status, body: (await res.json()) as any };
      }),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const winner = results.find((r) => r.status === 200)!;
    for (const loser of results.filter((r) => r.status === 409)) expect(loser.body.error).toBe("Issue checkout conflict");
    expect(await issueRow(issue.id)).toMatchObject({
      status: "in_progress",
      assigneeAgentId: winner.agentId,
      checkoutRunId: winner.runId,
      executionRunId: winner.runId,
    });
  });

  it("stale lock #1: the assignee's live run PATCHes past a terminal stale executionRunId and adopts the lock", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const failedRun = await insertRun(company.id, agent.id, "failed");
    const currentRun = await insertRun(company.id, agent.id, "running");
    const issue = await createIssue(t.current, company.id, { status: "todo" });
    await setIssueLocks(issue.id, { status: "in_progress", assigneeAgentId: agent.id, checkoutRunId: null, executionRunId: failedRun });

    const res = await t.current.patch(`/api/issues/${issue.id}`, { title: "Recovered execution lock" }, { token: jwtFor(agent, currentRun) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.title).toBe("Recovered execution lock");
    const row = await issueRow(issue.id);
    expect(row).toMatchObject({ status: "in_progress", assigneeAgentId: agent.id, checkoutRunId: currentRun, executionRunId: currentRun });
    expect(row.executionLockedAt).toBeTruthy();
  });

  it("stale lock #2: the rightful assignee releases after its owning run failed; a live holder blocks release", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const failedRun = await insertRun(company.id, agent.id, "failed");
    const currentRun = await insertRun(company.id, agent.id, "running");
    const issue = await createIssue(t.current, company.id, { status: "todo" });
    await setIssueLocks(issue.id, { status: "in_progress", assigneeAgentId: agent.id, checkoutRunId: failedRun, executionRunId: failedRun });

    const res = await t.current.post(`/api/issues/${issue.id}/release`, undefined, { token: jwtFor(agent, currentRun) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await issueRow(issue.id)).toEqual({
      status: "todo",
      assigneeAgentId: null,
      checkoutRunId: null,
      executionRunId: null,
      executionAgentNameKey: null,
      executionLockedAt: null,
    });

    // Not the assignee: refused.
    const stranger = await createAgent(t.current, company.id);
    const strangerRun = await insertRun(company.id, stranger.id, "running");
    const third = await createIssue(t.current, company.id, { status: "todo" });
    await setIssueLocks(third.id, { status: "in_progress", assigneeAgentId: agent.id, checkoutRunId: failedRun, executionRunId: null });
    const notMine = await t.current.post(`/api/issues/${third.id}/release`, undefined, { token: jwtFor(stranger, strangerRun) });
    expect(notMine.status).toBe(409);
    expect(await issueRow(third.id)).toMatchObject({ status: "in_progress", assigneeAgentId: agent.id });

    // Another live run of the agent holds the checkout: release from a different run is refused.
    const holder = await insertRun(company.id, agent.id, "running");
    const other = await createIssue(t.current, company.id, { status: "todo" });
    await setIssueLocks(other.id, { status: "in_progress", assigneeAgentId: agent.id, checkoutRunId: holder, executionRunId: holder });
    const refused = await t.current.post(`/api/issues/${other.id}/release`, undefined, { token: jwtFor(agent, currentRun) });
    expect(refused.status).toBe(409);
    expect(await issueRow(other.id)).toMatchObject({ status: "in_progress", assigneeAgentId: agent.id, checkoutRunId: holder, executionRunId: holder });
    // The holder itself may release.
    const byHolder = await t.current.post(`/api/issues/${other.id}/release`, undefined, { token: jwtFor(agent, holder) });
    expect(byHolder.status).toBe(200);
    expect(await issueRow(other.id)).toMatchObject({ status: "todo", assigneeAgentId: null, checkoutRunId: null, executionRunId: null });
  });

  it("stale lock #3: admin force-release is board-only, returns the previous locks and is audited", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const failedRun = await insertRun(company.id, agent.id, "failed");
    const currentRun = await insertRun(company.id, agent.id, "running");
    const issue = await createIssue(t.current, company.id, { status: "todo" });
    await setIssueLocks(issue.id, { status: "in_progress", assigneeAgentId: agent.id, checkoutRunId: currentRun, executionRunId: failedRun });

    const asAgent = await t.current.post(`/api/issues/${issue.id}/admin/force-release`, undefined, { token: jwtFor(agent, currentRun) });
    expect(asAgent.status).toBe(403);
    expect(await issueRow(issue.id)).toMatchObject({ checkoutRunId: currentRun, executionRunId: failedRun });

    const kept = await t.current.post(`/api/issues/${issue.id}/admin/force-release`);
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    expect(kept.body.issue).toMatchObject({ id: issue.id, assigneeAgentId: agent.id, checkoutRunId: null, executionRunId: null, executionLockedAt: null });
    expect(kept.body.previous).toEqual({ checkoutRunId: currentRun, executionRunId: failedRun });
    expect(await issueRow(issue.id)).toMatchObject({ assigneeAgentId: agent.id, checkoutRunId: null, executionRunId: null, executionAgentNameKey: null, executionLockedAt: null });

    await setIssueLocks(issue.id, { status: "in_progress", assigneeAgentId: agent.id, checkoutRunId: currentRun, executionRunId: failedRun });
    const cleared = await t.current.post(`/api/issues/${issue.id}/admin/force-release?clearAssignee=true`);
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    expect(cleared.body.issue).toMatchObject({ id: issue.id, assigneeAgentId: null, checkoutRunId: null, executionRunId: null, executionLockedAt: null });
    expect(cleared.body.previous).toEqual({ checkoutRunId: currentRun, executionRunId: failedRun });

    const audit = await t.current.tdb.db.query<{ actorType: string; actorId: string; details: any }>(
      "SELECT actor_type, actor_id, details FROM activity_log WHERE action = 'issue.admin_force_release' AND entity_id = $1 ORDER BY created_at, id",
      [issue.id],
    );
    expect(audit).toHaveLength(2);
    expect(audit[0]!.details).toEqual({ issueId: issue.id, actorUserId: "local-board", prevCheckoutRunId: currentRun, prevExecutionRunId: failedRun, clearAssignee: false });
    expect(audit[1]).toMatchObject({
      actorType: "user",
      actorId: "local-board",
      details: { issueId: issue.id, actorUserId: "local-board", prevCheckoutRunId: currentRun, prevExecutionRunId: failedRun, clearAssignee: true },
    });

    expect((await t.current.post(`/api/issues/${UNKNOWN_UUID}/admin/force-release`)).status).toBe(404);
  });

  it("an agent commenting from a run that does not own the live checkout -> 409 Issue run ownership conflict", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const owner = await insertRun(company.id, agent.id, "running");
    const intruder = await insertRun(company.id, agent.id, "running");
    const issue = await createIssue(t.current, company.id, { status: "todo" });
    await setIssueLocks(issue.id, { status: "in_progress", assigneeAgentId: agent.id, checkoutRunId: owner, executionRunId: owner });

    const res = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "from the wrong run" }, { token: jwtFor(agent, intruder) });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe("Issue run ownership conflict");
    const comments = await t.current.tdb.db.query("SELECT id FROM issue_comments WHERE issue_id = $1", [issue.id]);
    expect(comments).toEqual([]);

    const fromOwner = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "from the owner" }, { token: jwtFor(agent, owner) });
    expect(fromOwner.status, JSON.stringify(fromOwner.body)).toBe(201);
    expect(fromOwner.body.createdByRunId).toBe(owner);
    expect(await issueRow(issue.id)).toMatchObject({ checkoutRunId: owner, executionRunId: owner });
  });
});

describe("graceful shutdown (process loss)", () => {
  it("stopping the engine fails a running run with server_shutdown, queues exactly one retry and kills the process group", async () => {
    const server = await startTestServer();
    try {
      const company = await createCompany(server);
      const agent = await createAgent(server, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "sleep 30"], graceSec: 1 } });
      const issue = await createIssue(server, company.id, { status: "todo", assigneeAgentId: agent.id });
      const [first] = await waitFor("assignment run", async () => {
        const res = await server.get(`/api/issues/${issue.id}/runs`);
        return res.body.length > 0 ? (res.body as any[]) : null;
      });
      const queued = { id: first.runId as string };
      const running = await waitRunning(queued.id, server);
      await waitFor("issue checked out", async () => {
        const [row] = await server.tdb.db.query<{ checkoutRunId: string | null }>("SELECT checkout_run_id FROM issues WHERE id = $1", [issue.id]);
        return row?.checkoutRunId === queued.id;
      });
      const pgid = running.processGroupId as number;

      await server.services.engine.stop();

      const run = await getRun(queued.id, server);
      expect(run).toMatchObject({ status: "failed", errorCode: "server_shutdown" });
      const retries = await server.tdb.db.query<{ id: string; status: string; retryOfRunId: string; processLossRetryCount: number; contextSnapshot: any }>(
        "SELECT id, status, retry_of_run_id, process_loss_retry_count, context_snapshot FROM heartbeat_runs WHERE agent_id = $1 AND id <> $2",
        [agent.id, queued.id],
      );
      expect(retries).toHaveLength(1);
      expect(retries[0]).toMatchObject({ status: "queued", retryOfRunId: queued.id, processLossRetryCount: 1 });
      expect(retries[0]!.contextSnapshot).toMatchObject({ issueId: issue.id, retryReason: "process_lost", wakeReason: "process_lost_retry" });
      // The issue's execution lock moved to the retry, so nobody else takes the work meanwhile.
      const [locks] = await server.tdb.db.query<{ executionRunId: string | null }>("SELECT execution_run_id FROM issues WHERE id = $1", [issue.id]);
      expect(locks!.executionRunId).toBe(retries[0]!.id);
      await waitFor("process group gone", async () => processGroupGone(pgid), 5_000);
    } finally {
      await server.close();
    }
  });
});

interface SeenEvent {
  type: string;
  companyId?: string;
  payload?: Record<string, any>;
}

describe("live events", () => {
  /** Reads an SSE response into `sink` until aborted. */
  async function pumpSse(res: Response, sink: SeenEvent[]) {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: ?(.*)$/m.exec(block)?.[1];
          const data = block
            .split("\n")
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.replace(/^data: ?/, ""))
            .join("\n");
          if (!event) continue;
          sink.push({ type: event, ...(data ? JSON.parse(data) : {}) });
        }
      }
    } catch {
      /* aborted */
    }
  }

  function hasRunLifecycle(events: SeenEvent[], runId: string, finalStatus: string) {
    const forRun = (type: string, status?: string) =>
      events.some((e) => e.type === type && e.payload?.runId === runId && (status === undefined || e.payload?.status === status));
    return forRun("heartbeat.run.queued") && forRun("heartbeat.run.status", "running") && forRun("heartbeat.run.status", finalStatus) && events.some((e) => e.type === "activity.logged");
  }

  it("SSE and WebSocket clients receive heartbeat.run.* and activity.logged events of the company", async () => {
    const company = await createCompany(t.current);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-live-"));
    // Echoes its run token: the live log feed must carry it redacted.
    const script = `require("fs").writeFileSync(process.env.OUT_DIR + "/token.txt", process.env.PAPERCLIP_API_KEY); console.log("live token=" + process.env.PAPERCLIP_API_KEY);`;
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: process.execPath, args: ["-e", script], env: { OUT_DIR: dir } } });

    const sseEvents: SeenEvent[] = [];
    const abort = new AbortController();
    const sse = await fetch(`${t.current.url}/api/companies/${company.id}/events`, { signal: abort.signal, headers: { accept: "text/event-stream", authorization: `Bearer ${t.current.boardToken}` } });
    expect(sse.status).toBe(200);
    expect(sse.headers.get("content-type")).toContain("text/event-stream");
    const pumping = pumpSse(sse, sseEvents);

    const wsEvents: SeenEvent[] = [];
    const ws = new WebSocket(`${t.current.url.replace(/^http/, "ws")}/api/companies/${company.id}/events/ws`, { headers: { authorization: `Bearer ${t.current.boardToken}` } });
    ws.on("message", (data) => wsEvents.push(JSON.parse(String(data))));
    try {
      await waitFor("ws open", async () => ws.readyState === WebSocket.OPEN);
      await waitFor("both streams ready", async () => sseEvents.some((e) => e.type === "ready") && wsEvents.some((e) => e.type === "ready"));

      const queued = await wake(t.current, agent.id);
      await waitFor("SSE lifecycle events", async () => hasRunLifecycle(sseEvents, queued.id, "succeeded"), 15_000);
      await waitFor("WebSocket lifecycle events", async () => hasRunLifecycle(wsEvents, queued.id, "succeeded"), 15_000);
      for (const list of [sseEvents, wsEvents]) {
        for (const e of list.filter((x) => x.type !== "ready")) expect(e.companyId).toBe(company.id);
        const activity = list.filter((e) => e.type === "activity.logged");
        expect(activity.some((e) => e.payload?.action === "heartbeat.invoked" && e.payload?.entityId === agent.id)).toBe(true);
      }
      const token = fs.readFileSync(path.join(dir, "token.txt"), "utf8");
      expect(token.length).toBeGreaterThan(20);
      await waitFor("live log chunk", async () =>
        sseEvents.some((e) => e.type === "heartbeat.run.log" && e.payload?.runId === queued.id && String(e.payload?.chunk).includes("live token=[REDACTED]")),
      );
      expect(JSON.stringify(sseEvents)).not.toContain(token);
      expect(JSON.stringify(wsEvents)).not.toContain(token);
    } finally {
      ws.close();
      abort.abort();
      await pumping;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("another company's agent is refused (403) on SSE and WebSocket; a bad token is 401", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const outsider = await createAgent(t.current, other.id);
    const key = await createAgentKey(t.current, outsider.id);

    const sse = await fetch(`${t.current.url}/api/companies/${company.id}/events`, { headers: { authorization: `Bearer ${key.token}` } });
    expect(sse.status).toBe(403);
    await sse.body?.cancel();
    const bad = await fetch(`${t.current.url}/api/companies/${company.id}/events`, { headers: { authorization: "Bearer pcp_nope" } });
    expect(bad.status).toBe(401);
    await bad.body?.cancel();

    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${t.current.url.replace(/^http/, "ws")}/api/companies/${company.id}/events/ws`, { headers: { authorization: `Bearer ${key.token}` } });
      const timer = setTimeout(() => reject(new Error("no answer to the upgrade")), 10_000);
      ws.on("unexpected-response", (_req, res) => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on("open", () => {
        clearTimeout(timer);
        ws.close();
        resolve(101);
      });
      ws.on("error", () => undefined);
    });
    expect(status).toBe(403);

    // Its own company's stream is fine for the agent.
    const own = new AbortController();
    const mine = await fetch(`${t.current.url}/api/companies/${other.id}/events`, { headers: { authorization: `Bearer ${key.token}` }, signal: own.signal });
    expect(mine.status).toBe(200);
    own.abort();
    await mine.body?.cancel().catch(() => undefined);
  });
});

