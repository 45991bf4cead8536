import { describe, expect, it } from "vitest";
import { waitFor } from "./helpers/test-server.js";
import { createCompany, createIssue } from "./helpers/fixtures.js";
import { TERMINAL, useIssueWakeServer } from "./helpers/issue-wake-kit.js";

/** Wakes caused by issue mutations other than comments: create, assign, status, cancellation, blockers and children. */

const {
  t,
  db,
  openGate,
  quickAgent,
  gatedAgent,
  runRow,
  runsOfAgent,
  wakesOf,
  wakeRow,
  issueRow,
  waitForRunStatus,
  waitForAgentRun,
  onlyWake,
  assignedIssueSettled,
  comment,
  patchIssue,
} = useIssueWakeServer();

describe("mutation wakes: issue create, assign, status", () => {
  it("creating an issue assigned to an agent (todo) queues an issue_assigned run that runs to success", async () => {
    const company = await createCompany(t.current);
    const agent = await quickAgent(company.id);
    const issue = await createIssue(t.current, company.id, { assigneeAgentId: agent.id });
    expect(issue.status).toBe("todo");

    // The wake commits with the create: it exists as soon as the 201 is back.
    const wake = await onlyWake(agent.id, "issue_assigned");
    expect(wake).toMatchObject({ source: "assignment", issueId: issue.id, requestedByActorType: "user" });
    expect(wake.payload).toMatchObject({ issueId: issue.id, mutation: "create" });
    expect(wake.runId).not.toBeNull();

    const run = await runRow(wake.runId!);
    expect(run).toMatchObject({ agentId: agent.id, issueId: issue.id, invocationSource: "assignment", wakeupRequestId: wake.id });
    expect(run.contextSnapshot).toMatchObject({
      issueId: issue.id,
      taskId: issue.id,
      taskKey: issue.id,
      wakeReason: "issue_assigned",
      wakeSource: "assignment",
    });

    expect((await waitForRunStatus(run.id, TERMINAL)).status).toBe("succeeded");
    expect((await wakeRow(wake.id)).status).toBe("completed");
    expect(await runsOfAgent(agent.id)).toHaveLength(1);
  });

  it("backlog creation, unassigned creation and user-assigned creation wake nobody", async () => {
    const company = await createCompany(t.current);
    const agent = await quickAgent(company.id);
    const backlog = await createIssue(t.current, company.id, { assigneeAgentId: agent.id, status: "backlog" });
    expect(backlog.status).toBe("backlog");
    await createIssue(t.current, company.id, { status: "todo" });
    await createIssue(t.current, company.id, { assigneeUserId: "local-board" });
    await createIssue(t.current, company.id, { assigneeAgentId: agent.id, status: "done" });
    const [{ wakes }] = (await db().query<{ wakes: number }>(
      "SELECT count(*)::int AS wakes FROM agent_wakeup_requests WHERE company_id = $1",
      [company.id],
    )) as [{ wakes: number }];
    expect(wakes).toBe(0);
    expect(await runsOfAgent(agent.id)).toEqual([]);
  });

  it("backlog -> todo wakes the assignee with issue_status_changed", async () => {
    const company = await createCompany(t.current);
    const agent = await quickAgent(company.id);
    const issue = await createIssue(t.current, company.id, { assigneeAgentId: agent.id, status: "backlog" });
    expect(await wakesOf(agent.id)).toEqual([]);
    // A change that is not a wake trigger (priority) wakes nobody.
    await patchIssue(issue.id, { priority: "high" });
    expect(await wakesOf(agent.id)).toEqual([]);

    await patchIssue(issue.id, { status: "todo" });
    const wake = await onlyWake(agent.id, "issue_status_changed");
    expect(wake).toMatchObject({ source: "automation", issueId: issue.id });
    expect(wake.payload).toMatchObject({ issueId: issue.id, mutation: "update" });
    const run = await runRow(wake.runId!);
    expect(run.contextSnapshot).toMatchObject({ issueId: issue.id, wakeReason: "issue_status_changed" });
    expect((await waitForRunStatus(run.id, TERMINAL)).status).toBe("succeeded");
    expect(await wakesOf(agent.id)).toHaveLength(1);
  });

  it("reassigning wakes the new assignee (issue_assigned), not the previous one", async () => {
    const company = await createCompany(t.current);
    const first = await quickAgent(company.id);
    const second = await quickAgent(company.id);
    const issue = await assignedIssueSettled(company.id, first.id);
    const firstWakes = (await wakesOf(first.id)).length;

    await patchIssue(issue.id, { assigneeAgentId: second.id });
    const wake = await onlyWake(second.id, "issue_assigned");
    expect(wake).toMatchObject({ source: "assignment", issueId: issue.id });
    expect(wake.payload).toMatchObject({ issueId: issue.id, mutation: "update" });
    const run = await waitForAgentRun(second.id, "new assignee run", (r) => r.issueId === issue.id);
    expect(run.contextSnapshot).toMatchObject({ issueId: issue.id, wakeReason: "issue_assigned" });
    expect((await waitForRunStatus(run.id, TERMINAL)).status).toBe("succeeded");
    expect(await wakesOf(first.id)).toHaveLength(firstWakes);
  });
});

