import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

const t = useTestApp();
const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

async function insertRun(companyId: string, agentId: string, status: string, issueId: string | null): Promise<string> {
  const [run] = await t.current.tdb.db.query<{ id: string }>(
    "INSERT INTO heartbeat_runs (company_id, agent_id, status, issue_id, context_snapshot) VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id",
    [companyId, agentId, status, issueId, JSON.stringify({ issueId, wakeCommentId: "c-1" })],
  );
  return run!.id;
}

async function count(sql: string, params: unknown[]) {
  const [row] = await t.current.tdb.db.query<{ n: number }>(sql, params);
  return row!.n;
}

describe("DELETE /api/issues/:id", () => {
  it("removes the issue with its comments, blocker edges, documents and archives; children stay top-level; runs stay", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const blocker = await createIssue(t.current, company.id, { title: "blocker" });
    const issue = await createIssue(t.current, company.id, { title: "doomed", blockedByIssueIds: [blocker.id] });
    const child = await createIssue(t.current, company.id, { title: "child", parentId: issue.id });
    await t.current.post(`/api/issues/${issue.id}/comments`, { body: "a comment" });
    expect((await t.current.put(`/api/issues/${issue.id}/documents/plan`, { body: "# Plan" })).status).toBe(201);
    await t.current.post(`/api/issues/${issue.id}/inbox-archive`);
    const oldRun = await insertRun(company.id, agent.id, "succeeded", issue.id);
    const [{ documentId }] = await t.current.tdb.db.query<{ documentId: string }>(
      "SELECT document_id FROM issue_documents WHERE issue_id = $1",
      [issue.id],
    );
    await t.current.tdb.db.query(
      "INSERT INTO agent_wakeup_requests (company_id, agent_id, source, status, issue_id) VALUES ($1, $2, 'assignment', 'deferred_issue_execution', $3)",
      [company.id, agent.id, issue.id],
    );

    const res = await t.current.del(`/api/issues/${issue.identifier}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: issue.id, identifier: issue.identifier, title: "doomed" });
    expect((await t.current.get(`/api/issues/${issue.id}`)).status).toBe(404);
    expect(await count("SELECT count(*)::int AS n FROM issue_comments WHERE issue_id = $1", [issue.id])).toBe(0);
    expect(await count("SELECT count(*)::int AS n FROM issue_relations WHERE related_issue_id = $1 OR issue_id = $1", [issue.id])).toBe(0);
    expect(await count("SELECT count(*)::int AS n FROM documents WHERE id = $1", [documentId])).toBe(0);
    expect(await count("SELECT count(*)::int AS n FROM issue_inbox_archives WHERE issue_id = $1", [issue.id])).toBe(0);
    expect(
      await count("SELECT count(*)::int AS n FROM agent_wakeup_requests WHERE issue_id = $1 AND status = 'cancelled'", [issue.id]),
    ).toBe(1);
    expect((await t.current.get(`/api/issues/${child.id}`)).body.parentId).toBeNull();
    expect((await t.current.get(`/api/issues/${blocker.id}`)).status).toBe(200);
    expect((await t.current.get(`/api/heartbeat-runs/${oldRun}`)).status).toBe(200);
    const [activity] = await t.current.tdb.db.query<{ details: Record<string, unknown> }>(
      "SELECT details FROM activity_log WHERE entity_id = $1 AND action = 'issue.deleted'",
      [issue.id],
    );
    expect(activity!.details).toEqual({ identifier: issue.identifier, title: "doomed" });
  });

  it("refused while a run of the issue is live (409); agent 403; another company or unknown 404", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    const issue = await createIssue(t.current, company.id);
    const runId = await insertRun(company.id, agent.id, "queued", issue.id);
    const busy = await t.current.del(`/api/issues/${issue.id}`);
    expect(busy.status).toBe(409);
    expect(busy.body).toMatchObject({ code: "issue_run_live", details: { runIds: [runId] } });
    expect((await t.current.get(`/api/issues/${issue.id}`)).status).toBe(200);

    expect((await t.current.del(`/api/issues/${issue.id}`, { token: key.token })).status).toBe(403);
    expect((await t.current.del(`/api/issues/${UNKNOWN_UUID}`)).status).toBe(404);
    expect((await t.current.del(`/api/issues/not-an-id`)).status).toBe(404);
  });
});

describe("GET /api/issues/:id/active-run and /live-runs", () => {
  it("the execution-lock run while live, else null; live-runs lists queued and running runs of the issue", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    // No assignee: assigning would queue an assignment run of its own.
    const issue = await createIssue(t.current, company.id);
    const other = await createIssue(t.current, company.id);
    expect((await t.current.get(`/api/issues/${issue.id}/active-run`)).body).toBeNull();
    expect((await t.current.get(`/api/issues/${issue.id}/live-runs`)).body).toEqual([]);

    const running = await insertRun(company.id, agent.id, "running", issue.id);
    const queued = await insertRun(company.id, agent.id, "queued", issue.id);
    await insertRun(company.id, agent.id, "succeeded", issue.id);
    await insertRun(company.id, agent.id, "running", other.id);
    await t.current.tdb.db.query("UPDATE issues SET status = 'in_progress', execution_run_id = $2 WHERE id = $1", [issue.id, running]);

    const active = await t.current.get(`/api/issues/${issue.identifier}/active-run`);
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({
      id: running,
      status: "running",
      agentId: agent.id,
      agentName: agent.name,
      adapterType: "process",
      contextWakeCommentId: "c-1",
    });
    const live = await t.current.get(`/api/issues/${issue.id}/live-runs`);
    expect(live.body.map((r: { id: string }) => r.id).sort()).toEqual([running, queued].sort());

    await t.current.tdb.db.query("UPDATE heartbeat_runs SET status = 'succeeded' WHERE id = $1", [running]);
    expect((await t.current.get(`/api/issues/${issue.id}/active-run`)).body).toBeNull();
  });

  it("unknown issue 404; another company's issue 404 for an agent", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    const foreign = await createIssue(t.current, other.id);
    for (const view of ["active-run", "live-runs"]) {
      expect((await t.current.get(`/api/issues/${UNKNOWN_UUID}/${view}`)).status).toBe(404);
      expect((await t.current.get(`/api/issues/${foreign.id}/${view}`, { token: key.token })).status).toBe(404);
    }
  });
});
