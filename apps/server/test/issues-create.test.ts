import { beforeAll, describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import { createAgent, issueApi, NO_LOCKS, UNKNOWN_UUID } from "./helpers/issue-api.js";

/** Creating issues: numbering, defaults, actors, activity, and every way a create is refused. */

const t = useTestApp();
const { activityOf, getIssue } = issueApi(t);

describe("POST /api/companies/:cid/issues", () => {
  let company: { id: string; issuePrefix: string };
  let agent: { id: string };

  beforeAll(async () => {
    company = await createCompany(t.current, { name: "Transcript Co" });
    agent = await createAgent(t.current, company.id, { name: "Echo Bot" });
  });

  it("numbers issues PREFIX-N from the company counter; unassigned defaults to backlog", async () => {
    expect(company.issuePrefix).toBe("TRA");
    const res = await t.current.post(`/api/companies/${company.id}/issues`, { title: "First" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      companyId: company.id,
      title: "First",
      identifier: "TRA-1",
      issueNumber: 1,
      status: "backlog",
      priority: "medium",
      workMode: "standard",
      originKind: "manual",
      requestDepth: 0,
      description: null,
      assigneeAgentId: null,
      assigneeUserId: null,
      createdByUserId: "local-board",
      createdByAgentId: null,
      blockedBy: [],
      blocks: [],
      startedAt: null,
      completedAt: null,
      cancelledAt: null,
      hiddenAt: null,
      ...NO_LOCKS,
    });
    const second = await t.current.post(`/api/companies/${company.id}/issues`, { title: "Second" });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ identifier: "TRA-2", issueNumber: 2 });
  });

  it("GET TRA-1 and tra-1 find the first issue of the TRA company", async () => {
    const byUpper = await getIssue("TRA-1");
    const byLower = await getIssue("tra-1");
    expect(byUpper).toMatchObject({ identifier: "TRA-1", title: "First", companyId: company.id });
    expect(byLower.id).toBe(byUpper.id);
    expect((await getIssue("Tra-2")).title).toBe("Second");
  });

  it("an agent creating a sub-issue deepens requestDepth", async () => {
    const key = await createAgentKey(t.current, agent.id);
    const parent = await createIssue(t.current, company.id);
    expect(parent.requestDepth).toBe(0);
    const delegated = await createIssue(t.current, company.id, { parentId: parent.id }, key.token);
    expect(delegated).toMatchObject({ parentId: parent.id, requestDepth: 1 });
    const deeper = await createIssue(t.current, company.id, { parentId: delegated.id }, key.token);
    expect(deeper.requestDepth).toBe(2);
  });

  it("an assignee agent makes the default status todo; explicit fields are kept", async () => {
    const res = await t.current.post(`/api/companies/${company.id}/issues`, {
      title: "Say hello",
      description: "Print a greeting",
      priority: "high",
      assigneeAgentId: agent.id,
      billingCode: "ops-42",
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: "todo",
      priority: "high",
      description: "Print a greeting",
      assigneeAgentId: agent.id,
      billingCode: "ops-42",
    });
    const explicit = await createIssue(t.current, company.id, { assigneeAgentId: agent.id, status: "backlog" });
    expect(explicit.status).toBe("backlog");
    const todoUnassigned = await createIssue(t.current, company.id, { status: "todo" });
    expect(todoUnassigned).toMatchObject({ status: "todo", assigneeAgentId: null });
  });

  it("titles are trimmed", async () => {
    const issue = await createIssue(t.current, company.id, { title: "  padded  " });
    expect(issue.title).toBe("padded");
  });

  it("status timestamps are stamped when an issue is created closed or in progress", async () => {
    const started = await createIssue(t.current, company.id, { status: "in_progress", assigneeAgentId: agent.id });
    expect(started.startedAt).not.toBeNull();
    expect(started.completedAt).toBeNull();
    const done = await createIssue(t.current, company.id, { status: "done" });
    expect(done.completedAt).not.toBeNull();
    expect(done.startedAt).toBeNull();
    const cancelled = await createIssue(t.current, company.id, { status: "cancelled" });
    expect(cancelled.cancelledAt).not.toBeNull();
    expect(cancelled.completedAt).toBeNull();
  });

  it("an agent key creates issues as the agent", async () => {
    const key = await createAgentKey(t.current, agent.id);
    const res = await t.current.post(`/api/companies/${company.id}/issues`, { title: "From the agent" }, { token: key.token });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ createdByAgentId: agent.id, createdByUserId: null, status: "backlog" });
    const [created] = (await activityOf(res.body.id)).filter((a) => a.action === "issue.created");
    expect(created).toMatchObject({ actorType: "agent", actorId: agent.id, agentId: agent.id });
  });

  it("an agent key cannot create issues in another company", async () => {
    const other = await createCompany(t.current);
    const key = await createAgentKey(t.current, agent.id);
    const res = await t.current.post(`/api/companies/${other.id}/issues`, { title: "x" }, { token: key.token });
    expect(res.status).toBe(403);
  });

  it("writes an issue.created activity row", async () => {
    const issue = await createIssue(t.current, company.id, { title: "Audited", assigneeAgentId: agent.id });
    const rows = await activityOf(issue.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: "issue.created",
      actorType: "user",
      actorId: "local-board",
      entityId: issue.id,
      details: { identifier: issue.identifier, title: "Audited", status: "todo", assigneeAgentId: agent.id, assigneeUserId: null },
    });
  });

  it('assigneeUserId "me" resolves to the board user and defaults to todo', async () => {
    const res = await t.current.post(`/api/companies/${company.id}/issues`, { title: "Mine", assigneeUserId: "me" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ assigneeUserId: "local-board", assigneeAgentId: null, status: "todo" });
    const explicit = await createIssue(t.current, company.id, { assigneeUserId: "local-board" });
    expect(explicit.assigneeUserId).toBe("local-board");
  });

  it('an unknown assignee user is a 422; an agent cannot use "me"', async () => {
    const res = await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", assigneeUserId: "someone-else" });
    expect(res.status).toBe(422);
    expect(res.body.error).toContain("someone-else");
    const key = await createAgentKey(t.current, agent.id);
    const asAgent = await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", assigneeUserId: "me" }, { token: key.token });
    expect(asAgent.status).toBe(422);
  });

  it("50 parallel creates in one company get 50 distinct numbers 1..50", async () => {
    const fresh = await createCompany(t.current);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => t.current.post(`/api/companies/${fresh.id}/issues`, { title: `parallel ${i}` })),
    );
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(201);
    const numbers = results.map((r) => r.body.issueNumber as number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const identifiers = new Set(results.map((r) => r.body.identifier));
    expect(identifiers.size).toBe(50);
    for (const r of results) expect(r.body.identifier).toBe(`${fresh.issuePrefix}-${r.body.issueNumber}`);
    const after = await t.current.get(`/api/companies/${fresh.id}`);
    expect(after.body.issueCounter).toBe(50);
    const next = await createIssue(t.current, fresh.id);
    expect(next.issueNumber).toBe(51);
  });

  describe("validation", () => {
    const detailPaths = (body: any) => (body.details as { path: unknown[] }[]).map((d) => d.path.join("."));

    it("missing title -> 400 with details at title", async () => {
      const res = await t.current.post(`/api/companies/${company.id}/issues`, { description: "no title" });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("Validation error");
      expect(detailPaths(res.body)).toEqual(["title"]);
    });

    it("empty or blank title -> 400 with details at title", async () => {
      for (const title of ["", "   "]) {
        const res = await t.current.post(`/api/companies/${company.id}/issues`, { title });
        expect(res.status, JSON.stringify(title)).toBe(400);
        expect(detailPaths(res.body)).toEqual(["title"]);
      }
    });

    it("bad status enum and wrong priority type -> 400 naming both", async () => {
      const res = await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", status: "doing", priority: 5 });
      expect(res.status).toBe(400);
      expect(detailPaths(res.body).sort()).toEqual(["priority", "status"]);
      const badPriority = await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", priority: "urgent" });
      expect(badPriority.status).toBe(400);
      expect(detailPaths(badPriority.body)).toEqual(["priority"]);
    });

    it("assigneeAgentId that is not a uuid -> 400", async () => {
      const res = await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", assigneeAgentId: "nope" });
      expect(res.status).toBe(400);
      expect(detailPaths(res.body)).toEqual(["assigneeAgentId"]);
    });

    it('unknown agent uuid -> 404 "Agent not found"', async () => {
      const res = await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", assigneeAgentId: UNKNOWN_UUID });
      expect(res.status).toBe(404);
      expect(res.body.error).toBe("Agent not found");
    });

    it('agent of another company -> 404 "Agent not found"', async () => {
      const other = await createCompany(t.current);
      const res = await t.current.post(`/api/companies/${other.id}/issues`, { title: "cross", assigneeAgentId: agent.id });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: "Agent not found" });
    });

    it("terminated agent -> 422", async () => {
      const doomed = await createAgent(t.current, company.id);
      const term = await t.current.post(`/api/agents/${doomed.id}/terminate`);
      expect(term.status, JSON.stringify(term.body)).toBe(200);
      const res = await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", assigneeAgentId: doomed.id });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe("assignee_terminated");
    });

    it("both assigneeAgentId and assigneeUserId -> 422", async () => {
      const res = await t.current.post(`/api/companies/${company.id}/issues`, {
        title: "x",
        assigneeAgentId: agent.id,
        assigneeUserId: "local-board",
      });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe("two_assignees");
    });

    it("in_progress without an assignee -> 422", async () => {
      const res = await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", status: "in_progress" });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe("in_progress_without_assignee");
    });

    it("unknown fields -> 400; unknown goal/project/parent -> 404", async () => {
      expect((await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", bogus: true })).status).toBe(400);
      for (const field of ["goalId", "projectId", "parentId"]) {
        const res = await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", [field]: UNKNOWN_UUID });
        expect(res.status, field).toBe(404);
      }
    });

    it("a NUL character in a text field -> 400, not 500; nothing is created", async () => {
      const fresh = await createCompany(t.current);
      for (const body of [{ title: "nul\u0000title" }, { title: "ok", description: "a\u0000b" }, { title: "ok", billingCode: "\u0000" }]) {
        const res = await t.current.post(`/api/companies/${fresh.id}/issues`, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
      }
      expect((await t.current.get(`/api/companies/${fresh.id}/issues`)).body).toEqual([]);
      const issue = await createIssue(t.current, fresh.id, { title: "clean" });
      expect(issue.issueNumber).toBe(1);
      const patch = await t.current.patch(`/api/issues/${issue.id}`, { description: "x\u0000y" });
      expect(patch.status).toBe(400);
      expect((await getIssue(issue.id)).description).toBeNull();
    });

    it("an archived company takes no new issues -> 409", async () => {
      const fresh = await createCompany(t.current);
      expect((await t.current.post(`/api/companies/${fresh.id}/archive`)).status).toBe(200);
      const res = await t.current.post(`/api/companies/${fresh.id}/issues`, { title: "late" });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe("company_archived");
    });

    it("unknown or non-uuid company -> 404", async () => {
      expect((await t.current.post(`/api/companies/${UNKNOWN_UUID}/issues`, { title: "x" })).status).toBe(404);
      expect((await t.current.post(`/api/companies/not-a-uuid/issues`, { title: "x" })).status).toBe(404);
    });

    it("rejected creates do not consume issue numbers", async () => {
      const fresh = await createCompany(t.current);
      await createIssue(t.current, fresh.id);
      const failures = [
        { title: "" },
        { title: "x", assigneeAgentId: UNKNOWN_UUID },
        { title: "x", status: "in_progress" },
        { title: "x", assigneeAgentId: agent.id },
        { title: "x", parentId: UNKNOWN_UUID },
      ];
      for (const body of failures) {
        const res = await t.current.post(`/api/companies/${fresh.id}/issues`, body);
        expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      }
      const next = await createIssue(t.current, fresh.id);
      expect(next.issueNumber).toBe(2);
    });
  });
});
