import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useTestApp, type TestApp } from "./helpers/test-app.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { reconcileStrandedAssignedIssues } from "../src/runs/recovery/stranded.js";
import { decideStranded, type StrandedFacts } from "../src/runs/recovery/stranded-decision.js";
import { WITHHELD_FAILURE_LINE } from "../src/runs/recovery/escalation.js";

// Stranded-issue reconciliation and escalation (docs/runs.md#recovery-and-escalation).
const t = useTestApp();
const reconcile = (companyId: string) =>
  reconcileStrandedAssignedIssues(t.current.tdb.db, t.current.services.engine.enqueuer, { companyId });

async function fixture(
  app: TestApp,
  opts: {
    status: "todo" | "in_progress";
    runStatus?: string;
    retryReason?: string;
    error?: string | null;
    errorCode?: string | null;
    originKind?: string;
    link?: boolean;
    assigneeUser?: boolean;
  },
) {
  const company = await createCompany(app);
  const agent = await createAgent(app, company.id);
  const issue = await createIssue(app, company.id, { status: "backlog" });
  await app.tdb.db.query("UPDATE issues SET status = $2, assignee_agent_id = $3, origin_kind = $4, origin_id = $5 WHERE id = $1", [
    issue.id,
    opts.status,
    opts.assigneeUser ? null : agent.id,
    opts.originKind ?? "manual",
    opts.originKind ? randomUUID() : null,
  ]);
  if (opts.assigneeUser) await app.tdb.db.query("UPDATE issues SET assignee_user_id = 'local-board' WHERE id = $1", [issue.id]);
  let runId: string | null = null;
  if (opts.runStatus) {
    runId = randomUUID();
    await app.tdb.db.query(
      `INSERT INTO heartbeat_runs (id, company_id, agent_id, status, issue_id, error, error_code, finished_at, context_snapshot)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8::jsonb)`,
      [
        runId,
        company.id,
        agent.id,
        opts.runStatus,
        issue.id,
        opts.error ?? null,
        opts.errorCode ?? null,
        JSON.stringify({ issueId: issue.id, ...(opts.retryReason ? { retryReason: opts.retryReason } : {}) }),
      ],
    );
  }
  if (opts.link && runId) await app.tdb.db.query("UPDATE issues SET execution_run_id = $2 WHERE id = $1", [issue.id, runId]);
  return { company, agent, issue, runId };
}

async function runsOf(app: TestApp, agentId: string) {
  return app.tdb.db.query<{ id: string; status: string; retryOfRunId: string | null; contextSnapshot: Record<string, unknown> }>(
    "SELECT id, status, retry_of_run_id, context_snapshot FROM heartbeat_runs WHERE agent_id = $1 ORDER BY created_at",
    [agentId],
  );
}

describe("stranded decision table", () => {
  const base: StrandedFacts = {
    issue: {
      id: "i",
      companyId: "c",
      identifier: "X-1",
      status: "todo",
      priority: "medium",
      projectId: null,
      goalId: null,
      assigneeAgentId: "a",
      createdByAgentId: null,
      originKind: "manual",
      checkoutRunId: null,
      executionRunId: null,
    },
    agentInvokable: true,
    hasActiveRun: false,
    hasDeferredWake: false,
    hasQueuedWake: false,
    latestRun: null,
  };
  const run = (status: string, retryReason: string | null = null, livenessState: string | null = null) => ({
    id: "r",
    status,
    error: null,
    errorCode: null,
    retryReason,
    livenessState,
  });
  it.each([
    ["paused agent", { agentInvokable: false }, "skip"],
    ["active run", { hasActiveRun: true }, "skip"],
    ["deferred wake", { hasDeferredWake: true }, "skip"],
    ["todo, no run", {}, "dispatch"],
    ["todo, no run, queued wake", { hasQueuedWake: true }, "skip"],
    ["todo, succeeded run", { latestRun: run("succeeded") }, "skip"],
    ["todo, failed run", { latestRun: run("failed") }, "requeue_dispatch"],
    ["todo, failed run, old queued wake", { latestRun: run("failed"), hasQueuedWake: true }, "requeue_dispatch"],
    ["todo, failed dispatch recovery", { latestRun: run("failed", "assignment_recovery") }, "escalate"],
    ["in_progress, no run, no linkage", { issue: { ...base.issue, status: "in_progress" } }, "skip"],
    [
      "in_progress, timed out run",
      { issue: { ...base.issue, status: "in_progress" }, latestRun: run("timed_out") },
      "requeue_continuation",
    ],
    [
      "in_progress, failed continuation",
      { issue: { ...base.issue, status: "in_progress" }, latestRun: run("failed", "issue_continuation_needed") },
      "escalate",
    ],
    [
      "in_progress, succeeded advanced",
      { issue: { ...base.issue, status: "in_progress" }, latestRun: run("succeeded", null, "advanced") },
      "observed_productive",
    ],
    [
      "in_progress, succeeded plan_only",
      { issue: { ...base.issue, status: "in_progress" }, latestRun: run("succeeded", null, "plan_only") },
      "observed_successful",
    ],
    [
      "recovery issue, failed run",
      { issue: { ...base.issue, originKind: "stranded_issue_recovery" }, latestRun: run("failed") },
      "block_recovery_in_place",
    ],
  ] as const)("%s -> %s", (_label, patch, kind) => {
    expect(decideStranded({ ...base, ...(patch as Partial<StrandedFacts>) }).kind).toBe(kind);
  });
});

