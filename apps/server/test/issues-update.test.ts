import { beforeAll, describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import { createAgent, issueApi, NO_LOCKS, UNKNOWN_UUID } from "./helpers/issue-api.js";

/**
 * Updating an issue: fields and their activity, status timestamps, assignee and tree rules, lock
 * release, a comment in the same call, hiding, and what an agent may patch.
 */

const t = useTestApp();
const { activityOf, updatesOf, patchOk, getIssue, lockIssue, lockColumns } = issueApi(t);

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
    expect(body).toMatchObject({
      id: issue.id,
      title: "New title",
      description: "new",
      priority: "critical",
      billingCode: "B-1",
      comment: null,
    });
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
    for (const body of [
      { title: "" },
      { status: "doing" },
      { priority: 1 },
      { bogus: 1 },
      { parentId: "x" },
      { comment: "  " },
      { hidden: "yes" },
    ]) {
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
      expect(body).toMatchObject({
        checkoutRunId: locks.checkoutRunId,
        executionRunId: locks.executionRunId,
        executionAgentNameKey: "echo bot",
      });
      expect(body.executionLockedAt).not.toBeNull();
      const [update] = await updatesOf(issue.id);
      expect(update!.details.changes).toEqual({
        title: { from: issue.title, to: "still working" },
        priority: { from: "medium", to: "high" },
      });
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
    const changedFields = updates.flatMap((u) => Object.keys(u.details.changes)).sort();
    expect(changedFields).toEqual(["description", "priority", "title"]);
  });
});
