import { describe, expect, it } from "vitest";
import { waitFor } from "./helpers/test-server.js";
import { TEST_JWT_SECRET } from "./helpers/test-app.js";
import { createCompany, createIssue } from "./helpers/fixtures.js";
import { TERMINAL, useIssueWakeServer } from "./helpers/issue-wake-kit.js";
import { signAgentJwt } from "../src/auth/agent-jwt.js";

/** Issue execution: wakes deferred behind a running run, same-name folding, lazy execution locks, claim-time staleness. */

const {
  t,
  db,
  openGate,
  quickAgent,
  gatedAgent,
  runRow,
  runsOfIssue,
  wakesOf,
  wakeRow,
  issueRow,
  nameKeyOf,
  waitForRunStatus,
  waitForAgentRun,
  comment,
  patchIssue,
} = useIssueWakeServer();

describe("issue execution: deferral, locks, claim-time staleness", () => {
  it("comments during a running run defer into one wake and are promoted as one batched run", async () => {
    const company = await createCompany(t.current);
    const agent = await gatedAgent(company.id);
    const issue = await createIssue(t.current, company.id, { assigneeAgentId: agent.id });
    const first = await waitForAgentRun(agent.id, "assignment run", (r) => r.issueId === issue.id);
    await waitForRunStatus(first.id, ["running"]);
    expect((await issueRow(issue.id)).executionRunId).toBe(first.id);

    const c1 = await comment(issue.id, "First thought.");
    const c2 = await comment(issue.id, "Second thought.");
    const deferred = (await wakesOf(agent.id)).filter((w) => w.status === "deferred_issue_execution");
    expect(deferred).toHaveLength(1);
    expect(deferred[0]).toMatchObject({ reason: "issue_execution_deferred", coalescedCount: 1, issueId: issue.id, runId: null });
    expect(deferred[0]!.payload!._paperclipWakeContext).toMatchObject({ wakeReason: "issue_commented", wakeCommentIds: [c1.id, c2.id] });
    expect((await runsOfIssue(issue.id)).map((r) => r.id)).toEqual([first.id]);

    openGate(first.id);
    expect((await waitForRunStatus(first.id, TERMINAL)).status).toBe("succeeded");
    const promoted = await waitFor("promoted run", async () => (await runsOfIssue(issue.id)).find((r) => r.id !== first.id) ?? null);
    expect(promoted.wakeupRequestId).toBe(deferred[0]!.id);
    expect(promoted.contextSnapshot).toMatchObject({
      issueId: issue.id,
      wakeReason: "issue_commented",
      wakeCommentIds: [c1.id, c2.id],
      commentId: c2.id,
    });
    const promotedWake = await wakeRow(deferred[0]!.id);
    expect(promotedWake).toMatchObject({ reason: "issue_execution_promoted", runId: promoted.id });
    expect(["queued", "claimed"]).toContain(promotedWake.status);
    // The assignee's promoted run takes the issue's execution lock.
    expect((await issueRow(issue.id)).executionRunId).toBe(promoted.id);

    await waitForRunStatus(promoted.id, ["running"]);
    openGate(promoted.id);
    expect((await waitForRunStatus(promoted.id, TERMINAL)).status).toBe("succeeded");
    expect((await wakeRow(deferred[0]!.id)).status).toBe("completed");
    expect((await runsOfIssue(issue.id)).map((r) => r.id)).toEqual([first.id, promoted.id]);
    expect((await wakesOf(agent.id)).filter((w) => w.status === "deferred_issue_execution")).toEqual([]);
  });

  it("wakes for the assignee's queued run fold into it (issue_execution_same_name) and it runs once with every comment", async () => {
    const company = await createCompany(t.current);
    const agent = await gatedAgent(company.id, { runtimeConfig: { heartbeat: { maxConcurrentRuns: 1 } } });
    const hold = await t.current.post(`/api/agents/${agent.id}/wakeup`, { payload: { taskKey: "hold" } });
    await waitForRunStatus(hold.body.id, ["running"]);
    const issue = await createIssue(t.current, company.id, { assigneeAgentId: agent.id });
    const queued = await waitForAgentRun(agent.id, "queued issue run", (r) => r.issueId === issue.id);
    expect(queued.status).toBe("queued");

    const c1 = await comment(issue.id, "One more detail.");
    const c2 = await comment(issue.id, "And another.");
    const issueWakes = (await wakesOf(agent.id)).filter((w) => w.issueId === issue.id);
    expect(issueWakes.map((w) => w.status).sort()).toEqual(["coalesced", "coalesced", "queued"]);
    for (const w of issueWakes.filter((x) => x.status === "coalesced")) {
      expect(w).toMatchObject({ reason: "issue_execution_same_name", runId: queued.id, coalescedCount: 1 });
    }
    expect((await runsOfIssue(issue.id)).map((r) => r.id)).toEqual([queued.id]);
    expect((await runRow(queued.id)).contextSnapshot).toMatchObject({
      issueId: issue.id,
      wakeReason: "issue_commented",
      wakeCommentIds: [c1.id, c2.id],
      commentId: c2.id,
    });

    openGate(hold.body.id);
    await waitForRunStatus(queued.id, ["running"]);
    openGate(queued.id);
    expect((await waitForRunStatus(queued.id, TERMINAL)).status).toBe("succeeded");
    expect((await runsOfIssue(issue.id)).map((r) => r.id)).toEqual([queued.id]);
    expect((await wakesOf(agent.id)).filter((w) => w.status === "deferred_issue_execution")).toEqual([]);
  });

  it("a run that checks out an issue it was not woken for releases it at its end and promotes comments deferred meanwhile", async () => {
    const company = await createCompany(t.current);
    const agent = await gatedAgent(company.id);
    const issue = await createIssue(t.current, company.id, { status: "todo" });
    // An on-demand heartbeat (no issue) picks the issue from the inbox and checks it out.
    const wake = await t.current.post(`/api/agents/${agent.id}/wakeup`, { reason: "inbox" });
    expect(wake.status).toBe(202);
    const run = await waitForRunStatus(wake.body.id, ["running"]);
    expect(run.issueId).toBeNull();
    const token = signAgentJwt({ agentId: agent.id, companyId: company.id, adapterType: "process", runId: run.id }, TEST_JWT_SECRET, 3600);
    const checkout = await t.current.post(
      `/api/issues/${issue.id}/checkout`,
      { agentId: agent.id, expectedStatuses: ["todo"] },
      { token, runId: run.id },
    );
    expect(checkout.status, JSON.stringify(checkout.body)).toBe(200);
    expect(await issueRow(issue.id)).toMatchObject({
      status: "in_progress",
      assigneeAgentId: agent.id,
      executionRunId: run.id,
      checkoutRunId: run.id,
    });

    const c = await comment(issue.id, "Note for whoever works on this.");
    const deferred = (await wakesOf(agent.id)).filter((w) => w.issueId === issue.id);
    expect(deferred).toHaveLength(1);
    expect(deferred[0]).toMatchObject({ status: "deferred_issue_execution", reason: "issue_execution_deferred" });

    openGate(run.id);
    expect((await waitForRunStatus(run.id, TERMINAL)).status).toBe("succeeded");
    const promoted = await waitForAgentRun(agent.id, "promoted comment run", (r) => r.issueId === issue.id);
    expect(promoted.contextSnapshot).toMatchObject({ issueId: issue.id, wakeReason: "issue_commented", wakeCommentIds: [c.id] });
    expect(await wakeRow(deferred[0]!.id)).toMatchObject({ reason: "issue_execution_promoted", runId: promoted.id });
    await waitForRunStatus(promoted.id, ["running"]);
    openGate(promoted.id);
    expect((await waitForRunStatus(promoted.id, TERMINAL)).status).toBe("succeeded");
    const released = await issueRow(issue.id);
    expect(released.executionRunId).toBeNull();
    expect(released.checkoutRunId).toBeNull();
  });

  it("lazy locking: the lock is stamped at claim for the assignee's run and cleared when it finishes", async () => {
    const company = await createCompany(t.current);
    const agent = await gatedAgent(company.id, { runtimeConfig: { heartbeat: { maxConcurrentRuns: 1 } } });
    const hold = await t.current.post(`/api/agents/${agent.id}/wakeup`, { payload: { taskKey: "hold" } });
    await waitForRunStatus(hold.body.id, ["running"]);

    const issue = await createIssue(t.current, company.id, { assigneeAgentId: agent.id });
    const run = await waitForAgentRun(agent.id, "issue run", (r) => r.issueId === issue.id);
    expect(run.status).toBe("queued");
    expect((await issueRow(issue.id)).executionRunId).toBeNull();

    openGate(hold.body.id);
    await waitForRunStatus(run.id, ["running"]);
    const locked = await issueRow(issue.id);
    expect(locked.executionRunId).toBe(run.id);
    expect(locked.executionAgentNameKey).toBe(await nameKeyOf(agent.id));

    openGate(run.id);
    expect((await waitForRunStatus(run.id, TERMINAL)).status).toBe("succeeded");
    const released = await issueRow(issue.id);
    expect(released.executionRunId).toBeNull();
    expect(released.executionAgentNameKey).toBeNull();
    expect(released.checkoutRunId).toBeNull();
  });

  it("a non-assignee's run on the issue (mention) does not take the execution lock", async () => {
    const company = await createCompany(t.current);
    const mentioned = await gatedAgent(company.id);
    const issue = await createIssue(t.current, company.id, { status: "todo" });
    await comment(issue.id, `@${mentioned.name} what do you think?`);
    const run = await waitForAgentRun(mentioned.id, "mention run", (r) => r.issueId === issue.id);
    await waitForRunStatus(run.id, ["running"]);
    const row = await issueRow(issue.id);
    expect(row.executionRunId).toBeNull();
    expect(row.checkoutRunId).toBeNull();
    expect(row.status).toBe("todo");
    openGate(run.id);
    expect((await waitForRunStatus(run.id, TERMINAL)).status).toBe("succeeded");
  });

  it("a queued run whose issue was reassigned before it was claimed is cancelled at claim (issue_assignee_changed)", async () => {
    const company = await createCompany(t.current);
    const previous = await gatedAgent(company.id, { runtimeConfig: { heartbeat: { maxConcurrentRuns: 1 } } });
    const next = await quickAgent(company.id);
    const hold = await t.current.post(`/api/agents/${previous.id}/wakeup`, { payload: { taskKey: "long job" } });
    await waitForRunStatus(hold.body.id, ["running"]);

    const issue = await createIssue(t.current, company.id, { assigneeAgentId: previous.id });
    const stale = await waitForAgentRun(previous.id, "queued issue run", (r) => r.issueId === issue.id);
    expect(stale.status).toBe("queued");
    await patchIssue(issue.id, { assigneeAgentId: next.id });
    expect((await runRow(stale.id)).status).toBe("queued");

    openGate(hold.body.id);
    const cancelled = await waitForRunStatus(stale.id, TERMINAL);
    expect(cancelled).toMatchObject({ status: "cancelled", errorCode: "issue_assignee_changed" });
    expect((await wakeRow(cancelled.wakeupRequestId!)).status).toBe("skipped");
    const [full] = await db().query<{ startedAt: Date | null; resultJson: Record<string, any> | null }>(
      "SELECT started_at, result_json FROM heartbeat_runs WHERE id = $1",
      [stale.id],
    );
    expect(full!.startedAt).toBeNull();
    expect(full!.resultJson).toMatchObject({ stopReason: "issue_assignee_changed" });

    // The new assignee gets the issue.
    const taken = await waitForAgentRun(next.id, "new assignee run", (r) => r.issueId === issue.id);
    expect(taken.contextSnapshot).toMatchObject({ issueId: issue.id, wakeReason: "issue_assigned" });
    expect((await waitForRunStatus(taken.id, TERMINAL)).status).toBe("succeeded");
    expect((await issueRow(issue.id)).assigneeAgentId).toBe(next.id);
    expect((await runsOfIssue(issue.id)).map((r) => [r.agentId, r.status])).toEqual([
      [previous.id, "cancelled"],
      [next.id, "succeeded"],
    ]);
  });
});