describe("reconcileStrandedAssignedIssues", () => {
  it("dispatches assigned todo work with no prior run as a normal assignment wake", async () => {
    const { company, agent, issue } = await fixture(t.current, { status: "todo" });
    const result = await reconcile(company.id);
    expect(result).toMatchObject({
      assignmentDispatched: 1,
      dispatchRequeued: 0,
      continuationRequeued: 0,
      escalated: 0,
      issueIds: [issue.id],
    });
    const wakes = await t.current.tdb.db.query<{ source: string; reason: string; payload: Record<string, unknown> }>(
      "SELECT source, reason, payload FROM agent_wakeup_requests WHERE agent_id = $1",
      [agent.id],
    );
    expect(wakes).toHaveLength(1);
    expect(wakes[0]).toMatchObject({
      source: "assignment",
      reason: "issue_assigned",
      payload: { issueId: issue.id, mutation: "assigned_todo_liveness_dispatch" },
    });
    const runs = await runsOf(t.current, agent.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.retryOfRunId).toBeNull();
    expect(runs[0]!.contextSnapshot).toMatchObject({
      issueId: issue.id,
      taskId: issue.id,
      wakeReason: "issue_assigned",
      source: "issue.assigned_todo_liveness_dispatch",
    });
    expect(runs[0]!.contextSnapshot.retryReason).toBeUndefined();
  });

  it("does not duplicate initial dispatch when a queued wake already exists", async () => {
    const { company, agent, issue } = await fixture(t.current, { status: "todo" });
    await t.current.tdb.db.query(
      "INSERT INTO agent_wakeup_requests (company_id, agent_id, source, trigger_detail, reason, payload, status, issue_id) VALUES ($1, $2, 'assignment', 'system', 'issue_assigned', $3::jsonb, 'queued', $4)",
      [company.id, agent.id, JSON.stringify({ issueId: issue.id }), issue.id],
    );
    const result = await reconcile(company.id);
    expect(result).toMatchObject({ assignmentDispatched: 0, skipped: 1, issueIds: [] });
  });

  it("does not dispatch when the agent is paused, nor touch user-assigned work", async () => {
    const paused = await fixture(t.current, { status: "todo" });
    await t.current.post(`/api/agents/${paused.agent.id}/pause`);
    expect((await reconcile(paused.company.id)).assignmentDispatched).toBe(0);
    const user = await fixture(t.current, { status: "in_progress", runStatus: "failed", assigneeUser: true });
    const result = await reconcile(user.company.id);
    expect(result.issueIds).toEqual([]);
    expect(await runsOf(t.current, user.agent.id)).toHaveLength(1);
  });

  it("re-enqueues assigned todo work when the last run died, even with an old queued wake", async () => {
    const { company, agent, issue, runId } = await fixture(t.current, { status: "todo", runStatus: "failed" });
    const result = await reconcile(company.id);
    expect(result).toMatchObject({ dispatchRequeued: 1, escalated: 0, issueIds: [issue.id] });
    const runs = await runsOf(t.current, agent.id);
    expect(runs).toHaveLength(2);
    const retry = runs.find((r) => r.id !== runId)!;
    expect(retry.retryOfRunId).toBe(runId);
    expect(retry.contextSnapshot.retryReason).toBe("assignment_recovery");
  });

  it.each(["failed", "timed_out", "cancelled"])("re-enqueues continuation for in-progress work whose run %s", async (runStatus) => {
    const { company, agent, issue, runId } = await fixture(t.current, { status: "in_progress", runStatus });
    const result = await reconcile(company.id);
    expect(result).toMatchObject({ continuationRequeued: 1, escalated: 0, issueIds: [issue.id] });
    const retry = (await runsOf(t.current, agent.id)).find((r) => r.id !== runId)!;
    expect(retry.contextSnapshot).toMatchObject({ retryReason: "issue_continuation_needed", source: "issue.continuation_recovery" });
    expect(retry.retryOfRunId).toBe(runId);
  });

  it("does not continue in-progress work that has no run linkage", async () => {
    const { company } = await fixture(t.current, { status: "in_progress" });
    expect((await reconcile(company.id)).continuationRequeued).toBe(0);
  });

  it("blocks assigned todo work after the one automatic dispatch recovery was used, with a redacted recovery issue", async () => {
    const { company, agent, issue, runId } = await fixture(t.current, {
      status: "todo",
      runStatus: "failed",
      retryReason: "assignment_recovery",
      error: "adapter blew up with sk-test-recovery-secret",
      errorCode: "adapter_failed",
    });
    const result = await reconcile(company.id);
    expect(result).toMatchObject({ dispatchRequeued: 0, escalated: 1, issueIds: [issue.id] });
    const source = (await t.current.get(`/api/issues/${issue.id}`)).body;
    expect(source.status).toBe("blocked");
    const [recovery] = await t.current.tdb.db.query<Record<string, any>>(
      "SELECT * FROM issues WHERE origin_kind = 'stranded_issue_recovery' AND origin_id = $1",
      [issue.id],
    );
    expect(recovery).toMatchObject({
      parentId: issue.id,
      assigneeAgentId: agent.id,
      originRunId: runId,
      priority: "medium",
      status: "todo",
    });
    expect(recovery!.title).toContain("Recover stalled issue");
    expect(recovery!.description).toContain("Previous source status: `todo`");
    expect(recovery!.description).toContain("Retry reason: `assignment_recovery`");
    expect(recovery!.description).toContain("Fix the runtime/adapter problem");
    expect(recovery!.description).toContain(WITHHELD_FAILURE_LINE);
    expect(recovery!.description).not.toContain("sk-test-recovery-secret");
    expect(source.blockedBy.map((b: { id: string }) => b.id)).toEqual([recovery!.id]);
    const comments = (await t.current.get(`/api/issues/${issue.id}/comments`)).body;
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toContain("retried dispatch");
    expect(comments[0].body).toContain(`Recovery issue: [${recovery!.identifier}]`);
    expect(comments[0].body).not.toContain("sk-test-recovery-secret");
    const wake = (
      await t.current.tdb.db.query<{ reason: string; source: string; payload: Record<string, unknown>; runId: string }>(
        "SELECT reason, source, payload, run_id FROM agent_wakeup_requests WHERE issue_id = $1",
        [recovery!.id],
      )
    ).at(0)!;
    expect(wake).toMatchObject({
      reason: "issue_assigned",
      source: "assignment",
      payload: { issueId: recovery!.id, sourceIssueId: issue.id, strandedRunId: runId },
    });
    const [recoveryRun] = await t.current.tdb.db.query<{ contextSnapshot: Record<string, unknown> }>(
      "SELECT context_snapshot FROM heartbeat_runs WHERE id = $1",
      [wake.runId],
    );
    expect(recoveryRun!.contextSnapshot).toMatchObject({
      issueId: recovery!.id,
      taskId: recovery!.id,
      source: "stranded_issue_recovery",
      sourceIssueId: issue.id,
      strandedRunId: runId,
    });
  });

  it("says 'none recorded' only when the run left neither error nor error code", async () => {
    const { company, issue } = await fixture(t.current, {
      status: "in_progress",
      runStatus: "failed",
      retryReason: "issue_continuation_needed",
    });
    await reconcile(company.id);
    const [recovery] = await t.current.tdb.db.query<{ description: string }>("SELECT description FROM issues WHERE origin_id = $1", [
      issue.id,
    ]);
    expect(recovery!.description).toContain("none recorded");
    const redacted = await fixture(t.current, {
      status: "in_progress",
      runStatus: "failed",
      retryReason: "issue_continuation_needed",
      errorCode: "process_lost",
    });
    await reconcile(redacted.company.id);
    const [r2] = await t.current.tdb.db.query<{ description: string }>("SELECT description FROM issues WHERE origin_id = $1", [
      redacted.issue.id,
    ]);
    expect(r2!.description).toContain(WITHHELD_FAILURE_LINE);
  });

  it("creates one recovery issue when 8 passes race", async () => {
    const { company, issue } = await fixture(t.current, {
      status: "in_progress",
      runStatus: "failed",
      retryReason: "issue_continuation_needed",
    });
    const results = await Promise.all(Array.from({ length: 8 }, () => reconcile(company.id)));
    expect(results.reduce((n, r) => n + r.escalated, 0)).toBe(1);
    const recoveries = await t.current.tdb.db.query(
      "SELECT id FROM issues WHERE origin_kind = 'stranded_issue_recovery' AND origin_id = $1",
      [issue.id],
    );
    expect(recoveries).toHaveLength(1);
    expect((await t.current.get(`/api/issues/${issue.id}/comments`)).body).toHaveLength(1);
  });

  it("blocks failing recovery issues in place instead of nesting, and reuses the canonical recovery issue", async () => {
    const { company, agent, issue } = await fixture(t.current, {
      status: "in_progress",
      runStatus: "failed",
      retryReason: "issue_continuation_needed",
    });
    await reconcile(company.id);
    const [recovery] = await t.current.tdb.db.query<{ id: string }>("SELECT id FROM issues WHERE origin_id = $1", [issue.id]);
    // The recovery issue's own run fails.
    await t.current.tdb.db.query(
      "UPDATE heartbeat_runs SET status = 'failed', finished_at = now(), error_code = 'adapter_failed' WHERE issue_id = $1",
      [recovery!.id],
    );
    const second = await reconcile(company.id);
    expect(second.escalated).toBe(1);
    const after = (await t.current.get(`/api/issues/${recovery!.id}`)).body;
    expect(after.status).toBe("blocked");
    expect(after.assigneeAgentId).toBe(agent.id);
    const nested = await t.current.tdb.db.query("SELECT id FROM issues WHERE origin_id = $1", [recovery!.id]);
    expect(nested).toHaveLength(0);
    const comments = (await t.current.get(`/api/issues/${recovery!.id}/comments`)).body;
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toContain("stopped automatic stranded-work recovery");
    expect(comments[0].body).toContain("do not create nested `stranded_issue_recovery` issues");
    expect(comments[0].body).toContain(WITHHELD_FAILURE_LINE);
    // A later pass changes nothing more (one comment per escalation).
    await reconcile(company.id);
    expect((await t.current.get(`/api/issues/${recovery!.id}/comments`)).body).toHaveLength(1);
    const source = (await t.current.get(`/api/issues/${issue.id}`)).body;
    expect(source.blockedBy.map((b: { id: string }) => b.id)).toEqual([recovery!.id]);
  });

  it("records productive continuation instead of recovery when the latest run succeeded", async () => {
    const { company, issue, runId } = await fixture(t.current, { status: "in_progress", runStatus: "succeeded" });
    await t.current.tdb.db.query("UPDATE heartbeat_runs SET liveness_state = 'advanced' WHERE id = $1", [runId]);
    const result = await reconcile(company.id);
    expect(result).toMatchObject({ productiveContinuationObserved: 1, continuationRequeued: 0, escalated: 0 });
    expect((await t.current.get(`/api/issues/${issue.id}`)).body.status).toBe("in_progress");
  });
});

