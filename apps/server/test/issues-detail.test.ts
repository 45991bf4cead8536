import { beforeAll, describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import { createAgent, issueApi, UNKNOWN_UUID } from "./helpers/issue-api.js";

/** Reading one issue: lookup by id or identifier, company scoping, and what the detail embeds. */

const t = useTestApp();
const { getIssue } = issueApi(t);

describe("GET /api/issues/:idOrIdentifier", () => {
  let company: { id: string; issuePrefix: string };

  beforeAll(async () => {
    company = await createCompany(t.current, { name: "Detail Co" });
  });

  it("finds an issue by uuid, identifier and lower-case identifier", async () => {
    const issue = await createIssue(t.current, company.id, { title: "Findable", description: "body" });
    for (const ref of [issue.id, issue.identifier, issue.identifier.toLowerCase()]) {
      const res = await t.current.get(`/api/issues/${ref}`);
      expect(res.status, ref).toBe(200);
      expect(res.body).toMatchObject({ id: issue.id, identifier: issue.identifier, title: "Findable", description: "body" });
      expect(res.body).toMatchObject({
        ancestors: [],
        children: [],
        blockedBy: [],
        blocks: [],
        project: null,
        goal: null,
        documents: [],
        workProducts: [],
      });
    }
  });

  it("unknown uuid, non-uuid and unknown identifier -> 404 Issue not found", async () => {
    for (const ref of [UNKNOWN_UUID, "not-a-uuid", `${company.issuePrefix}-9999`, "ZZZ-1", "TRA-", "-1", "TRA-1x"]) {
      const res = await t.current.get(`/api/issues/${ref}`);
      expect(res.status, ref).toBe(404);
      expect(res.body, ref).toEqual({ error: "Issue not found" });
    }
  });

  it("an agent of another company gets 404 for the issue", async () => {
    const issue = await createIssue(t.current, company.id);
    const other = await createCompany(t.current);
    const outsider = await createAgent(t.current, other.id);
    const key = await createAgentKey(t.current, outsider.id);
    for (const ref of [issue.id, issue.identifier]) {
      const res = await t.current.get(`/api/issues/${ref}`, { token: key.token });
      expect(res.status, ref).toBe(404);
    }
    const patch = await t.current.patch(`/api/issues/${issue.id}`, { title: "stolen" }, { token: key.token });
    expect(patch.status).toBe(404);
    expect((await getIssue(issue.id)).title).toBe(issue.title);
  });

  it("ancestors come nearest parent first; children are listed", async () => {
    const root = await createIssue(t.current, company.id, { title: "root" });
    const mid = await createIssue(t.current, company.id, { title: "mid", parentId: root.id });
    const leaf = await createIssue(t.current, company.id, { title: "leaf", parentId: mid.id });
    const sibling = await createIssue(t.current, company.id, { title: "sibling", parentId: mid.id });

    const leafDetail = await getIssue(leaf.identifier);
    expect(leafDetail.parentId).toBe(mid.id);
    expect(leafDetail.ancestors.map((a: { id: string }) => a.id)).toEqual([mid.id, root.id]);
    expect(leafDetail.ancestors[0]).toEqual({
      id: mid.id,
      identifier: mid.identifier,
      title: "mid",
      status: "backlog",
      priority: "medium",
      assigneeAgentId: null,
    });
    expect(leafDetail.children).toEqual([]);

    const midDetail = await getIssue(mid.id);
    expect(midDetail.ancestors.map((a: { id: string }) => a.id)).toEqual([root.id]);
    expect(midDetail.children.map((c: { id: string }) => c.id)).toEqual([leaf.id, sibling.id]);

    const rootDetail = await getIssue(root.id);
    expect(rootDetail.ancestors).toEqual([]);
    expect(rootDetail.children.map((c: { id: string }) => c.id)).toEqual([mid.id]);
  });

  it("blockedBy and blocks are listed on both sides", async () => {
    const blocker = await createIssue(t.current, company.id, { title: "blocker" });
    const blocked = await createIssue(t.current, company.id, { title: "blocked", blockedByIssueIds: [blocker.id] });
    const blockedDetail = await getIssue(blocked.id);
    expect(blockedDetail.blockedBy).toEqual([
      { id: blocker.id, identifier: blocker.identifier, title: "blocker", status: "backlog", priority: "medium", assigneeAgentId: null },
    ]);
    expect(blockedDetail.blocks).toEqual([]);
    const blockerDetail = await getIssue(blocker.id);
    expect(blockerDetail.blocks.map((b: { id: string }) => b.id)).toEqual([blocked.id]);
    expect(blockerDetail.blockedBy).toEqual([]);
  });

  it("project, goal, documents and work products are included", async () => {
    const goal = await t.current.post(`/api/companies/${company.id}/goals`, { title: "Ship it" });
    expect(goal.status, JSON.stringify(goal.body)).toBe(201);
    const project = await t.current.post(`/api/companies/${company.id}/projects`, { name: "Launch" });
    expect(project.status, JSON.stringify(project.body)).toBe(201);
    const issue = await createIssue(t.current, company.id, { goalId: goal.body.id, projectId: project.body.id });
    const doc = await t.current.put(`/api/issues/${issue.id}/documents/plan`, { title: "The plan", format: "markdown", body: "# Plan" });
    expect(doc.status, JSON.stringify(doc.body)).toBeLessThan(300);
    const wp = await t.current.post(`/api/issues/${issue.id}/work-products`, {
      type: "pull_request",
      provider: "github",
      title: "PR 1",
      url: "https://example.com/pr/1",
    });
    expect(wp.status, JSON.stringify(wp.body)).toBe(201);

    const detail = await getIssue(issue.identifier);
    expect(detail.project).toEqual({ id: project.body.id, name: "Launch", status: project.body.status });
    expect(detail.goal).toEqual({ id: goal.body.id, title: "Ship it", status: goal.body.status });
    expect(detail.documents).toHaveLength(1);
    expect(detail.documents[0]).toMatchObject({ key: "plan", title: "The plan", latestRevisionNumber: 1 });
    expect(detail.workProducts).toHaveLength(1);
    expect(detail.workProducts[0]).toMatchObject({ id: wp.body.id, type: "pull_request", title: "PR 1", url: "https://example.com/pr/1" });
  });
});
