import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { TEST_JWT_SECRET } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import { signAgentJwt } from "../src/auth/agent-jwt.js";

// These tests pin the plain wake semantics (docs/runs.md#wakeups-and-coalescing, #mutation-wakes);
// the recovery behaviours (missing-comment retries, immediate recovery, continuations, the
// reconciliation pass) would add
// runs of their own, so they are switched off here and tested in the recovery-*.test.ts files.
const t = useTestServer({
  runtime: { recovery: { missingComment: false, immediateRecovery: false, livenessContinuation: false, strandedReconciliation: false } },
});

const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];
const db = () => t.current.tdb.db;

/**
 * Gated runs: a gated agent's run waits (bounded, ~20 s) until the test creates a file named after
 * the run id, so a test decides exactly when each run ends without timing guesses.
 */
const gateDir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-gates-"));
afterAll(() => fs.rmSync(gateDir, { recursive: true, force: true }));
const GATED_SCRIPT = `i=0; while [ ! -e "${gateDir}/$PAPERCLIP_RUN_ID" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; echo finished`;
const openGate = (runId: string) => fs.writeFileSync(path.join(gateDir, runId), "");

let nameCounter = 0;
async function agentWith(companyId: string, script: string, extra: Record<string, unknown> = {}) {
  return createAgent(t.current, companyId, {
    name: `Worker${++nameCounter}x${Math.random().toString(36).slice(2, 6)}`,
    adapterConfig: { command: "/bin/sh", args: ["-c", script], timeoutSec: 60, graceSec: 1 },
    ...extra,
  });
}
const quickAgent = (companyId: string, extra: Record<string, unknown> = {}) => agentWith(companyId, "echo ok", extra);
const gatedAgent = (companyId: string, extra: Record<string, unknown> = {}) => agentWith(companyId, GATED_SCRIPT, extra);

interface RunDbRow {
  id: string;
  agentId: string;
  status: string;
  issueId: string | null;
  invocationSource: string;
  errorCode: string | null;
  wakeupRequestId: string | null;
  contextSnapshot: Record<string, any> | null;
}
const RUN_SELECT = "SELECT id, agent_id, status, issue_id, invocation_source, error_code, wakeup_request_id, context_snapshot FROM heartbeat_runs";

async function runRow(id: string): Promise<RunDbRow> {
  const [row] = await db().query<RunDbRow>(`${RUN_SELECT} WHERE id = $1`, [id]);
  expect(row, `run ${id}`).toBeDefined();
  return row!;
}
const runsOfAgent = (agentId: string) => db().query<RunDbRow>(`${RUN_SELECT} WHERE agent_id = $1 ORDER BY created_at, id`, [agentId]);
const runsOfIssue = (issueId: string) => db().query<RunDbRow>(`${RUN_SELECT} WHERE issue_id = $1 ORDER BY created_at, id`, [issueId]);

interface WakeDbRow {
  id: string;
  agentId: string;
  source: string;
  reason: string | null;
  status: string;
  issueId: string | null;
  runId: string | null;
  coalescedCount: number;
  requestedByActorType: string | null;
  payload: Record<string, any> | null;
}
const WAKE_SELECT = `SELECT id, agent_id, source, reason, status, issue_id, run_id, coalesced_count, requested_by_actor_type, payload
  FROM agent_wakeup_requests`;
const wakesOf = (agentId: string) => db().query<WakeDbRow>(`${WAKE_SELECT} WHERE agent_id = $1 ORDER BY requested_at, id`, [agentId]);
async function wakeRow(id: string): Promise<WakeDbRow> {
  const [row] = await db().query<WakeDbRow>(`${WAKE_SELECT} WHERE id = $1`, [id]);
  expect(row, `wake ${id}`).toBeDefined();
  return row!;
}

async function issueRow(id: string) {
  const [row] = await db().query<{ status: string; assigneeAgentId: string | null; executionRunId: string | null; executionAgentNameKey: string | null; checkoutRunId: string | null }>(
    "SELECT status, assignee_agent_id, execution_run_id, execution_agent_name_key, checkout_run_id FROM issues WHERE id = $1",
    [id],
  );
  return row!;
}

async function nameKeyOf(agentId: string): Promise<string> {
  const [row] = await db().query<{ nameKey: string }>("SELECT name_key FROM agents WHERE id = $1", [agentId]);
  return row!.nameKey;
}

async function waitForRunStatus(runId: string, statuses: string[]): Promise<RunDbRow> {
  return waitFor(`run ${runId} ${statuses.join("/")}`, async () => {
    const row = await runRow(runId);
    return statuses.includes(row.status) ? row : null;
  }, 25_000);
}

/** Waits until the agent has a run matching `pick`, returns it. */
async function waitForAgentRun(agentId: string, what: string, pick: (r: RunDbRow) => boolean): Promise<RunDbRow> {
  return waitFor(what, async () => (await runsOfAgent(agentId)).find(pick) ?? null, 25_000);
}