describe("mutation wakes: cancellation, dependencies, children", () => {
  it("PATCH status cancelled cancels the issue's running run; PATCH done lets it finish", async () => {
    const company = await createCompany(t.current);
    const agent = await gatedAgent(company.id);
    const doomed = await createIssue(t.current, company.id, { assigneeAgentId: agent.id });
    const doomedRun = await waitForAgentRun(agent.id, "run of the issue to cancel", (r) => r.issueId === doomed.id);
    await waitForRunStatus(doomedRun.id, ["running"]);
    expect((await issueRow(doomed.id)).executionRunId).toBe(doomedRun.id);

    await patchIssue(doomed.id, { status: "cancelled" });
    const cancelled = await runRow(doomedRun.id);
    expect(cancelled).toMatchObject({ status: "cancelled", errorCode: "issue_cancelled" });
    expect((await wakeRow(cancelled.wakeupRequestId!)).status).toBe("cancelled");
    const activity = await db().query<{ actorType: string; details: Record<string, any> }>(
      "SELECT actor_type, details FROM activity_log WHERE action = 'heartbeat.cancelled' AND entity_id = $1",
      [doomedRun.id],
    );
    expect(activity).toHaveLength(1);
    expect(activity[0]).toMatchObject({ actorType: "user", details: { issueId: doomed.id, reason: "issue_cancelled" } });
    expect((await issueRow(doomed.id)).executionRunId).toBeNull();
    // The process is stopped and the agent settles; the run stays cancelled ("cancelled wins").
    await waitFor("agent idle after cancel", async () => {
      const [a] = await db().query<{ status: string }>("SELECT status FROM agents WHERE id = $1", [agent.id]);
      return a!.status === "idle";
    });
    expect((await runRow(doomedRun.id)).status).toBe("cancelled");

    const finished = await createIssue(t.current, company.id, { assigneeAgentId: agent.id });
    const finishedRun = await waitForAgentRun(agent.id, "run of the issue to finish", (r) => r.issueId === finished.id);
    await waitForRunStatus(finishedRun.id, ["running"]);
    await patchIssue(finished.id, { status: "done" });
    expect((await runRow(finishedRun.id)).status).toBe("running");
    const noCancel = await db().query("SELECT 1 FROM activity_log WHERE action = 'heartbeat.cancelled' AND entity_id = $1", [
      finishedRun.id,
    ]);
    expect(noCancel).toEqual([]);
    openGate(finishedRun.id);
    expect((await waitForRunStatus(finishedRun.id, TERMINAL)).status).toBe("succeeded");
    expect((await issueRow(finished.id)).status).toBe("done");
  });

  it("a blocker done wakes the dependent's assignee (issue_blockers_resolved) only once all blockers are done", async () => {
    const company = await createCompany(t.current);
    const agent = await quickAgent(company.id);
    const b1 = await createIssue(t.current, company.id, { status: "todo" });
    const b2 = await createIssue(t.current, company.id, { status: "todo" });
    const dependent = await createIssue(t.current, company.id, { assigneeAgentId: agent.id, blockedByIssueIds: [b1.id, b2.id] });
    // The assignment wake is skipped while blockers are open.
    const skipped = await onlyWake(agent.id, "issue_dependencies_blocked");
    expect(skipped).toMatchObject({ status: "skipped", issueId: dependent.id, runId: null });
    expect([...skipped.payload!.unresolvedBlockerIssueIds].sort()).toEqual([b1.id, b2.id].sort());
    expect(await runsOfAgent(agent.id)).toEqual([]);

    await patchIssue(b1.id, { status: "done" });
    expect((await wakesOf(agent.id)).filter((w) => w.reason === "issue_blockers_resolved")).toEqual([]);
    expect(await runsOfAgent(agent.id)).toEqual([]);

    await patchIssue(b2.id, { status: "done" });
    const wake = await onlyWake(agent.id, "issue_blockers_resolved");
    expect(wake).toMatchObject({ source: "automation", issueId: dependent.id });
    expect(wake.payload).toMatchObject({ issueId: dependent.id, resolvedBlockerIssueId: b2.id });
    const run = await runRow(wake.runId!);
    expect(run.contextSnapshot).toMatchObject({ issueId: dependent.id, wakeReason: "issue_blockers_resolved" });
    expect((await waitForRunStatus(run.id, TERMINAL)).status).toBe("succeeded");
  });

  it("a cancelled blocker does not resolve the dependency", async () => {
    const company = await createCompany(t.current);
    const agent = await quickAgent(company.id);
    const blocker = await createIssue(t.current, company.id, { status: "todo" });
    await createIssue(t.current, company.id, { assigneeAgentId: agent.id, blockedByIssueIds: [blocker.id] });
    await patchIssue(blocker.id, { status: "cancelled" });
    expect((await wakesOf(agent.id)).map((w) => w.reason)).toEqual(["issue_dependencies_blocked"]);
    expect(await runsOfAgent(agent.id)).toEqual([]);
  });

  it("a non-interaction wake for an issue with an open blocker is skipped; a board comment still reaches the agent", async () => {
    const company = await createCompany(t.current);
    const agent = await quickAgent(company.id);
    const blocker = await createIssue(t.current, company.id, { status: "todo" });
    const issue = await createIssue(t.current, company.id, { assigneeAgentId: agent.id, blockedByIssueIds: [blocker.id] });

    const manual = await t.current.post(`/api/agents/${agent.id}/wakeup`, { reason: "try", payload: { issueId: issue.id } });
    expect(manual.status).toBe(202);
    expect(manual.body).toMatchObject({ status: "skipped", reason: "issue_dependencies_blocked" });
    expect((await wakesOf(agent.id)).map((w) => [w.status, w.reason])).toEqual([
      ["skipped", "issue_dependencies_blocked"],
      ["skipped", "issue_dependencies_blocked"],
    ]);
    expect(await runsOfAgent(agent.id)).toEqual([]);

    const c = await comment(issue.id, "Any idea how to unblock this?");
    const wake = await onlyWake(agent.id, "issue_commented");
    const run = await runRow(wake.runId!);
    expect(run.contextSnapshot).toMatchObject({
      wakeReason: "issue_commented",
      commentId: c.id,
      dependencyBlockedInteraction: true,
      unresolvedBlockerIssueIds: [blocker.id],
    });
    expect((await waitForRunStatus(run.id, TERMINAL)).status).toBe("succeeded");
  });

  it("closing the last open child wakes the parent's assignee with issue_children_completed", async () => {
    const company = await createCompany(t.current);
    const agent = await quickAgent(company.id);
    const parent = await assignedIssueSettled(company.id, agent.id);
    const c1 = await createIssue(t.current, company.id, { parentId: parent.id, status: "todo" });
    const c2 = await createIssue(t.current, company.id, { parentId: parent.id, status: "todo" });

    await patchIssue(c1.id, { status: "done" });
    expect((await wakesOf(agent.id)).filter((w) => w.reason === "issue_children_completed")).toEqual([]);

    await patchIssue(c2.id, { status: "cancelled" });
    const wake = await onlyWake(agent.id, "issue_children_completed");
    expect(wake).toMatchObject({ source: "automation", issueId: parent.id });
    expect(wake.payload).toMatchObject({ issueId: parent.id, childIssueId: c2.id });
    const run = await runRow(wake.runId!);
    expect(run.contextSnapshot).toMatchObject({ issueId: parent.id, wakeReason: "issue_children_completed" });
    expect((await waitForRunStatus(run.id, TERMINAL)).status).toBe("succeeded");
  });
});
