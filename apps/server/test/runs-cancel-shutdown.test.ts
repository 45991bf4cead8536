import { describe, expect, it } from "vitest";
import { startTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import { SLEEPER, UNKNOWN_UUID, useRunControlServer, wake } from "./helpers/run-control-kit.js";
import { processGroupGone } from "../../../test-support/procs.js";

/** Stopping runs: cancellation of running and queued runs, pause and terminate, and a graceful server shutdown (process loss). */

const { t, getRun, waitRunDone, waitRunning, wakeStatus, issueRow } = useRunControlServer();

describe("cancellation", () => {
  it("cancels a running run: stop metadata, process group gone within graceSec + 3 s, activity, wake cancelled; repeat is a no-op", async () => {
    const company = await createCompany(t.current);
    // Ignores SIGTERM (and so does its sleep): only the SIGKILL after graceSec ends it.
    const graceSec = 1;
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: { command: "/bin/sh", args: ["-c", "trap '' TERM; sleep 30"], graceSec },
    });
    const queued = await wake(t.current, agent.id);
    const running = await waitRunning(queued.id);
    const pgid = running.processGroupId as number;

    const res = await t.current.post(`/api/heartbeat-runs/${queued.id}/cancel`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: queued.id, status: "cancelled", errorCode: "cancelled" });
    expect(res.body.resultJson).toMatchObject({
      stopReason: "cancelled",
      effectiveTimeoutSec: 0,
      timeoutConfigured: false,
      timeoutFired: false,
    });
    expect(res.body.finishedAt).toBeTruthy();

    await waitFor("process group gone", async () => processGroupGone(pgid), (graceSec + 3) * 1000);

    // The adapter's own ending does not overwrite the cancel.
    await waitFor("agent settled", async () => {
      const a = await t.current.get(`/api/agents/${agent.id}`);
      return a.body.status === "idle";
    });
    const after = await getRun(queued.id);
    expect(after).toMatchObject({ status: "cancelled", errorCode: "cancelled", finishedAt: res.body.finishedAt });
    expect(after.resultJson).toMatchObject({
      stopReason: "cancelled",
      effectiveTimeoutSec: 0,
      timeoutConfigured: false,
      timeoutFired: false,
    });
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
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: SLEEPER,
      runtimeConfig: { heartbeat: { maxConcurrentRuns: 1 } },
    });
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
    expect(res.body.resultJson).toMatchObject({
      stopReason: "cancelled",
      effectiveTimeoutSec: 0,
      timeoutConfigured: false,
      timeoutFired: false,
    });
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
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: SLEEPER,
      runtimeConfig: { heartbeat: { maxConcurrentRuns: 1 } },
    });
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
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: SLEEPER,
      runtimeConfig: { heartbeat: { maxConcurrentRuns: 1 } },
    });
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
        const [row] = await server.tdb.db.query<{ checkoutRunId: string | null }>("SELECT checkout_run_id FROM issues WHERE id = $1", [
          issue.id,
        ]);
        return row?.checkoutRunId === queued.id;
      });
      const pgid = running.processGroupId as number;

      await server.services.engine.stop();

      const run = await getRun(queued.id, server);
      expect(run).toMatchObject({ status: "failed", errorCode: "server_shutdown" });
      const retries = await server.tdb.db.query<{
        id: string;
        status: string;
        retryOfRunId: string;
        processLossRetryCount: number;
        contextSnapshot: any;
      }>(
        "SELECT id, status, retry_of_run_id, process_loss_retry_count, context_snapshot FROM heartbeat_runs WHERE agent_id = $1 AND id <> $2",
        [agent.id, queued.id],
      );
      expect(retries).toHaveLength(1);
      expect(retries[0]).toMatchObject({ status: "queued", retryOfRunId: queued.id, processLossRetryCount: 1 });
      expect(retries[0]!.contextSnapshot).toMatchObject({
        issueId: issue.id,
        retryReason: "process_lost",
        wakeReason: "process_lost_retry",
      });
      // The issue's execution lock moved to the retry, so nobody else takes the work meanwhile.
      const [locks] = await server.tdb.db.query<{ executionRunId: string | null }>("SELECT execution_run_id FROM issues WHERE id = $1", [
        issue.id,
      ]);
      expect(locks!.executionRunId).toBe(retries[0]!.id);
      await waitFor("process group gone", async () => processGroupGone(pgid), 5_000);
    } finally {
      await server.close();
    }
  });
});