/** The agent's only wake row with `reason` (asserts there is exactly one). */
async function onlyWake(agentId: string, reason: string): Promise<WakeDbRow> {
  const rows = (await wakesOf(agentId)).filter((w) => w.reason === reason);
  expect(rows, `${reason} wakes of ${agentId}`).toHaveLength(1);
  return rows[0]!;
}

/** Creates an issue assigned to `agentId` and waits for its assignment run to finish (the agent is quick). */
async function assignedIssueSettled(companyId: string, agentId: string, body: Record<string, unknown> = {}) {
  const issue = await createIssue(t.current, companyId, { assigneeAgentId: agentId, ...body });
  const run = await waitForAgentRun(agentId, "assignment run", (r) => r.issueId === issue.id);
  const done = await waitForRunStatus(run.id, TERMINAL);
  expect(done.status).toBe("succeeded");
  return issue;
}

async function comment(issueId: string, body: string, options: { token?: string; runId?: string } = {}) {
  const res = await t.current.post(`/api/issues/${issueId}/comments`, { body }, options);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; [k: string]: any };
}

async function patchIssue(issueId: string, body: Record<string, unknown>) {
  const res = await t.current.patch(`/api/issues/${issueId}`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** A live run of the agent's own, inserted directly (with a lease so the reaper leaves it alone). */
async function insertLiveRun(companyId: string, agentId: string): Promise<string> {
  const [row] = await db().query<{ id: string }>(
    `INSERT INTO heartbeat_runs (company_id, agent_id, status, started_at, lease_owner, lease_expires_at)
     VALUES ($1, $2, 'running', now(), 'test-holder', now() + interval '1 hour') RETURNING id`,
    [companyId, agentId],
  );
  return row!.id;
}

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
    expect(run.contextSnapshot).toMatchObject({ issueId: issue.id, taskId: issue.id, taskKey: issue.id, wakeReason: "issue_assigned", wakeSource: "assignment" });

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
    const [{ wakes }] = (await db().query<{ wakes: number }>("SELECT count(*)::int AS wakes FROM agent_wakeup_requests WHERE company_id = $1", [company.id])) as [{ wakes: number }];
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
      expect(helperWakes[0]!.payload!._paperclipWakeContext).toMatchObject({ wakeReason: "issue_comment_mentioned", commentId: handoff.id });
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
      expect(run.contextSnapshot).toMatchObject({ issueId: issue.id, wakeReason: "issue_comment_mentioned", commentId: c.id, source: "comment.mention" });
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
    const [{ wakes }] = (await db().query<{ wakes: number }>("SELECT count(*)::int AS wakes FROM agent_wakeup_requests WHERE company_id = $1", [company.id])) as [{ wakes: number }];
    expect(wakes).toBe(0);
    expect(await wakesOf(agent.id)).toEqual([]);
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
    const noCancel = await db().query("SELECT 1 FROM activity_log WHERE action = 'heartbeat.cancelled' AND entity_id = $1", [finishedRun.id]);
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
    expect(run.contextSnapshot).toMatchObject({ wakeReason: "issue_commented", commentId: c.id, dependencyBlockedInteraction: true, unresolvedBlockerIssueIds: [blocker.id] });
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
    expect((await runRow(queued.id)).contextSnapshot).toMatchObject({ issueId: issue.id, wakeReason: "issue_commented", wakeCommentIds: [c1.id, c2.id], commentId: c2.id });

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
    const checkout = await t.current.post(`/api/issues/${issue.id}/checkout`, { agentId: agent.id, expectedStatuses: ["todo"] }, { token, runId: run.id });
    expect(checkout.status, JSON.stringify(checkout.body)).toBe(200);
    expect(await issueRow(issue.id)).toMatchObject({ status: "in_progress", assigneeAgentId: agent.id, executionRunId: run.id, checkoutRunId: run.id });

    const c = await comment(issue.id, "Note for whoever works on this.");
    const deferred = (await wakesOf(agent.id)).filter((w) => w.issueId === issue.id);
    expect(deferred).toHaveLength(1);
    expect(deferred[0]).toMatchObject({ status: "deferred_issue_execution", reason: "issue_execution_deferred" });

    openGate(run.id);
    expect((await waitForRunStatus(run.id, TERMINAL)).status).toBe("succeeded");
    const promoted = await waitForAgentRun(agent.id, "promoted comment run", (r) => r.issueId === issue.id);
    expect(promoted.contextSnapshot).toMatchObject({ issueId: issue.id, wakeReason: "issue_commented", wakeCommentIds: [c.id] });
    expect((await wakeRow(deferred[0]!.id))).toMatchObject({ reason: "issue_execution_promoted", runId: promoted.id });
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