describe("orphan blockers", () => {
  it("assigns open unassigned blockers back to their creator agent, with one comment and a wake", async () => {
    const company = await createCompany(t.current);
    const creator = await createAgent(t.current, company.id);
    const key = await t.current.post(`/api/agents/${creator.id}/keys`, { name: "k" });
    const blocked = await createIssue(t.current, company.id, { status: "todo" });
    const orphan = await t.current.post(
      `/api/companies/${company.id}/issues`,
      { title: "prerequisite", status: "todo" },
      { token: key.body.token },
    );
    expect(orphan.status).toBe(201);
    await t.current.patch(`/api/issues/${blocked.id}`, { blockedByIssueIds: [orphan.body.id] });
    const result = await reconcile(company.id);
    expect(result.orphanBlockersAssigned).toBe(1);
    const after = (await t.current.get(`/api/issues/${orphan.body.id}`)).body;
    expect(after.assigneeAgentId).toBe(creator.id);
    const comments = (await t.current.get(`/api/issues/${orphan.body.id}/comments`)).body;
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toContain("## Assigned Orphan Blocker");
    expect(comments[0].body).toContain(`[${blocked.identifier}](/${blocked.identifier.split("-")[0]}/issues/${blocked.identifier})`);
    const [wake] = await t.current.tdb.db.query<{ reason: string; payload: Record<string, unknown> }>(
      "SELECT reason, payload FROM agent_wakeup_requests WHERE issue_id = $1",
      [orphan.body.id],
    );
    expect(wake).toMatchObject({ reason: "issue_assigned", payload: { issueId: orphan.body.id, mutation: "unassigned_blocker_recovery" } });
    // A second pass changes nothing.
    expect((await reconcile(company.id)).orphanBlockersAssigned).toBe(0);
  });

  it("leaves board-created or already-assigned blockers alone", async () => {
    const company = await createCompany(t.current);
    const blocker = await createIssue(t.current, company.id, { status: "todo" });
    const blocked = await createIssue(t.current, company.id, { status: "todo" });
    await t.current.patch(`/api/issues/${blocked.id}`, { blockedByIssueIds: [blocker.id] });
    expect((await reconcile(company.id)).orphanBlockersAssigned).toBe(0);
  });
});
