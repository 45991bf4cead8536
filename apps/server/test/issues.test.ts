import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent as createAgentFixture, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import type { TestApp } from "./helpers/test-app.js";

const t = useTestApp();

/**
 * Agents here never run: these tests are about the issue API, and a woken agent's run may check an
 * issue out, lock it or comment on it while a test is looking. Assignment wakes are still
 * requested, and skipped (`heartbeat.wakeOnDemand.disabled`).
 */
function createAgent(app: TestApp, companyId: string, body: Record<string, unknown> = {}) {
  return createAgentFixture(app, companyId, { runtimeConfig: { heartbeat: { wakeOnDemand: false } }, ...body });
}

const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

type Activity = { action: string; actorType: string; actorId: string; agentId: string | null; details: any; entityId: string };

async function activityOf(issueId: string): Promise<Activity[]> {
  const res = await t.current.get(`/api/issues/${issueId}/activity`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Activity[];
}

async function updatesOf(issueId: string): Promise<Activity[]> {
  return (await activityOf(issueId)).filter((a) => a.action === "issue.updated");
}

async function patchOk(ref: string, body: Record<string, unknown>, token?: string) {
  const res = await t.current.patch(`/api/issues/${ref}`, body, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function getIssue(ref: string) {
  const res = await t.current.get(`/api/issues/${ref}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Simulates a run holding the issue: the four execution-lock columns, set directly. */
async function lockIssue(issueId: string) {
  const checkoutRunId = randomUUID();
  const executionRunId = randomUUID();
  await t.current.tdb.db.query(
    `UPDATE issues SET checkout_run_id = $2, execution_run_id = $3, execution_agent_name_key = 'echo bot',
       execution_locked_at = now() WHERE id = $1`,
    [issueId, checkoutRunId, executionRunId],
  );
  return { checkoutRunId, executionRunId };
}

async function lockColumns(issueId: string) {
  const [row] = await t.current.tdb.db.query<Record<string, unknown>>(
    "SELECT checkout_run_id, execution_run_id, execution_agent_name_key, execution_locked_at FROM issues WHERE id = $1",
    [issueId],
  );
  return row!;
}

const NO_LOCKS = { checkoutRunId: null, executionRunId: null, executionAgentNameKey: null, executionLockedAt: null };

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

  it("an unknown assignee user is a 422; an agent cannot use \"me\"", async () => {
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

describe("PATCH /api/issues/:id", () => {
  let company: { id: string; issuePrefix: string };
  let agentA: { id: string; name: string };
  let agentB: { id: string };
  let keyA: string;

  beforeAll(async () => {
    company = await createCompany(t.current, { name: "Patch Co" });
    agentA = await createAgent(t.current, company.id);
    agentB = await createAgent(t.current, company.id);
    keyA = (await createAgentKey(t.current, agentA.id)).token;
  });

  it("updates title, description, priority and billingCode, recording from/to changes", async () => {
    const issue = await createIssue(t.current, company.id, { title: "Old title", description: "old" });
    const body = await patchOk(issue.id, { title: "  New title ", description: "new", priority: "critical", billingCode: "B-1" });
    expect(body).toMatchObject({ id: issue.id, title: "New title", description: "new", priority: "critical", billingCode: "B-1", comment: null });
    expect(body.blockedBy).toEqual([]);
    expect(body.blocks).toEqual([]);
    expect(new Date(body.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(issue.updatedAt).getTime());
    const [update] = await updatesOf(issue.id);
    expect(update).toMatchObject({ actorType: "user", actorId: "local-board" });
    expect(update!.details.identifier).toBe(issue.identifier);
    expect(update!.details.changes).toEqual({
      title: { from: "Old title", to: "New title" },
      description: { from: "old", to: "new" },
      priority: { from: "medium", to: "critical" },
      billingCode: { from: null, to: "B-1" },
    });

    const cleared = await patchOk(issue.identifier, { description: null, billingCode: null });
    expect(cleared).toMatchObject({ description: null, billingCode: null, title: "New title" });
    const updates = await updatesOf(issue.id);
    expect(updates).toHaveLength(2);
    const latest = updates.find((u) => "billingCode" in u.details.changes && u.details.changes.billingCode.to === null);
    expect(latest!.details.changes).toEqual({ description: { from: "new", to: null }, billingCode: { from: "B-1", to: null } });
  });

  it("only changed fields appear in changes", async () => {
    const issue = await createIssue(t.current, company.id, { title: "Same", priority: "low" });
    await patchOk(issue.id, { title: "Same", priority: "high" });
    const [update] = await updatesOf(issue.id);
    expect(update!.details.changes).toEqual({ priority: { from: "low", to: "high" } });
  });

  it("validation: empty title, bad enums, unknown fields, non-uuid ids -> 400", async () => {
    const issue = await createIssue(t.current, company.id);
    for (const body of [{ title: "" }, { status: "doing" }, { priority: 1 }, { bogus: 1 }, { parentId: "x" }, { comment: "  " }, { hidden: "yes" }]) {
      const res = await t.current.patch(`/api/issues/${issue.id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await t.current.patch(`/api/issues/${UNKNOWN_UUID}`, { title: "x" })).status).toBe(404);
    expect((await t.current.patch(`/api/issues/not-an-id`, { title: "x" })).status).toBe(404);
  });

  it("status in_progress: startedAt; done: completedAt (cleared on reopen); cancelled: cancelledAt", async () => {
    const issue = await createIssue(t.current, company.id, { assigneeAgentId: agentA.id });
    expect(issue).toMatchObject({ status: "todo", startedAt: null });

    const started = await patchOk(issue.id, { status: "in_progress" });
    expect(started.status).toBe("in_progress");
    expect(started.startedAt).not.toBeNull();
    expect(started.completedAt).toBeNull();

    const done = await patchOk(issue.id, { status: "done" });
    expect(done.completedAt).not.toBeNull();
    expect(done.startedAt).toBe(started.startedAt);

    const reopened = await patchOk(issue.id, { status: "todo" });
    expect(reopened.completedAt).toBeNull();
    expect(reopened.startedAt).toBe(started.startedAt);

    const cancelled = await patchOk(issue.id, { status: "cancelled" });
    expect(cancelled.cancelledAt).not.toBeNull();
    expect(cancelled.completedAt).toBeNull();

    const revived = await patchOk(issue.id, { status: "backlog" });
    expect(revived.cancelledAt).toBeNull();

    const changes = (await updatesOf(issue.id)).map((u) => u.details.changes.status);
    expect(changes).toEqual(
      expect.arrayContaining([
        { from: "todo", to: "in_progress" },
        { from: "in_progress", to: "done" },
        { from: "done", to: "todo" },
        { from: "todo", to: "cancelled" },
        { from: "cancelled", to: "backlog" },
      ]),
    );
    expect(changes).toHaveLength(5);
  });

  it("in_progress without an assignee -> 422 (and unassigning an in_progress issue too)", async () => {
    const unassigned = await createIssue(t.current, company.id);
    const res = await t.current.patch(`/api/issues/${unassigned.id}`, { status: "in_progress" });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("in_progress_without_assignee");
    expect((await getIssue(unassigned.id)).status).toBe("backlog");

    const working = await createIssue(t.current, company.id, { assigneeAgentId: agentA.id, status: "in_progress" });
    const unassign = await t.current.patch(`/api/issues/${working.id}`, { assigneeAgentId: null });
    expect(unassign.status).toBe(422);
    expect((await getIssue(working.id)).assigneeAgentId).toBe(agentA.id);
    // Unassigning and leaving in_progress in one call is fine.
    const parked = await patchOk(working.id, { assigneeAgentId: null, status: "todo" });
    expect(parked).toMatchObject({ assigneeAgentId: null, status: "todo" });
  });

  it("assignee rules on patch: two assignees 422, unknown/other-company agent 404, terminated 422", async () => {
    const issue = await createIssue(t.current, company.id, { assigneeAgentId: agentA.id });
    const two = await t.current.patch(`/api/issues/${issue.id}`, { assigneeUserId: "local-board" });
    expect(two.status).toBe(422);
    expect(two.body.code).toBe("two_assignees");
    const swapped = await patchOk(issue.id, { assigneeAgentId: null, assigneeUserId: "me" });
    expect(swapped).toMatchObject({ assigneeAgentId: null, assigneeUserId: "local-board" });
    const [update] = await updatesOf(issue.id);
    expect(update!.details.changes).toEqual({
      assigneeAgentId: { from: agentA.id, to: null },
      assigneeUserId: { from: null, to: "local-board" },
    });

    expect((await t.current.patch(`/api/issues/${issue.id}`, { assigneeUserId: "stranger" })).status).toBe(422);
    const other = await createCompany(t.current);
    const foreign = await createAgent(t.current, other.id);
    const res404 = await t.current.patch(`/api/issues/${issue.id}`, { assigneeUserId: null, assigneeAgentId: foreign.id });
    expect(res404.status).toBe(404);
    expect(res404.body.error).toBe("Agent not found");
    expect((await t.current.patch(`/api/issues/${issue.id}`, { assigneeUserId: null, assigneeAgentId: UNKNOWN_UUID })).status).toBe(404);
    const doomed = await createAgent(t.current, company.id);
    expect((await t.current.post(`/api/agents/${doomed.id}/terminate`)).status).toBe(200);
    expect((await t.current.patch(`/api/issues/${issue.id}`, { assigneeUserId: null, assigneeAgentId: doomed.id })).status).toBe(422);
    expect((await getIssue(issue.id)).assigneeUserId).toBe("local-board");
  });

  it("assigneeAgentId: set, change and clear", async () => {
    const issue = await createIssue(t.current, company.id);
    const set = await patchOk(issue.id, { assigneeAgentId: agentA.id });
    expect(set.assigneeAgentId).toBe(agentA.id);
    const changed = await patchOk(issue.id, { assigneeAgentId: agentB.id });
    expect(changed.assigneeAgentId).toBe(agentB.id);
    const clearedRes = await patchOk(issue.id, { assigneeAgentId: null });
    expect(clearedRes.assigneeAgentId).toBeNull();
    const changes = (await updatesOf(issue.id)).map((u) => u.details.changes.assigneeAgentId);
    expect(changes).toEqual(
      expect.arrayContaining([
        { from: null, to: agentA.id },
        { from: agentA.id, to: agentB.id },
        { from: agentB.id, to: null },
      ]),
    );
  });

  it("parentId, goalId and projectId: set, validate and clear", async () => {
    const parent = await createIssue(t.current, company.id, { title: "parent" });
    const issue = await createIssue(t.current, company.id);
    const goal = (await t.current.post(`/api/companies/${company.id}/goals`, { title: "G" })).body;
    const project = (await t.current.post(`/api/companies/${company.id}/projects`, { name: "P" })).body;

    const body = await patchOk(issue.id, { parentId: parent.id, goalId: goal.id, projectId: project.id });
    expect(body).toMatchObject({ parentId: parent.id, goalId: goal.id, projectId: project.id });
    const detail = await getIssue(issue.id);
    expect(detail.ancestors.map((a: { id: string }) => a.id)).toEqual([parent.id]);
    expect(detail.goal.id).toBe(goal.id);
    expect(detail.project.id).toBe(project.id);
    expect((await getIssue(parent.id)).children.map((c: { id: string }) => c.id)).toEqual([issue.id]);
    const [update] = await updatesOf(issue.id);
    expect(update!.details.changes).toEqual({
      parentId: { from: null, to: parent.id },
      goalId: { from: null, to: goal.id },
      projectId: { from: null, to: project.id },
    });

    const other = await createCompany(t.current);
    const foreignIssue = await createIssue(t.current, other.id);
    const foreignGoal = (await t.current.post(`/api/companies/${other.id}/goals`, { title: "FG" })).body;
    const foreignProject = (await t.current.post(`/api/companies/${other.id}/projects`, { name: "FP" })).body;
    for (const patch of [
      { parentId: foreignIssue.id },
      { parentId: UNKNOWN_UUID },
      { goalId: foreignGoal.id },
      { goalId: UNKNOWN_UUID },
      { projectId: foreignProject.id },
      { projectId: UNKNOWN_UUID },
    ]) {
      const res = await t.current.patch(`/api/issues/${issue.id}`, patch);
      expect(res.status, JSON.stringify(patch)).toBe(404);
    }

    const cleared = await patchOk(issue.id, { parentId: null, goalId: null, projectId: null });
    expect(cleared).toMatchObject({ parentId: null, goalId: null, projectId: null });
    expect((await getIssue(parent.id)).children).toEqual([]);
  });

  it("parent cycles -> 422: itself, its child, its grandchild", async () => {
    const root = await createIssue(t.current, company.id, { title: "root" });
    const child = await createIssue(t.current, company.id, { parentId: root.id });
    const grandchild = await createIssue(t.current, company.id, { parentId: child.id });
    for (const [issue, parentId] of [
      [root, root.id],
      [root, child.id],
      [root, grandchild.id],
      [child, grandchild.id],
      [grandchild, grandchild.id],
    ] as const) {
      const res = await t.current.patch(`/api/issues/${issue.id}`, { parentId });
      expect(res.status, `${issue.title} -> ${parentId}`).toBe(422);
      expect(res.body.code).toBe("parent_cycle");
    }
    expect((await getIssue(root.id)).parentId).toBeNull();
    // Moving within the tree without a loop is fine.
    const moved = await patchOk(grandchild.id, { parentId: root.id });
    expect(moved.parentId).toBe(root.id);
  });

  describe("execution locks", () => {
    it("leaving in_progress clears the four lock columns and reports releasedLocks", async () => {
      const issue = await createIssue(t.current, company.id, { assigneeAgentId: agentA.id, status: "in_progress" });
      const locks = await lockIssue(issue.id);
      const body = await patchOk(issue.id, { status: "in_review" });
      expect(body).toMatchObject({ status: "in_review", ...NO_LOCKS });
      expect(await lockColumns(issue.id)).toEqual(NO_LOCKS);
      const [update] = await updatesOf(issue.id);
      expect(update!.details.changes).toEqual({ status: { from: "in_progress", to: "in_review" } });
      expect(update!.details.releasedLocks).toEqual(locks);
    });

    it("changing the assignee clears the locks even when staying in_progress", async () => {
      const issue = await createIssue(t.current, company.id, { assigneeAgentId: agentA.id, status: "in_progress" });
      const locks = await lockIssue(issue.id);
      const body = await patchOk(issue.id, { assigneeAgentId: agentB.id });
      expect(body).toMatchObject({ status: "in_progress", assigneeAgentId: agentB.id, ...NO_LOCKS });
      expect(await lockColumns(issue.id)).toEqual(NO_LOCKS);
      const [update] = await updatesOf(issue.id);
      expect(update!.details.releasedLocks).toEqual(locks);
    });

    it("changing the assignee of a todo issue clears locks too", async () => {
      const issue = await createIssue(t.current, company.id, { assigneeAgentId: agentA.id });
      const locks = await lockIssue(issue.id);
      await patchOk(issue.id, { assigneeAgentId: null });
      expect(await lockColumns(issue.id)).toEqual(NO_LOCKS);
      const [update] = await updatesOf(issue.id);
      expect(update!.details.releasedLocks).toEqual(locks);
    });

    it("other changes keep the locks and report no releasedLocks", async () => {
      const issue = await createIssue(t.current, company.id, { assigneeAgentId: agentA.id, status: "in_progress" });
      const locks = await lockIssue(issue.id);
      const body = await patchOk(issue.id, { title: "still working", priority: "high", status: "in_progress", assigneeAgentId: agentA.id });
      expect(body).toMatchObject({ checkoutRunId: locks.checkoutRunId, executionRunId: locks.executionRunId, executionAgentNameKey: "echo bot" });
      expect(body.executionLockedAt).not.toBeNull();
      const [update] = await updatesOf(issue.id);
      expect(update!.details.changes).toEqual({ title: { from: issue.title, to: "still working" }, priority: { from: "medium", to: "high" } });
      expect(update!.details.releasedLocks).toBeUndefined();
    });
  });

  describe("comment in the same call", () => {
    it("posts the comment and returns it as `comment`", async () => {
      const issue = await createIssue(t.current, company.id, { assigneeAgentId: agentA.id, status: "in_progress" });
      const body = await patchOk(issue.id, { status: "in_review", comment: "  Ready for review  " });
      expect(body.status).toBe("in_review");
      expect(body.comment).toMatchObject({ issueId: issue.id, body: "Ready for review", authorType: "user", authorAgentId: null });
      const comments = await t.current.get(`/api/issues/${issue.id}/comments`);
      expect(comments.status).toBe(200);
      expect(comments.body.map((c: { id: string }) => c.id)).toEqual([body.comment.id]);
      const actions = (await activityOf(issue.id)).map((a) => a.action).sort();
      expect(actions).toEqual(["issue.comment_added", "issue.created", "issue.updated"]);
    });

    it("a comment-only patch posts the comment and parses mentions", async () => {
      const issue = await createIssue(t.current, company.id);
      const body = await patchOk(issue.id, { comment: `hey @${agentA.name}, look` });
      expect(body.comment.mentionedAgentIds).toEqual([agentA.id]);
      expect(body.title).toBe(issue.title);
      const comments = await t.current.get(`/api/issues/${issue.id}/comments`);
      expect(comments.body).toHaveLength(1);
    });

    it("a rejected patch posts no comment", async () => {
      const issue = await createIssue(t.current, company.id);
      const res = await t.current.patch(`/api/issues/${issue.id}`, { status: "in_progress", comment: "starting" });
      expect(res.status).toBe(422);
      const comments = await t.current.get(`/api/issues/${issue.id}/comments`);
      expect(comments.body).toEqual([]);
    });

    it("an agent's comment is authored by the agent", async () => {
      const issue = await createIssue(t.current, company.id, { assigneeAgentId: agentA.id });
      const body = await patchOk(issue.id, { comment: "on it" }, keyA);
      expect(body.comment).toMatchObject({ authorType: "agent", authorAgentId: agentA.id, authorUserId: null });
    });
  });

  describe("hidden", () => {
    it("the board hides an issue: gone from lists, still gettable, unhidden again", async () => {
      const parent = await createIssue(t.current, company.id);
      const issue = await createIssue(t.current, company.id, { parentId: parent.id });
      const listIds = async () =>
        ((await t.current.get(`/api/companies/${company.id}/issues?limit=1000`)).body as { id: string }[]).map((i) => i.id);
      expect(await listIds()).toContain(issue.id);

      const hidden = await patchOk(issue.id, { hidden: true });
      expect(hidden.hiddenAt).not.toBeNull();
      expect(await listIds()).not.toContain(issue.id);
      expect(await listIds()).toContain(parent.id);
      const detail = await getIssue(issue.id);
      expect(detail.hiddenAt).not.toBeNull();
      expect((await getIssue(parent.id)).children).toEqual([]);
      const [update] = await updatesOf(issue.id);
      expect(update!.details.changes).toEqual({ hidden: { from: false, to: true } });

      const shown = await patchOk(issue.id, { hidden: false });
      expect(shown.hiddenAt).toBeNull();
      expect(await listIds()).toContain(issue.id);
    });

    it("an agent may not hide or unhide -> 403", async () => {
      const issue = await createIssue(t.current, company.id);
      const res = await t.current.patch(`/api/issues/${issue.id}`, { hidden: true }, { token: keyA });
      expect(res.status).toBe(403);
      expect((await getIssue(issue.id)).hiddenAt).toBeNull();
      const resFalse = await t.current.patch(`/api/issues/${issue.id}`, { hidden: false }, { token: keyA });
      expect(resFalse.status).toBe(403);
    });
  });

  describe("agent permissions", () => {
    it("an agent may patch an unassigned issue and its own", async () => {
      const unassigned = await createIssue(t.current, company.id);
      const a = await patchOk(unassigned.id, { title: "agent edit" }, keyA);
      expect(a.title).toBe("agent edit");
      const [update] = await updatesOf(unassigned.id);
      expect(update).toMatchObject({ actorType: "agent", actorId: agentA.id, agentId: agentA.id });

      const own = await createIssue(t.current, company.id, { assigneeAgentId: agentA.id });
      const b = await patchOk(own.id, { priority: "low", status: "in_review" }, keyA);
      expect(b).toMatchObject({ priority: "low", status: "in_review" });
    });

    it("an agent may not patch another agent's issue -> 403, nothing changes", async () => {
      const theirs = await createIssue(t.current, company.id, { assigneeAgentId: agentB.id, title: "B's work" });
      const res = await t.current.patch(`/api/issues/${theirs.id}`, { title: "hijacked" }, { token: keyA });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe("issue_not_assignee");
      const reassign = await t.current.patch(`/api/issues/${theirs.id}`, { assigneeAgentId: agentA.id }, { token: keyA });
      expect(reassign.status).toBe(403);
      const detail = await getIssue(theirs.id);
      expect(detail).toMatchObject({ title: "B's work", assigneeAgentId: agentB.id });
      expect(await updatesOf(theirs.id)).toEqual([]);
    });
  });

  it("every patch that changes something writes exactly one issue.updated row", async () => {
    const issue = await createIssue(t.current, company.id);
    await patchOk(issue.id, { title: "one" });
    await patchOk(issue.id, { priority: "high" });
    await patchOk(issue.id, { description: "three" });
    const rows = await activityOf(issue.id);
    expect(rows.filter((r) => r.action === "issue.created")).toHaveLength(1);
    const updates = rows.filter((r) => r.action === "issue.updated");
    expect(updates).toHaveLength(3);
    for (const u of updates) expect(u.entityId).toBe(issue.id);
    const changedFields = updates.map((u) => Object.keys(u.details.changes)).flat().sort();
    expect(changedFields).toEqual(["description", "priority", "title"]);
  });
});
