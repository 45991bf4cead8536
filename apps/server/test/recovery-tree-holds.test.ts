import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { signAgentJwt } from "../src/auth/agent-jwt.js";
import { TEST_JWT_SECRET } from "./helpers/test-app.js";
import { reconcileStrandedAssignedIssues } from "../src/runs/recovery/stranded.js";

// Pause holds (docs/runs.md#tree-holds): they cancel the subtree's runs and gate enqueue, claim, checkout,
// promotion and automatic recovery, while a human's comment still reaches the agent.
const t = useTestServer({ runtime: { recovery: { strandedReconciliation: false } } });

const sleeper = (seconds: number) => ({
  adapterConfig: { command: "/bin/sh", args: ["-c", `sleep ${seconds}`], timeoutSec: 60, graceSec: 1 },
});
const runsOf = (issueId: string) =>
  t.current.tdb.db.query<{ id: string; status: string; errorCode: string | null; contextSnapshot: Record<string, unknown> }>(
    "SELECT id, status, error_code, context_snapshot FROM heartbeat_runs WHERE issue_id = $1 ORDER BY created_at",
    [issueId],
  );

describe("tree holds", () => {
  it("pausing a subtree cancels its running runs and refuses new wakes until released", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, sleeper(30));
    const parent = await createIssue(t.current, company.id, { status: "backlog" });
    const child = await createIssue(t.current, company.id, { status: "todo", parentId: parent.id, assigneeAgentId: agent.id });
    await waitFor("child run running", async () => (await runsOf(child.id)).find((r) => r.status === "running"));

    const hold = await t.current.post(`/api/issues/${parent.id}/tree-holds`, { mode: "pause", reason: "investigating" });
    expect(hold.status, JSON.stringify(hold.body)).toBe(201);
    expect(hold.body).toMatchObject({ mode: "pause", status: "active", memberCount: 2, cancelledRuns: 1 });
    const [cancelled] = await runsOf(child.id);
    expect(cancelled).toMatchObject({ status: "cancelled", errorCode: "issue_tree_hold_active" });
    expect((await t.current.post(`/api/issues/${parent.id}/tree-holds`, { mode: "pause" })).status).toBe(409);

    // Enqueue is gated: a manual wake for the held issue is recorded as skipped.
    const wake = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", payload: { issueId: child.id } });
    expect(wake.status).toBe(202);
    expect(wake.body).toMatchObject({ status: "skipped", reason: "issue_tree_hold_active" });
    const activity = await t.current.get(`/api/issues/${child.id}/activity`);
    expect(activity.body.map((a: { action: string }) => a.action)).toContain("issue.tree_hold_wakeup_deferred");

    // Checkout is refused while held.
    const checkout = await t.current.post(`/api/issues/${child.id}/checkout`, {
      agentId: agent.id,
      expectedStatuses: ["todo", "in_progress"],
    });
    expect(checkout.status).toBe(409);
    expect(checkout.body.code).toBe("issue_tree_hold_active");

    // A human comment is an interaction: it still reaches the agent.
    const comment = await t.current.post(`/api/issues/${child.id}/comments`, { body: "Can you explain where you are?" });
    expect(comment.status).toBe(201);
    const interaction = await waitFor("interaction run", async () =>
      (await runsOf(child.id)).find((r) => r.contextSnapshot.wakeReason === "issue_commented"),
    );
    expect(interaction.contextSnapshot.treeHoldInteraction).toBe(true);
    await t.current.post(`/api/heartbeat-runs/${interaction.id}/cancel`);

    // Released: wakes work again.
    const released = await t.current.post(`/api/issues/${parent.id}/tree-holds/${hold.body.id}/release`, { reason: "done looking" });
    expect(released.status).toBe(200);
    expect(released.body.status).toBe("released");
    const after = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", payload: { issueId: child.id } });
    expect(after.body.status).toMatch(/queued|running/);
    await t.current.post(`/api/heartbeat-runs/${after.body.id}/cancel`);
  });

  it("a queued run of a held issue is cancelled at claim, with an audit row", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, sleeper(30));
    const issue = await createIssue(t.current, company.id, { status: "backlog" });
    await t.current.tdb.db.query("UPDATE issues SET assignee_agent_id = $2, status = 'todo' WHERE id = $1", [issue.id, agent.id]);
    // A queued run that predates the hold (inserted directly, as if enqueued just before).
    const runId = randomUUID();
    await t.current.tdb.db.query(
      `INSERT INTO heartbeat_runs (id, company_id, agent_id, status, issue_id, task_key, context_snapshot) VALUES ($1, $2, $3, 'queued', $4, $6, $5::jsonb)`,
      [runId, company.id, agent.id, issue.id, JSON.stringify({ issueId: issue.id, wakeReason: "issue_assigned" }), issue.id],
    );
    await t.current.tdb.db.query(
      "INSERT INTO issue_tree_holds (company_id, root_issue_id, mode, created_by_actor_type, created_by_actor_id) VALUES ($1, $2, 'pause', 'user', 'local-board')",
      [company.id, issue.id],
    );
    t.current.services.engine.poke(agent.id);
    const run = await waitFor("run cancelled at claim", async () =>
      (await runsOf(issue.id)).find((r) => r.id === runId && r.status === "cancelled"),
    );
    expect(run.errorCode).toBe("issue_tree_hold_active");
    const [audit] = await t.current.tdb.db.query(
      "SELECT id FROM activity_log WHERE action = 'issue.tree_hold_run_interrupted' AND run_id = $1",
      [runId],
    );
    expect(audit).toBeTruthy();
  });

  it("the reconciliation pass and immediate recovery leave held work alone (no comment, no recovery issue)", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, sleeper(30));
    const issue = await createIssue(t.current, company.id, { status: "backlog" });
    await t.current.tdb.db.query("UPDATE issues SET assignee_agent_id = $2, status = 'in_progress' WHERE id = $1", [issue.id, agent.id]);
    await t.current.tdb.db.query(
      `INSERT INTO heartbeat_runs (company_id, agent_id, status, issue_id, error_code, finished_at, context_snapshot)
       VALUES ($1, $2, 'cancelled', $3, 'issue_tree_hold_active', now(), $4::jsonb)`,
      [company.id, agent.id, issue.id, JSON.stringify({ issueId: issue.id, retryReason: "issue_continuation_needed" })],
    );
    await t.current.post(`/api/issues/${issue.id}/tree-holds`, { mode: "pause" });
    const result = await reconcileStrandedAssignedIssues(t.current.tdb.db, t.current.services.engine.enqueuer, { companyId: company.id });
    expect(result).toMatchObject({ continuationRequeued: 0, escalated: 0, issueIds: [] });
    expect((await t.current.get(`/api/issues/${issue.id}`)).body.status).toBe("in_progress");
    expect((await t.current.get(`/api/issues/${issue.id}/comments`)).body).toHaveLength(0);
    const recoveries = await t.current.tdb.db.query("SELECT id FROM issues WHERE origin_id = $1", [issue.id]);
    expect(recoveries).toHaveLength(0);
  });

  it("only the board may hold a subtree; cancel mode also cancels the subtree's issues", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, sleeper(1));
    const key = await t.current.post(`/api/agents/${agent.id}/keys`, { name: "k" });
    const root = await createIssue(t.current, company.id, { status: "backlog" });
    const leaf = await createIssue(t.current, company.id, { status: "backlog", parentId: root.id });
    expect((await t.current.post(`/api/issues/${root.id}/tree-holds`, { mode: "pause" }, { token: key.body.token })).status).toBe(403);
    const res = await t.current.post(`/api/issues/${root.id}/tree-holds`, { mode: "cancel" });
    expect(res.status).toBe(201);
    expect((await t.current.get(`/api/issues/${leaf.id}`)).body.status).toBe("cancelled");
    expect((await t.current.get(`/api/issues/${root.id}`)).body.status).toBe("cancelled");
    const jwt = signAgentJwt(
      { agentId: agent.id, companyId: company.id, adapterType: "process", runId: randomUUID() },
      TEST_JWT_SECRET,
      60,
    );
    expect((await t.current.get(`/api/issues/${root.id}/tree-holds`, { token: jwt })).status).toBe(401); // unknown run
  });
});
