import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

const t = useTestApp();

const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

async function companyActivity(companyId: string, query = "", token?: string) {
  const res = await t.current.get(`/api/companies/${companyId}/activity${query}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as any[];
}

async function activityCount(companyId: string): Promise<number> {
  const [row] = await t.current.tdb.db.query<{ count: number }>("SELECT count(*)::int AS count FROM activity_log WHERE company_id = $1", [
    companyId,
  ]);
  return row!.count;
}

function expectNewestFirst(rows: { createdAt: string }[]) {
  for (let i = 1; i < rows.length; i++) {
    expect(new Date(rows[i - 1]!.createdAt).getTime()).toBeGreaterThanOrEqual(new Date(rows[i]!.createdAt).getTime());
  }
}

describe("every mutation writes its activity row", () => {
  it("a sequence of board and agent mutations is listed newest first with actor, entity and details", async () => {
    const company = await createCompany(t.current, { name: "Audit Co" });
    const agent = await createAgent(t.current, company.id, { name: "Auditor", role: "qa" });
    const key1 = await createAgentKey(t.current, agent.id);
    expect((await t.current.del(`/api/agents/${agent.id}/keys/${key1.id}`)).status).toBe(200);
    expect((await t.current.post(`/api/agents/${agent.id}/pause`)).status).toBe(200);
    expect((await t.current.post(`/api/agents/${agent.id}/resume`)).status).toBe(200);
    const issue = await createIssue(t.current, company.id, { title: "Audit me" });
    expect((await t.current.patch(`/api/issues/${issue.id}`, { title: "Audit me now", priority: "high" })).status).toBe(200);
    const comment = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "noted" });
    expect(comment.status).toBe(201);
    const doc = await t.current.put(`/api/issues/${issue.id}/documents/plan`, { body: "the plan" });
    expect(doc.status).toBe(201);
    // The same kinds of mutation made by the agent itself.
    const key2 = await createAgentKey(t.current, agent.id);
    const agentIssue = await createIssue(t.current, company.id, { title: "Agent's own" }, key2.token);
    const agentComment = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "from the agent" }, { token: key2.token });
    expect(agentComment.status).toBe(201);

    const rows = await companyActivity(company.id);
    expect(rows.map((r) => r.action)).toEqual([
      "issue.comment_added",
      "issue.created",
      "agent.key_created",
      "issue.document_created",
      "issue.comment_added",
      "issue.updated",
      "issue.created",
      "agent.resumed",
      "agent.paused",
      "agent.key_revoked",
      "agent.key_created",
      "agent.created",
      "company.created",
    ]);
    expectNewestFirst(rows);
    for (const row of rows) {
      expect(row.companyId).toBe(company.id);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.runId).toBeNull();
    }
    const board = { actorType: "user", actorId: "local-board" };
    const byAgent = { actorType: "agent", actorId: agent.id, agentId: agent.id };
    const [
      agentCommentRow,
      agentIssueRow,
      key2Row,
      docRow,
      commentRow,
      updatedRow,
      createdRow,
      resumedRow,
      pausedRow,
      revokedRow,
      key1Row,
      agentRow,
      companyRow,
    ] = rows;

    expect(companyRow).toMatchObject({ ...board, entityType: "company", entityId: company.id, agentId: null });
    expect(companyRow.details).toMatchObject({ name: "Audit Co", issuePrefix: company.issuePrefix });
    expect(agentRow).toMatchObject({ ...board, entityType: "agent", entityId: agent.id, agentId: agent.id });
    expect(agentRow.details).toMatchObject({ name: "Auditor", role: "qa", adapterType: "process" });
    expect(key1Row).toMatchObject({ ...board, entityType: "agent", entityId: agent.id, agentId: agent.id });
    expect(key1Row.details).toEqual({ keyId: key1.id, name: "test" });
    expect(JSON.stringify(key1Row.details)).not.toContain(key1.token);
    expect(revokedRow).toMatchObject({ ...board, entityType: "agent", entityId: agent.id, details: { keyId: key1.id } });
    expect(pausedRow).toMatchObject({
      ...board,
      entityType: "agent",
      entityId: agent.id,
      agentId: agent.id,
      details: { previousStatus: "idle" },
    });
    expect(resumedRow).toMatchObject({ ...board, entityType: "agent", entityId: agent.id, details: { previousStatus: "paused" } });
    expect(createdRow).toMatchObject({ ...board, entityType: "issue", entityId: issue.id, agentId: null });
    expect(createdRow.details).toMatchObject({ identifier: issue.identifier, title: "Audit me", status: "backlog" });
    expect(updatedRow).toMatchObject({ ...board, entityType: "issue", entityId: issue.id });
    expect(updatedRow.details.changes).toEqual({
      title: { from: "Audit me", to: "Audit me now" },
      priority: { from: "medium", to: "high" },
    });
    expect(commentRow).toMatchObject({ ...board, entityType: "issue", entityId: issue.id, details: { commentId: comment.body.id } });
    expect(docRow).toMatchObject({ ...board, entityType: "issue", entityId: issue.id });
    expect(docRow.details).toMatchObject({ key: "plan", documentId: doc.body.id, revisionNumber: 1 });
    expect(key2Row.details.keyId).toBe(key2.id);
    expect(agentIssueRow).toMatchObject({ ...byAgent, entityType: "issue", entityId: agentIssue.id });
    expect(agentCommentRow).toMatchObject({
      ...byAgent,
      entityType: "issue",
      entityId: issue.id,
      details: { commentId: agentComment.body.id },
    });
  });

  it("goal, project, company and terminate mutations are recorded too", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    expect((await t.current.patch(`/api/companies/${company.id}`, { description: "new" })).status).toBe(200);
    const goal = await t.current.post(`/api/companies/${company.id}/goals`, { title: "Grow" });
    expect(goal.status).toBe(201);
    const project = await t.current.post(`/api/companies/${company.id}/projects`, { name: "Launch" });
    expect(project.status).toBe(201);
    expect((await t.current.patch(`/api/agents/${agent.id}`, { title: "Lead" })).status).toBe(200);
    expect((await t.current.post(`/api/agents/${agent.id}/terminate`)).status).toBe(200);
    const rows = await companyActivity(company.id);
    expect(rows.map((r) => r.action)).toEqual([
      "agent.terminated",
      "agent.updated",
      "project.created",
      "goal.created",
      "company.updated",
      "agent.created",
      "company.created",
    ]);
    expect(rows[2]).toMatchObject({ entityType: "project", entityId: project.body.id });
    expect(rows[3]).toMatchObject({ entityType: "goal", entityId: goal.body.id });
    expect(rows[1].details).toEqual({ changedFields: ["title"] });
  });

  it("a run id ties the activity row to the run", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    const [run] = await t.current.tdb.db.query<{ id: string }>(
      "INSERT INTO heartbeat_runs (company_id, agent_id, status) VALUES ($1, $2, 'running') RETURNING id",
      [company.id, agent.id],
    );
    const issue = await createIssue(t.current, company.id, {}, undefined);
    const res = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "in a run" }, { token: key.token, runId: run!.id });
    expect(res.status).toBe(201);
    const [row] = await companyActivity(company.id);
    expect(row).toMatchObject({ action: "issue.comment_added", actorType: "agent", actorId: agent.id, agentId: agent.id, runId: run!.id });
  });

  it("a PATCH that changes nothing writes no row", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id, { title: "Same" });
    const before = await activityCount(company.id);
    const res = await t.current.patch(`/api/issues/${issue.id}`, { title: "Same", status: issue.status });
    expect(res.status).toBe(200);
    expect(await activityCount(company.id)).toBe(before);
  });
});

describe("atomicity: a failed mutation leaves no activity row and no partial change", () => {
  it("PATCH issue with a parent cycle -> 422; title unchanged; no row", async () => {
    const company = await createCompany(t.current);
    const parent = await createIssue(t.current, company.id, { title: "Parent" });
    const child = await createIssue(t.current, company.id, { title: "Child", parentId: parent.id });
    const before = await activityCount(company.id);
    const res = await t.current.patch(`/api/issues/${parent.id}`, { title: "Renamed parent", priority: "critical", parentId: child.id });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("parent_cycle");
    const after = await t.current.get(`/api/issues/${parent.id}`);
    expect(after.body).toMatchObject({ title: "Parent", priority: "medium", parentId: null });
    expect(await activityCount(company.id)).toBe(before);
  });

  it("PATCH issue with a blocker cycle -> 422; blockers and title unchanged; no comment; no row", async () => {
    const company = await createCompany(t.current);
    const a = await createIssue(t.current, company.id, { title: "A" });
    const b = await createIssue(t.current, company.id, { title: "B", blockedByIssueIds: [a.id] });
    const c = await createIssue(t.current, company.id, { title: "C" });
    const before = await activityCount(company.id);
    // b is blocked by a; making a blocked by b closes a loop.
    const res = await t.current.patch(`/api/issues/${a.id}`, { title: "A2", blockedByIssueIds: [c.id, b.id], comment: "should not land" });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("blocker_cycle");
    const after = await t.current.get(`/api/issues/${a.id}`);
    expect(after.body.title).toBe("A");
    expect(after.body.blockedBy).toEqual([]);
    expect(after.body.blocks.map((r: any) => r.id)).toEqual([b.id]);
    expect((await t.current.get(`/api/issues/${a.id}/comments`)).body).toEqual([]);
    expect(await activityCount(company.id)).toBe(before);
  });

  it("PATCH issue to in_progress without an assignee -> 422; no row", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    const before = await activityCount(company.id);
    const res = await t.current.patch(`/api/issues/${issue.id}`, { status: "in_progress", title: "changed" });
    expect(res.status).toBe(422);
    expect((await t.current.get(`/api/issues/${issue.id}`)).body).toMatchObject({ status: issue.status, title: issue.title });
    expect(await activityCount(company.id)).toBe(before);
  });

  it("PATCH agent with a reportsTo cycle -> 422; no partial change; no row", async () => {
    const company = await createCompany(t.current);
    const boss = await createAgent(t.current, company.id, { role: "ceo" });
    const report = await createAgent(t.current, company.id, { reportsTo: boss.id });
    const before = await activityCount(company.id);
    const res = await t.current.patch(`/api/agents/${boss.id}`, { title: "Chief", reportsTo: report.id });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("reports_to_cycle");
    const after = await t.current.get(`/api/agents/${boss.id}`);
    expect(after.body).toMatchObject({ title: null, reportsTo: null });
    expect(await activityCount(company.id)).toBe(before);
  });

  it("PATCH agent with reportsTo an agent of another company -> 422; no row", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const foreign = await createAgent(t.current, other.id);
    const before = await activityCount(company.id);
    const res = await t.current.patch(`/api/agents/${agent.id}`, { title: "X", reportsTo: foreign.id });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("reports_to_invalid");
    expect((await t.current.get(`/api/agents/${agent.id}`)).body.title).toBeNull();
    expect(await activityCount(company.id)).toBe(before);
  });

  it("issue create that fails after the insert (blocker of another company) -> 404; no issue, counter and activity untouched", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const foreignIssue = await createIssue(t.current, other.id);
    await createIssue(t.current, company.id);
    const before = await activityCount(company.id);
    const [{ issueCounter: counterBefore }] = (await t.current.tdb.db.query<{ issueCounter: number }>(
      "SELECT issue_counter FROM companies WHERE id = $1",
      [company.id],
    )) as [{ issueCounter: number }];
    const res = await t.current.post(`/api/companies/${company.id}/issues`, { title: "Doomed", blockedByIssueIds: [foreignIssue.id] });
    expect(res.status).toBe(404);
    const issues = await t.current.tdb.db.query("SELECT id FROM issues WHERE company_id = $1 AND title = 'Doomed'", [company.id]);
    expect(issues).toHaveLength(0);
    const [{ issueCounter: counterAfter }] = (await t.current.tdb.db.query<{ issueCounter: number }>(
      "SELECT issue_counter FROM companies WHERE id = $1",
      [company.id],
    )) as [{ issueCounter: number }];
    expect(counterAfter).toBe(counterBefore);
    expect(await activityCount(company.id)).toBe(before);
    // The next issue gets the next number: nothing was burnt.
    const next = await createIssue(t.current, company.id);
    expect(next.identifier).toBe(`${company.issuePrefix}-2`);
  });

  it("refused lifecycle and key operations write no row", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    expect((await t.current.post(`/api/agents/${agent.id}/resume`)).status).toBe(200); // idle already: no-op
    expect((await t.current.del(`/api/agents/${agent.id}/keys/${UNKNOWN_UUID}`)).status).toBe(404);
    expect((await t.current.post(`/api/agents/${agent.id}/terminate`)).status).toBe(200);
    const before = await activityCount(company.id);
    expect((await t.current.post(`/api/agents/${agent.id}/pause`)).status).toBe(409);
    expect((await t.current.post(`/api/agents/${agent.id}/keys`, { name: "late" })).status).toBe(409);
    expect((await t.current.post(`/api/agents/${agent.id}/terminate`)).status).toBe(200); // already terminated: no-op
    expect(await activityCount(company.id)).toBe(before);
    const actions = (await companyActivity(company.id)).map((r) => r.action);
    expect(actions).toEqual(["agent.terminated", "agent.created", "company.created"]);
  });
});

describe("filters", () => {
  async function setup() {
    const company = await createCompany(t.current);
    const a = await createAgent(t.current, company.id);
    const b = await createAgent(t.current, company.id);
    const keyA = await createAgentKey(t.current, a.id);
    const i1 = await createIssue(t.current, company.id);
    const i2 = await createIssue(t.current, company.id, {}, keyA.token);
    await t.current.post(`/api/issues/${i1.id}/comments`, { body: "board" });
    await t.current.post(`/api/issues/${i1.id}/comments`, { body: "agent a" }, { token: keyA.token });
    await t.current.post(`/api/agents/${b.id}/pause`);
    return { company, a, b, i1, i2 };
  }

  it("agentId keeps rows about or by that agent", async () => {
    const { company, a, b } = await setup();
    const rowsA = await companyActivity(company.id, `?agentId=${a.id}`);
    expect(rowsA.map((r) => r.action)).toEqual(["issue.comment_added", "issue.created", "agent.key_created", "agent.created"]);
    expect(rowsA.every((r) => r.agentId === a.id)).toBe(true);
    const rowsB = await companyActivity(company.id, `?agentId=${b.id}`);
    expect(rowsB.map((r) => r.action)).toEqual(["agent.paused", "agent.created"]);
    expect(await companyActivity(company.id, `?agentId=${UNKNOWN_UUID}`)).toEqual([]);
  });

  it("entityType and entityId select rows of one kind / one entity", async () => {
    const { company, a, i1, i2 } = await setup();
    const issues = await companyActivity(company.id, "?entityType=issue");
    expect(issues).toHaveLength(4);
    expect(issues.every((r) => r.entityType === "issue")).toBe(true);
    const agents = await companyActivity(company.id, "?entityType=agent");
    expect(agents.map((r) => r.action).sort()).toEqual(["agent.created", "agent.created", "agent.key_created", "agent.paused"]);
    const one = await companyActivity(company.id, `?entityId=${i1.id}`);
    expect(one.map((r) => r.action)).toEqual(["issue.comment_added", "issue.comment_added", "issue.created"]);
    expect(one.every((r) => r.entityId === i1.id)).toBe(true);
    const both = await companyActivity(company.id, `?entityType=agent&entityId=${a.id}`);
    expect(both.map((r) => r.action)).toEqual(["agent.key_created", "agent.created"]);
    const mismatch = await companyActivity(company.id, `?entityType=agent&entityId=${i2.id}`);
    expect(mismatch).toEqual([]);
    const combined = await companyActivity(company.id, `?agentId=${a.id}&entityType=issue&limit=1`);
    expect(combined).toHaveLength(1);
    expect(combined[0]).toMatchObject({ action: "issue.comment_added", entityId: i1.id, agentId: a.id });
    const company2 = await companyActivity(company.id, "?entityType=company");
    expect(company2.map((r) => r.action)).toEqual(["company.created"]);
  });

  it("filters never reach another company's rows", async () => {
    const { i1 } = await setup();
    const other = await createCompany(t.current);
    expect(await companyActivity(other.id, `?entityId=${i1.id}`)).toEqual([]);
    expect((await companyActivity(other.id)).map((r) => r.action)).toEqual(["company.created"]);
  });

  it("bad filters -> 400", async () => {
    const company = await createCompany(t.current);
    for (const q of ["?agentId=abc", "?entityType=", "?bogus=1", `?entityId=${"x".repeat(201)}`]) {
      const res = await t.current.get(`/api/companies/${company.id}/activity${q}`);
      expect(res.status, q).toBe(400);
    }
  });
});

describe("limit", () => {
  it("defaults to 100 (over more than 100 real rows)", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    for (let i = 0; i < 105; i++) {
      const res = await t.current.post(`/api/issues/${issue.id}/comments`, { body: `c${i}` });
      expect(res.status).toBe(201);
    }
    expect(await activityCount(company.id)).toBe(107);
    const rows = await companyActivity(company.id);
    expect(rows).toHaveLength(100);
    expectNewestFirst(rows);
    const commentIds = rows.map((r) => r.details.commentId);
    const newest = await t.current.get(`/api/issues/${issue.id}/comments?limit=100`);
    expect(commentIds).toEqual(newest.body.map((c: any) => c.id));
    expect(await companyActivity(company.id, "?limit=107")).toHaveLength(107);
  });

  it("is clamped to 1..500; a non-integer -> 400", async () => {
    const company = await createCompany(t.current);
    // 600 older rows written directly, one second apart (i = 0 is the newest of them).
    await t.current.tdb.db.query(
      `INSERT INTO activity_log (company_id, actor_type, actor_id, action, entity_type, entity_id, details, created_at)
       SELECT $1, 'system', 'system', 'test.bulk', 'test', i::text, jsonb_build_object('i', i),
              now() - interval '1 hour' - i * interval '1 second'
         FROM generate_series(0, 599) AS i`,
      [company.id],
    );
    const zero = await companyActivity(company.id, "?limit=0");
    expect(zero).toHaveLength(1);
    expect(zero[0].action).toBe("company.created");
    expect(await companyActivity(company.id, "?limit=-5")).toHaveLength(1);
    expect(await companyActivity(company.id, "?limit=1")).toHaveLength(1);
    const huge = await companyActivity(company.id, "?limit=100000");
    expect(huge).toHaveLength(500);
    expect(huge[0].action).toBe("company.created");
    expect(huge.slice(1).map((r) => r.details.i)).toEqual(Array.from({ length: 499 }, (_, i) => i));
    expect(await companyActivity(company.id, "?limit=500")).toHaveLength(500);
    expect(await companyActivity(company.id, "?limit=501")).toHaveLength(500);
    expect(await companyActivity(company.id, "?limit=250")).toHaveLength(250);
    expect(await companyActivity(company.id)).toHaveLength(100);
    for (const bad of ["abc", "1.5", "", "10abc", "1e3"]) {
      const res = await t.current.get(`/api/companies/${company.id}/activity?limit=${bad}`);
      expect(res.status, `limit=${bad}`).toBe(400);
    }
  });
});

describe("hidden issues", () => {
  it("rows of hidden issues are left out of the company list until unhidden", async () => {
    const company = await createCompany(t.current);
    const visible = await createIssue(t.current, company.id, { title: "Visible" });
    const secret = await createIssue(t.current, company.id, { title: "Secret" });
    await t.current.post(`/api/issues/${secret.id}/comments`, { body: "psst" });
    await t.current.put(`/api/issues/${secret.id}/documents/plan`, { body: "hidden plan" });
    await t.current.post(`/api/issues/${visible.id}/comments`, { body: "hello" });

    const before = await companyActivity(company.id);
    expect(before.filter((r) => r.entityId === secret.id)).toHaveLength(3);

    const hide = await t.current.patch(`/api/issues/${secret.id}`, { hidden: true });
    expect(hide.status).toBe(200);
    expect(hide.body.hiddenAt).not.toBeNull();

    const after = await companyActivity(company.id);
    expect(after.filter((r) => r.entityId === secret.id)).toEqual([]);
    expect(after.map((r) => r.action)).toEqual(["issue.comment_added", "issue.created", "company.created"]);
    expect(await companyActivity(company.id, `?entityId=${secret.id}`)).toEqual([]);
    expect((await companyActivity(company.id, "?entityType=issue")).every((r) => r.entityId === visible.id)).toBe(true);
    // The rows still exist; they are only filtered.
    const [{ count }] = (await t.current.tdb.db.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM activity_log WHERE entity_id = $1",
      [secret.id],
    )) as [{ count: number }];
    expect(count).toBe(4);
    // A hidden issue is also left out of issue lists.
    const list = await t.current.get(`/api/companies/${company.id}/issues`);
    expect(list.body.map((i: any) => i.id)).toEqual([visible.id]);

    expect((await t.current.patch(`/api/issues/${secret.id}`, { hidden: false })).status).toBe(200);
    const back = await companyActivity(company.id);
    expect(back.filter((r) => r.entityId === secret.id).map((r) => r.action)).toEqual([
      "issue.updated",
      "issue.updated",
      "issue.document_created",
      "issue.comment_added",
      "issue.created",
    ]);
    expect(back[0].details.changes).toEqual({ hidden: { from: true, to: false } });
  });

  it("agents cannot hide issues (403) and nothing changes", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    const issue = await createIssue(t.current, company.id);
    const before = await activityCount(company.id);
    const res = await t.current.patch(`/api/issues/${issue.id}`, { hidden: true }, { token: key.token });
    expect(res.status).toBe(403);
    expect((await t.current.get(`/api/issues/${issue.id}`)).body.hiddenAt).toBeNull();
    expect(await activityCount(company.id)).toBe(before);
  });
});

describe("GET /api/issues/:id/activity", () => {
  it("lists only that issue's rows, newest first; limit applies", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    const other = await createIssue(t.current, company.id);
    await t.current.patch(`/api/issues/${issue.id}`, { priority: "low" });
    await t.current.post(`/api/issues/${issue.id}/comments`, { body: "c" });
    await t.current.post(`/api/issues/${other.id}/comments`, { body: "other" });
    await t.current.put(`/api/issues/${issue.id}/documents/plan`, { body: "p" });
    const res = await t.current.get(`/api/issues/${issue.id}/activity`);
    expect(res.status).toBe(200);
    expect(res.body.map((r: any) => r.action)).toEqual(["issue.document_created", "issue.comment_added", "issue.updated", "issue.created"]);
    expect(res.body.every((r: any) => r.entityType === "issue" && r.entityId === issue.id)).toBe(true);
    expectNewestFirst(res.body);
    const byIdentifier = await t.current.get(`/api/issues/${issue.identifier}/activity`);
    expect(byIdentifier.body.map((r: any) => r.id)).toEqual(res.body.map((r: any) => r.id));
    const limited = await t.current.get(`/api/issues/${issue.id}/activity?limit=2`);
    expect(limited.body.map((r: any) => r.action)).toEqual(["issue.document_created", "issue.comment_added"]);
    expect((await t.current.get(`/api/issues/${issue.id}/activity?limit=0`)).body).toHaveLength(1);
    expect((await t.current.get(`/api/issues/${issue.id}/activity?limit=abc`)).status).toBe(400);
    expect((await t.current.get(`/api/issues/${issue.id}/activity?entityType=issue`)).status).toBe(400);
  });

  it("unknown issue -> 404", async () => {
    expect((await t.current.get(`/api/issues/${UNKNOWN_UUID}/activity`)).status).toBe(404);
    expect((await t.current.get(`/api/issues/not-an-issue/activity`)).status).toBe(404);
  });
});

describe("access", () => {
  it("an agent reads its own company's activity; another company's -> 403; another company's issue -> 404", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    const foreignIssue = await createIssue(t.current, other.id);

    const own = await companyActivity(company.id, "", key.token);
    expect(own.map((r) => r.action)).toEqual(["agent.key_created", "agent.created", "company.created"]);

    const res = await t.current.get(`/api/companies/${other.id}/activity`, { token: key.token });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("company_forbidden");
    const filtered = await t.current.get(`/api/companies/${other.id}/activity?entityId=${foreignIssue.id}`, { token: key.token });
    expect(filtered.status).toBe(403);
    const issueActivity = await t.current.get(`/api/issues/${foreignIssue.id}/activity`, { token: key.token });
    expect(issueActivity.status).toBe(404);
  });

  it("unknown company -> 404; a revoked key -> 401", async () => {
    expect((await t.current.get(`/api/companies/${UNKNOWN_UUID}/activity`)).status).toBe(404);
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    await t.current.del(`/api/agents/${agent.id}/keys/${key.id}`);
    const res = await t.current.get(`/api/companies/${company.id}/activity`, { token: key.token });
    expect(res.status).toBe(401);
  });
});
