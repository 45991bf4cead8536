import { describe, expect, it } from "vitest";
import { TEST_JWT_SECRET } from "./helpers/test-app.js";
import { createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import { TERMINAL, useIssueWakeServer } from "./helpers/issue-wake-kit.js";
import { signAgentJwt } from "../src/auth/agent-jwt.js";

/** Wakes caused by comments: the assignee, mentions, self-comments from a run, and reopening a done issue. */

const {
  t,
  db,
  openGate,
  quickAgent,
  gatedAgent,
  runRow,
  wakesOf,
  wakeRow,
  issueRow,
  waitForRunStatus,
  waitForAgentRun,
  onlyWake,
  assignedIssueSettled,
  comment,
  patchIssue,
  insertLiveRun,
} = useIssueWakeServer();

describe("mutation wakes: comments and mentions", () => {
  it("a board comment on the agent's open issue wakes it with issue_commented and the comment id", async () => {
    const company = await createCompany(t.current);
    const agent = await quickAgent(company.id);
    const issue = await assignedIssueSettled(company.id, agent.id);

    const c = await comment(issue.id, "Please also update the docs.");
    const wake = await onlyWake(agent.id, "issue_commented");
    expect(wake).toMatchObject({ source: "automation", issueId: issue.id, requestedByActorType: "user" });
    expect(wake.payload).toMatchObject({ issueId: issue.id, commentId: c.id });
    const run = await runRow(wake.runId!);
    expect(run.contextSnapshot).toMatchObject({
      issueId: issue.id,
      wakeReason: "issue_commented",
      commentId: c.id,
      wakeCommentId: c.id,
      wakeCommentIds: [c.id],
      source: "issue.comment",
    });
    expect((await waitForRunStatus(run.id, TERMINAL)).status).toBe("succeeded");
  });

  it("an agent's comment on its own issue (from its run) never wakes itself; its mention of another agent does", async () => {
    const company = await createCompany(t.current);
    const agent = await quickAgent(company.id);
    const helper = await quickAgent(company.id);
    const issue = await assignedIssueSettled(company.id, agent.id);
    expect((await issueRow(issue.id)).status).toBe("in_progress");
    const wakesBefore = await wakesOf(agent.id);

    const runId = await insertLiveRun(company.id, agent.id);
    try {
      const token = signAgentJwt({ agentId: agent.id, companyId: company.id, adapterType: "process", runId }, TEST_JWT_SECRET, 3600);
      const own = await comment(issue.id, `Progress update. cc @${agent.name}`, { token, runId });
      expect(own).toMatchObject({ authorType: "agent", authorAgentId: agent.id, createdByRunId: runId });
      expect(own.mentionedAgentIds).toEqual([agent.id]);
      expect(await wakesOf(agent.id)).toEqual(wakesBefore);
      // Writing from its run made that run the issue's owner.
      expect((await issueRow(issue.id)).executionRunId).toBe(runId);

      // The mention of another agent wakes it; while the author's run holds the issue it waits
      // as a deferred wake that keeps the mention context.
      const handoff = await comment(issue.id, `@${helper.name} can you review this?`, { token, runId });
      const helperWakes = await wakesOf(helper.id);
      expect(helperWakes).toHaveLength(1);
      expect(helperWakes[0]).toMatchObject({ status: "deferred_issue_execution", issueId: issue.id, requestedByActorType: "agent" });
      expect(helperWakes[0]!.payload).toMatchObject({ issueId: issue.id, commentId: handoff.id });
      expect(helperWakes[0]!.payload!._paperclipWakeContext).toMatchObject({
        wakeReason: "issue_comment_mentioned",
        commentId: handoff.id,
      });
      expect(await wakesOf(agent.id)).toEqual(wakesBefore);

      // When the author's run ends (here: cancelled), the issue is released and the mention promoted.
      const cancel = await t.current.post(`/api/heartbeat-runs/${runId}/cancel`);
      expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
      expect(cancel.body.status).toBe("cancelled");
      expect((await issueRow(issue.id)).executionRunId).not.toBe(runId);
      const helperRun = await waitForAgentRun(helper.id, "promoted mention run", (r) => r.issueId === issue.id);
      expect(helperRun.contextSnapshot).toMatchObject({ wakeReason: "issue_comment_mentioned", commentId: handoff.id });
      expect((await wakeRow(helperWakes[0]!.id)).reason).toBe("issue_execution_promoted");
      expect((await waitForRunStatus(helperRun.id, TERMINAL)).status).toBe("succeeded");
      expect(await wakesOf(agent.id)).toEqual(wakesBefore);
    } finally {
      await db().query("UPDATE heartbeat_runs SET status = 'cancelled', finished_at = now() WHERE id = $1 AND status = 'running'", [runId]);
    }

    // Its own comment on its closed issue neither reopens it nor wakes it.
    await patchIssue(issue.id, { status: "done" });
    const key = await createAgentKey(t.current, agent.id);
    await comment(issue.id, "Closing note.", { token: key.token });
    expect((await issueRow(issue.id)).status).toBe("done");
    expect(await wakesOf(agent.id)).toEqual(wakesBefore);
  });

  it("@Name and [@Name](agent://id) mentions wake the mentioned agents with issue_comment_mentioned", async () => {
    const company = await createCompany(t.current);
    const assignee = await quickAgent(company.id);
    const named = await quickAgent(company.id);
    const linked = await quickAgent(company.id);
    const bystander = await quickAgent(company.id);
    const issue = await assignedIssueSettled(company.id, assignee.id);

    const c = await comment(issue.id, `Hey @${named.name}, and [@someone](agent://${linked.id}) please look.`);
    expect(c.mentionedAgentIds).toEqual([named.id, linked.id]);
    // The assignee gets its regular comment wake; an agent not mentioned gets nothing.
    const assigneeWake = await onlyWake(assignee.id, "issue_commented");
    expect(assigneeWake.payload).toMatchObject({ commentId: c.id });
    expect(await wakesOf(bystander.id)).toEqual([]);
    // One execution per issue at a time: each mentioned agent's wake is queued or deferred behind
    // the run holding the issue, and every one of them gets its own run with the mention context.
    for (const agent of [named, linked]) {
      const wakes = await wakesOf(agent.id);
      expect(wakes).toHaveLength(1);
      expect(wakes[0]).toMatchObject({ source: "automation", issueId: issue.id });
      expect(wakes[0]!.payload).toMatchObject({ issueId: issue.id, commentId: c.id });
      const run = await waitForAgentRun(agent.id, "mention run", (r) => r.issueId === issue.id);
      expect(run.contextSnapshot).toMatchObject({
        issueId: issue.id,
        wakeReason: "issue_comment_mentioned",
        commentId: c.id,
        source: "comment.mention",
      });
      expect((await waitForRunStatus(run.id, TERMINAL)).status).toBe("succeeded");
    }
    expect(await wakesOf(bystander.id)).toEqual([]);
  });

  it("a single mention on an issue nobody is working on is queued directly with reason issue_comment_mentioned", async () => {
    const company = await createCompany(t.current);
    const mentioned = await quickAgent(company.id);
    const issue = await createIssue(t.current, company.id, { status: "todo" });
    const c = await comment(issue.id, `@${mentioned.name.toLowerCase()} FYI`);
    const wake = await onlyWake(mentioned.id, "issue_comment_mentioned");
    expect(wake).toMatchObject({ source: "automation", issueId: issue.id });
    const run = await runRow(wake.runId!);
    expect(run.contextSnapshot).toMatchObject({ wakeReason: "issue_comment_mentioned", commentId: c.id });
    expect((await waitForRunStatus(run.id, TERMINAL)).status).toBe("succeeded");
    // Mentioned agents are not assignees: the issue is left as it was.
    expect(await issueRow(issue.id)).toMatchObject({ status: "todo", assigneeAgentId: null, executionRunId: null });
  });

  it("a board comment on a done agent-assigned issue reopens it to todo and wakes issue_reopened_via_comment", async () => {
    const company = await createCompany(t.current);
    const agent = await gatedAgent(company.id);
    const issue = await createIssue(t.current, company.id, { assigneeAgentId: agent.id });
    const first = await waitForAgentRun(agent.id, "assignment run", (r) => r.issueId === issue.id);
    openGate(first.id);
    await waitForRunStatus(first.id, ["succeeded"]);
    await patchIssue(issue.id, { status: "done" });

    // Keep the agent's only slot busy so the reopen run stays queued while we look.
    const hold = await t.current.post(`/api/agents/${agent.id}/wakeup`, { payload: { taskKey: "hold" } });
    expect(hold.status).toBe(202);
    await waitForRunStatus(hold.body.id, ["running"]);

    const c = await comment(issue.id, "This is not fixed yet.");
    expect((await issueRow(issue.id)).status).toBe("todo");
    const wake = await onlyWake(agent.id, "issue_reopened_via_comment");
    expect(wake).toMatchObject({ status: "queued", issueId: issue.id });
    expect(wake.payload).toMatchObject({ issueId: issue.id, commentId: c.id });
    const run = await runRow(wake.runId!);
    expect(run.status).toBe("queued");
    expect(run.contextSnapshot).toMatchObject({ issueId: issue.id, wakeReason: "issue_reopened_via_comment", commentId: c.id });
    const [activity] = await db().query<{ details: Record<string, any> }>(
      "SELECT details FROM activity_log WHERE action = 'issue.updated' AND entity_id = $1 AND details->>'via' = 'comment_reopen'",
      [issue.id],
    );
    expect(activity?.details).toMatchObject({ commentId: c.id, changes: { status: { from: "done", to: "todo" } } });
    expect(await wakesOf(agent.id).then((ws) => ws.filter((w) => w.reason === "issue_commented"))).toEqual([]);

    openGate(hold.body.id);
    await waitForRunStatus(run.id, ["running"]);
    openGate(run.id);
    expect((await waitForRunStatus(run.id, TERMINAL)).status).toBe("succeeded");
  });

  it("a board comment on a done issue assigned to nobody neither reopens it nor wakes anyone", async () => {
    const company = await createCompany(t.current);
    const agent = await quickAgent(company.id);
    const issue = await createIssue(t.current, company.id, { status: "done" });
    await comment(issue.id, "Just a note.");
    expect((await issueRow(issue.id)).status).toBe("done");
    const [{ wakes }] = (await db().query<{ wakes: number }>(
      "SELECT count(*)::int AS wakes FROM agent_wakeup_requests WHERE company_id = $1",
      [company.id],
    )) as [{ wakes: number }];
    expect(wakes).toBe(0);
    expect(await wakesOf(agent.id)).toEqual([]);
  });
});
