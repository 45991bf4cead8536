import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { processAdapter } from "@staple/adapter-process";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { groupMembers, isAlive, processGroupGone } from "../../../test-support/procs.js";
import { groupBelongsToRun, stopLeftoverRunProcesses } from "../src/runs/recovery/detached-process.js";

/**
 * A detached run (docs/runs.md#cancellation): its agent process outlived the server that started it,
 * so no server holds a handle. Cancelling it — directly, by pausing its agent, or by cancelling its
 * issue — stops its process group, after checking the group still carries the run's id (a recycled
 * pid is never signalled). Here the "agent" is a process group started by the test with the run's
 * environment marker, and the run row is what the reaper leaves for a detached run.
 */

const t = useTestServer({ runtime: { adapters: { process: processAdapter } } });

const groups: number[] = [];
afterEach(() => {
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});

/** A process group of two sleeping processes whose environment names `markerRunId`. */
async function startAgentGroup(markerRunId: string): Promise<number> {
  const child = spawn("/bin/sh", ["-c", "sleep 60 & sleep 60; wait"], {
    detached: true,
    stdio: "ignore",
    env: { ...process.env, PAPERCLIP_RUN_ID: markerRunId },
  });
  child.unref();
  const pgid = child.pid!;
  groups.push(pgid);
  await waitFor("both group members", async () => groupMembers(pgid).length >= 2);
  return pgid;
}

/** A running run whose server is gone: no lease owner, marked process_detached, its group recorded. */
async function detachedRun(opts: { markerMatches?: boolean; withIssue?: boolean } = {}) {
  const company = await createCompany(t.current);
  const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/true" } });
  const issue = opts.withIssue ? await createIssue(t.current, company.id, { title: "detached work", assigneeAgentId: agent.id }) : null;
  const runId = randomUUID();
  const pgid = await startAgentGroup(opts.markerMatches === false ? randomUUID() : runId);
  await t.current.tdb.db.query(
    `INSERT INTO heartbeat_runs (id, company_id, agent_id, issue_id, status, started_at, process_pid, process_group_id, process_started_at,
                                 lease_owner, lease_expires_at, error_code)
     VALUES ($1, $2, $3, $4, 'running', now(), $5, $5, now(), NULL, now() + interval '1 hour', 'process_detached')`,
    [runId, company.id, agent.id, issue?.id ?? null, pgid],
  );
  return { runId, pgid, agentId: agent.id as string, issueId: (issue?.id as string | undefined) ?? null };
}

const stopEvent = async (runId: string) => {
  const events = await t.current.get(`/api/heartbeat-runs/${runId}/events`);
  return (events.body as Array<{ message: string | null }>).find((e) => e.message?.startsWith("Stopped detached process group"));
};

describe("cancelling a detached run stops its process group", () => {
  it.each([
    [
      "the run is cancelled",
      async (r: Awaited<ReturnType<typeof detachedRun>>) => t.current.post(`/api/heartbeat-runs/${r.runId}/cancel`, {}),
    ],
    ["its agent is paused", async (r: Awaited<ReturnType<typeof detachedRun>>) => t.current.post(`/api/agents/${r.agentId}/pause`, {})],
    [
      "its issue is cancelled",
      async (r: Awaited<ReturnType<typeof detachedRun>>) => t.current.patch(`/api/issues/${r.issueId}`, { status: "cancelled" }),
    ],
  ])("when %s", async (_label, act) => {
    const run = await detachedRun({ withIssue: true });
    expect(groupBelongsToRun(run.pgid, run.runId)).toBe(true);
    const res = await act(run);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await waitFor("run cancelled", async () => {
      const r = await t.current.get(`/api/heartbeat-runs/${run.runId}`);
      return r.body.status === "cancelled";
    });
    await waitFor("the detached group to be gone", async () => processGroupGone(run.pgid), 5_000);
    expect(await waitFor("stop recorded", () => stopEvent(run.runId))).toBeTruthy();
  });

  it("never signals a group that does not carry the run's id (a recycled pid)", async () => {
    const run = await detachedRun({ markerMatches: false });
    expect(groupBelongsToRun(run.pgid, run.runId)).toBe(false);
    const res = await t.current.post(`/api/heartbeat-runs/${run.runId}/cancel`, {});
    expect(res.body.status).toBe("cancelled");
    await new Promise((r) => setTimeout(r, 1_500));
    expect(isAlive(run.pgid)).toBe(true);
    expect(groupMembers(run.pgid).length).toBeGreaterThanOrEqual(2);
    expect(await stopEvent(run.runId)).toBeUndefined();
  });

  it("at startup, stops the leftover group of a run cancelled while no server here heard it", async () => {
    const run = await detachedRun();
    // Cancelled behind the servers' backs (as if by a server on another machine while this one was down).
    await t.current.tdb.db.query("UPDATE heartbeat_runs SET status = 'cancelled', finished_at = now() WHERE id = $1", [run.runId]);
    const stranger = await detachedRun({ markerMatches: false });
    await t.current.tdb.db.query("UPDATE heartbeat_runs SET status = 'cancelled', finished_at = now() WHERE id = $1", [stranger.runId]);

    const stopped = await stopLeftoverRunProcesses(t.current.tdb.db, { instanceId: "test", graceMs: 500 });
    expect(stopped.map((s) => s.runId)).toEqual([run.runId]);
    await waitFor("the leftover group to be gone", async () => processGroupGone(run.pgid), 5_000);
    expect(isAlive(stranger.pgid)).toBe(true);
  });
});
