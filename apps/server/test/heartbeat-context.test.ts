import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

const t = useTestApp();
const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

describe("GET /api/issues/:id/heartbeat-context", () => {
  it("compact issue state, ancestor summaries, project, goal, blockers, comment cursor and the wake comment", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    const goal = (await t.current.post(`/api/companies/${company.id}/goals`, { title: "Grow", level: "company" })).body;
    const project = (await t.current.post(`/api/companies/${company.id}/projects`, { name: "Web", targetDate: "2027-01-31" })).body;
    const root = await createIssue(t.current, company.id, { title: "root" });
    const parent = await createIssue(t.current, company.id, { title: "parent", parentId: root.id });
    const blocker = await createIssue(t.current, company.id, { title: "blocker" });
    const issue = await createIssue(t.current, company.id, {
      title: "the task",
      description: "do the thing",
      parentId: parent.id,
      projectId: project.id,
      goalId: goal.id,
      assigneeAgentId: agent.id,
      blockedByIssueIds: [blocker.id],
    });
    const c1 = (await t.current.post(`/api/issues/${issue.id}/comments`, { body: "first" })).body;
    const c2 = (await t.current.post(`/api/issues/${issue.id}/comments`, { body: "second, the wake" })).body;

    const res = await t.current.get(`/api/issues/${issue.identifier}/heartbeat-context?wakeCommentId=${c2.id}`, { token: key.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["ancestors", "attachments", "commentCursor", "goal", "issue", "project", "wakeComment"]);
    expect(res.body.issue).toMatchObject({
      id: issue.id,
      identifier: issue.identifier,
      title: "the task",
      description: "do the thing",
      status: "todo",
      workMode: "standard",
      priority: "medium",
      projectId: project.id,
      goalId: goal.id,
      parentId: parent.id,
      assigneeAgentId: agent.id,
      assigneeUserId: null,
      originKind: "manual",
      originId: null,
    });
    expect(res.body.issue.blockedBy.map((b: { id: string }) => b.id)).toEqual([blocker.id]);
    expect(res.body.issue.blocks).toEqual([]);
    expect(res.body.ancestors).toEqual([
      { id: parent.id, identifier: parent.identifier, title: "parent", status: "backlog", priority: "medium" },
      { id: root.id, identifier: root.identifier, title: "root", status: "backlog", priority: "medium" },
    ]);
    expect(res.body.project).toEqual({ id: project.id, name: "Web", status: expect.any(String), targetDate: "2027-01-31" });
    expect(res.body.goal).toEqual({ id: goal.id, title: "Grow", status: expect.any(String), level: "company", parentId: null });
    expect(res.body.commentCursor).toEqual({ totalComments: 2, latestCommentId: c2.id, latestCommentAt: c2.createdAt });
    expect(res.body.wakeComment).toMatchObject({ id: c2.id, body: "second, the wake", issueId: issue.id });
    expect(res.body.attachments).toEqual([]);
    expect(c1.id).not.toBe(c2.id);
  });

  it("no comments: an empty cursor; no wake comment asked: null; a comment of another issue is not shown", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    const otherIssue = await createIssue(t.current, company.id);
    const foreignComment = (await t.current.post(`/api/issues/${otherIssue.id}/comments`, { body: "elsewhere" })).body;
    const plain = await t.current.get(`/api/issues/${issue.id}/heartbeat-context`);
    expect(plain.body).toMatchObject({
      ancestors: [],
      project: null,
      goal: null,
      wakeComment: null,
      commentCursor: { totalComments: 0, latestCommentId: null, latestCommentAt: null },
    });
    const crossed = await t.current.get(`/api/issues/${issue.id}/heartbeat-context?wakeCommentId=${foreignComment.id}`);
    expect(crossed.status).toBe(200);
    expect(crossed.body.wakeComment).toBeNull();
  });

  it("unknown issue 404, another company's issue 404 for an agent, bad wakeCommentId or unknown query 400", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    const foreign = await createIssue(t.current, other.id);
    const issue = await createIssue(t.current, company.id);
    expect((await t.current.get(`/api/issues/${UNKNOWN_UUID}/heartbeat-context`)).status).toBe(404);
    expect((await t.current.get(`/api/issues/${foreign.id}/heartbeat-context`, { token: key.token })).status).toBe(404);
    const bad = await t.current.get(`/api/issues/${issue.id}/heartbeat-context?wakeCommentId=not-a-uuid`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("wakeCommentId");
    const unknown = await t.current.get(`/api/issues/${issue.id}/heartbeat-context?verbose=1`);
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain("verbose");
  });
});

describe("comments delta and single comment (used by the skill beside heartbeat-context)", () => {
  it("?after=<id>&order=asc gives only newer comments oldest first; /comments/:commentId gives one", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    const ids: string[] = [];
    for (const body of ["one", "two", "three"]) ids.push((await t.current.post(`/api/issues/${issue.id}/comments`, { body })).body.id);
    const delta = await t.current.get(`/api/issues/${issue.id}/comments?after=${ids[0]}&order=asc`);
    expect(delta.body.map((c: { body: string }) => c.body)).toEqual(["two", "three"]);
    const one = await t.current.get(`/api/issues/${issue.id}/comments/${ids[1]}`);
    expect(one.body).toMatchObject({ id: ids[1], body: "two" });
  });
});
