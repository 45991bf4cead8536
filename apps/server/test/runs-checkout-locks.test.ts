import { describe, expect, it } from "vitest";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import { jwtFor, UNKNOWN_UUID, useRunControlServer } from "./helpers/run-control-kit.js";

/** Checkout and execution locks: run ownership, blockers, adoption, races, the three stale-lock repairs and comment ownership. */

const { t, insertRun, issueRow, setIssueLocks } = useRunControlServer();

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
    expect(ok.body).toMatchObject({
      id: issue.id,
      status: "in_progress",
      assigneeAgentId: a.id,
      checkoutRunId: runA,
      executionRunId: runA,
    });
    expect(ok.body.startedAt).toBeTruthy();

    const again = await t.current.post(
      `/api/issues/${issue.id}/checkout`,
      { agentId: a.id, expectedStatuses: ["todo", "in_progress"] },
      { token: tokenA },
    );
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ status: "in_progress", assigneeAgentId: a.id, checkoutRunId: runA, executionRunId: runA });

    const runB = await insertRun(company.id, b.id, "running");
    const tokenB = jwtFor(b, runB);
    const asOther = await t.current.post(`/api/issues/${issue.id}/checkout`, body, { token: tokenB });
    expect(asOther.status).toBe(403);
    const selfB = await t.current.post(
      `/api/issues/${issue.id}/checkout`,
      { agentId: b.id, expectedStatuses: ["todo", "in_progress"] },
      { token: tokenB },
    );
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
    await setIssueLocks(issue.id, {
      status: "in_progress",
      assigneeAgentId: agent.id,
      checkoutRunId: failedRun,
      executionRunId: failedRun,
    });

    const res = await t.current.post(
      `/api/issues/${issue.id}/checkout`,
      { agentId: agent.id, expectedStatuses: ["todo"] },
      { token: jwtFor(agent, liveRun) },
    );
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

    const res = await t.current.patch(
      `/api/issues/${issue.id}`,
      { title: "Recovered execution lock" },
      { token: jwtFor(agent, currentRun) },
    );
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
    await setIssueLocks(issue.id, {
      status: "in_progress",
      assigneeAgentId: agent.id,
      checkoutRunId: failedRun,
      executionRunId: failedRun,
    });

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
    expect(await issueRow(other.id)).toMatchObject({
      status: "in_progress",
      assigneeAgentId: agent.id,
      checkoutRunId: holder,
      executionRunId: holder,
    });
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
    await setIssueLocks(issue.id, {
      status: "in_progress",
      assigneeAgentId: agent.id,
      checkoutRunId: currentRun,
      executionRunId: failedRun,
    });

    const asAgent = await t.current.post(`/api/issues/${issue.id}/admin/force-release`, undefined, { token: jwtFor(agent, currentRun) });
    expect(asAgent.status).toBe(403);
    expect(await issueRow(issue.id)).toMatchObject({ checkoutRunId: currentRun, executionRunId: failedRun });

    const kept = await t.current.post(`/api/issues/${issue.id}/admin/force-release`);
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    expect(kept.body.issue).toMatchObject({
      id: issue.id,
      assigneeAgentId: agent.id,
      checkoutRunId: null,
      executionRunId: null,
      executionLockedAt: null,
    });
    expect(kept.body.previous).toEqual({ checkoutRunId: currentRun, executionRunId: failedRun });
    expect(await issueRow(issue.id)).toMatchObject({
      assigneeAgentId: agent.id,
      checkoutRunId: null,
      executionRunId: null,
      executionAgentNameKey: null,
      executionLockedAt: null,
    });

    await setIssueLocks(issue.id, {
      status: "in_progress",
      assigneeAgentId: agent.id,
      checkoutRunId: currentRun,
      executionRunId: failedRun,
    });
    const cleared = await t.current.post(`/api/issues/${issue.id}/admin/force-release?clearAssignee=true`);
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    expect(cleared.body.issue).toMatchObject({
      id: issue.id,
      assigneeAgentId: null,
      checkoutRunId: null,
      executionRunId: null,
      executionLockedAt: null,
    });
    expect(cleared.body.previous).toEqual({ checkoutRunId: currentRun, executionRunId: failedRun });

    const audit = await t.current.tdb.db.query<{ actorType: string; actorId: string; details: any }>(
      "SELECT actor_type, actor_id, details FROM activity_log WHERE action = 'issue.admin_force_release' AND entity_id = $1 ORDER BY created_at, id",
      [issue.id],
    );
    expect(audit).toHaveLength(2);
    expect(audit[0]!.details).toEqual({
      issueId: issue.id,
      actorUserId: "local-board",
      prevCheckoutRunId: currentRun,
      prevExecutionRunId: failedRun,
      clearAssignee: false,
    });
    expect(audit[1]).toMatchObject({
      actorType: "user",
      actorId: "local-board",
      details: {
        issueId: issue.id,
        actorUserId: "local-board",
        prevCheckoutRunId: currentRun,
        prevExecutionRunId: failedRun,
        clearAssignee: true,
      },
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

    const res = await t.current.post(
      `/api/issues/${issue.id}/comments`,
      { body: "from the wrong run" },
      { token: jwtFor(agent, intruder) },
    );
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
