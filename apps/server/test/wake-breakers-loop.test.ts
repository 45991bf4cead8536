import { describe, expect, it } from "vitest";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import { useTestServer, waitFor } from "./helpers/test-server.js";

/**
 * Loop breaker (docs/runs.md#loop-breaker): settings per company with 4xx validation, and a
 * self-waking script agent (each run comments on its own issue and wakes itself with that comment)
 * stopped after N wakes, with an incident, an activity row and a notice on the issue.
 */
const t = useTestServer();

/** Each run: comment on the issue, then wake itself for that comment (a follow-up, so it is not folded into the running run). */
const selfWaking = {
  adapterConfig: {
    command: process.execPath,
    args: [
      "-e",
      `const e = process.env;
       if (!e.PAPERCLIP_TASK_ID) process.exit(0);
       const h = { "content-type": "application/json", authorization: "Bearer " + e.PAPERCLIP_API_KEY, "x-paperclip-run-id": e.PAPERCLIP_RUN_ID };
       (async () => {
         const c = await fetch(e.PAPERCLIP_API_URL + "/api/issues/" + e.PAPERCLIP_TASK_ID + "/comments", { method: "POST", headers: h, body: JSON.stringify({ body: "Still checking, will look again." }) });
         const comment = await c.json();
         await fetch(e.PAPERCLIP_API_URL + "/api/agents/" + e.PAPERCLIP_AGENT_ID + "/wakeup", { method: "POST", headers: h,
           body: JSON.stringify({ source: "on_demand", reason: "self_follow_up", payload: { issueId: e.PAPERCLIP_TASK_ID, commentId: comment.id } }) });
       })().then(() => process.exit(0), () => process.exit(1));`,
    ],
    timeoutSec: 30,
    graceSec: 1,
  },
};

const startedRuns = (agentId: string, issueId: string) =>
  t.current.tdb.db.query<{ id: string }>(
    "SELECT id FROM heartbeat_runs WHERE agent_id = $1 AND issue_id = $2 AND started_at IS NOT NULL ORDER BY started_at",
    [agentId, issueId],
  );
const liveRuns = async (agentId: string) =>
  (
    await t.current.tdb.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM heartbeat_runs WHERE agent_id = $1 AND status IN ('queued', 'running')",
      [agentId],
    )
  )[0]!.n;

describe("loop breaker settings", () => {
  it("defaults are conservative; the board changes them; bad values are 400 naming the field; agents cannot", async () => {
    const company = await createCompany(t.current);
    const path = `/api/companies/${company.id}/wake-breakers`;
    const defaults = await t.current.get(path);
    expect(defaults.status).toBe(200);
    expect(defaults.body).toEqual({ loopBreaker: { enabled: true, maxWakes: 10, windowMinutes: 60 }, quotaBreaker: { enabled: true } });

    const patched = await t.current.patch(path, { loopBreaker: { maxWakes: 4 } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.loopBreaker).toEqual({ enabled: true, maxWakes: 4, windowMinutes: 60 });
    expect((await t.current.get(path)).body.loopBreaker.maxWakes).toBe(4);

    for (const bad of [
      { loopBreaker: { maxWakes: 1 } },
      { loopBreaker: { windowMinutes: 0 } },
      { loopBreaker: { maxWakes: "ten" } },
      { loopBreaker: { limit: 3 } },
    ]) {
      const res = await t.current.patch(path, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error, JSON.stringify(res.body)).toBeTruthy();
      expect(JSON.stringify(res.body)).toMatch(/maxWakes|windowMinutes|limit/);
    }
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    expect((await t.current.patch(path, { loopBreaker: { maxWakes: 50 } }, { token: key.token })).status).toBe(403);
    expect((await t.current.get(path)).body.loopBreaker.maxWakes).toBe(4);
  });
});

describe("a self-waking agent", () => {
  it("is stopped after N wakes on its issue without progress; a comment from someone else resumes it", async () => {
    const company = await createCompany(t.current);
    const N = 3;
    expect((await t.current.patch(`/api/companies/${company.id}/wake-breakers`, { loopBreaker: { maxWakes: N } })).status).toBe(200);
    const agent = await createAgent(t.current, company.id, selfWaking);
    const issue = await createIssue(t.current, company.id, { status: "todo", assigneeAgentId: agent.id });

    const incident = await waitFor(
      "a loop incident",
      async () => {
        const res = await t.current.get(`/api/companies/${company.id}/loop-incidents?open=true`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        return res.body.find((i: { issueId: string }) => i.issueId === issue.id) ?? null;
      },
      60_000,
    );
    expect(incident).toMatchObject({ agentId: agent.id, wakeCount: N, maxWakes: N, windowMinutes: 60, clearedAt: null });
    await waitFor("no live runs", async () => (await liveRuns(agent.id)) === 0, 30_000);
    expect(await startedRuns(agent.id, issue.id)).toHaveLength(N);
    // And it stays stopped: no run starts while nothing changes.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await startedRuns(agent.id, issue.id)).toHaveLength(N);

    // The board sees why: a notice in the thread, an activity row, the agent's wake report.
    const comments = await t.current.tdb.db.query<{ body: string }>(
      "SELECT body FROM issue_comments WHERE issue_id = $1 AND author_type = 'system'",
      [issue.id],
    );
    expect(comments.some((c) => c.body.startsWith("Loop breaker:") && c.body.includes(`${N} times`))).toBe(true);
    const [activity] = await t.current.tdb.db.query<{ details: Record<string, unknown> }>(
      "SELECT details FROM activity_log WHERE action = 'agent.loop_breaker_tripped' AND entity_id = $1",
      [issue.id],
    );
    expect(activity!.details).toMatchObject({ wakeCount: N, maxWakes: N, incidentId: incident.id });
    const report = await t.current.get(`/api/agents/${agent.id}/wake-report`);
    expect(report.body.loopIncidents.map((i: { id: string }) => i.id)).toEqual([incident.id]);

    // Another wake for the issue is skipped with the breaker's reason (no run).
    const wake = await t.current.post(`/api/agents/${agent.id}/wakeup`, {
      source: "on_demand",
      reason: "poke",
      payload: { issueId: issue.id },
    });
    expect(wake.body).toMatchObject({ status: "skipped", reason: "loop_breaker.tripped" });

    // Progress from someone else (a board comment) clears the incident and the agent works again.
    expect((await t.current.post(`/api/issues/${issue.id}/comments`, { body: "Here is the missing input." })).status).toBe(201);
    await waitFor("a new run after the human comment", async () => (await startedRuns(agent.id, issue.id)).length > N, 30_000);
    const [cleared] = await t.current.tdb.db.query<{ clearedReason: string | null }>(
      "SELECT cleared_reason FROM wake_loop_incidents WHERE id = $1",
      [incident.id],
    );
    expect(cleared!.clearedReason).toBe("progress");
    expect((await t.current.post(`/api/agents/${agent.id}/pause`)).status).toBe(200);
  });
});
