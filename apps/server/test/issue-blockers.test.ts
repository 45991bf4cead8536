import { beforeAll, describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";

const t = useTestApp();

const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

let company: { id: string; issuePrefix: string };

beforeAll(async () => {
  company = await createCompany(t.current, { name: "Blocker Co" });
});

const ids = (refs: { id: string }[]) => refs.map((r) => r.id);

async function detail(id: string) {
  const res = await t.current.get(`/api/issues/${id}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function setBlockers(id: string, blockedByIssueIds: string[]) {
  return t.current.patch(`/api/issues/${id}`, { blockedByIssueIds });
}

async function blockerUpdates(id: string) {
  const res = await t.current.get(`/api/issues/${id}/activity`);
  expect(res.status).toBe(200);
  return (res.body as { action: string; details: any }[]).filter((a) => a.action === "issue.updated" && a.details.blockers);
}

describe("blockedByIssueIds on create", () => {
  it("creates the edges; both sides list them", async () => {
    const a = await createIssue(t.current, company.id, { title: "A" });
    const b = await createIssue(t.current, company.id, { title: "B" });
    const x = await createIssue(t.current, company.id, { title: "X", blockedByIssueIds: [b.id, a.id] });
    expect(ids(x.blockedBy)).toEqual([a.id, b.id]);
    expect(x.blocks).toEqual([]);
    expect(x.blockedBy[0]).toEqual({
      id: a.id,
      identifier: a.identifier,
      title: "A",
      status: "backlog",
      priority: "medium",
      assigneeAgentId: null,
    });
    expect(ids((await detail(a.id)).blocks)).toEqual([x.id]);
    expect(ids((await detail(b.id)).blocks)).toEqual([x.id]);
    expect((await detail(a.id)).blockedBy).toEqual([]);
  });

  it("duplicate ids create one edge", async () => {
    const a = await createIssue(t.current, company.id);
    const x = await createIssue(t.current, company.id, { blockedByIssueIds: [a.id, a.id] });
    expect(ids(x.blockedBy)).toEqual([a.id]);
    expect(ids((await detail(a.id)).blocks)).toEqual([x.id]);
  });

  it("an empty list creates no edges", async () => {
    const x = await createIssue(t.current, company.id, { blockedByIssueIds: [] });
    expect(x.blockedBy).toEqual([]);
  });

  it("unknown or other-company blocker -> 404; nothing is created and no number is consumed", async () => {
    const fresh = await createCompany(t.current);
    const first = await createIssue(t.current, fresh.id);
    const other = await createCompany(t.current);
    const foreign = await createIssue(t.current, other.id);
    for (const blocker of [UNKNOWN_UUID, foreign.id]) {
      const res = await t.current.post(`/api/companies/${fresh.id}/issues`, { title: "doomed", blockedByIssueIds: [first.id, blocker] });
      expect(res.status, blocker).toBe(404);
      expect(res.body.error).toContain(blocker);
      expect(res.body.error).not.toContain(first.id);
    }
    const list = await t.current.get(`/api/companies/${fresh.id}/issues`);
    expect(ids(list.body)).toEqual([first.id]);
    expect((await detail(first.id)).blocks).toEqual([]);
    expect((await createIssue(t.current, fresh.id)).issueNumber).toBe(2);
  });

  it("non-uuid entries and more than 100 ids -> 400", async () => {
    const bad = await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", blockedByIssueIds: ["nope"] });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toEqual(["blockedByIssueIds", 0]);
    const many = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    expect((await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", blockedByIssueIds: many })).status).toBe(400);
    expect((await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", blockedByIssueIds: "nope" })).status).toBe(400);
  });
});

describe("blockedByIssueIds on patch (replace semantics)", () => {
  it("[A,B] then [B,C] leaves exactly B,C; A no longer blocks the issue", async () => {
    const a = await createIssue(t.current, company.id, { title: "A" });
    const b = await createIssue(t.current, company.id, { title: "B" });
    const c = await createIssue(t.current, company.id, { title: "C" });
    const x = await createIssue(t.current, company.id, { title: "X" });

    const first = await setBlockers(x.id, [a.id, b.id]);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(ids(first.body.blockedBy)).toEqual([a.id, b.id]);

    const second = await setBlockers(x.id, [b.id, c.id]);
    expect(second.status).toBe(200);
    expect(ids(second.body.blockedBy)).toEqual([b.id, c.id]);
    expect(ids((await detail(x.id)).blockedBy)).toEqual([b.id, c.id]);
    expect((await detail(a.id)).blocks).toEqual([]);
    expect(ids((await detail(b.id)).blocks)).toEqual([x.id]);
    expect(ids((await detail(c.id)).blocks)).toEqual([x.id]);

    const rows = await blockerUpdates(x.id);
    expect(rows).toHaveLength(2);
    const blockerChanges = rows.map((r) => r.details.blockers);
    expect(blockerChanges).toEqual(
      expect.arrayContaining([
        { added: expect.arrayContaining([a.id, b.id]), removed: [] },
        { added: [c.id], removed: [a.id] },
      ]),
    );
  });

  it("an empty array clears every blocker", async () => {
    const a = await createIssue(t.current, company.id);
    const b = await createIssue(t.current, company.id);
    const x = await createIssue(t.current, company.id, { blockedByIssueIds: [a.id, b.id] });
    const res = await setBlockers(x.id, []);
    expect(res.status).toBe(200);
    expect(res.body.blockedBy).toEqual([]);
    expect((await detail(x.id)).blockedBy).toEqual([]);
    expect((await detail(a.id)).blocks).toEqual([]);
    expect((await detail(b.id)).blocks).toEqual([]);
    const [row] = await blockerUpdates(x.id);
    expect(row!.details.blockers.added).toEqual([]);
    expect([...row!.details.blockers.removed].sort()).toEqual([a.id, b.id].sort());
  });

  it("a patch without blockedByIssueIds leaves the set alone", async () => {
    const a = await createIssue(t.current, company.id);
    const x = await createIssue(t.current, company.id, { blockedByIssueIds: [a.id] });
    const res = await t.current.patch(`/api/issues/${x.id}`, { title: "renamed" });
    expect(res.status).toBe(200);
    expect(ids(res.body.blockedBy)).toEqual([a.id]);
    expect(ids((await detail(x.id)).blockedBy)).toEqual([a.id]);
  });

  it("blocker refs show the blocker's current status", async () => {
    const a = await createIssue(t.current, company.id);
    const x = await createIssue(t.current, company.id, { blockedByIssueIds: [a.id] });
    expect((await t.current.patch(`/api/issues/${a.id}`, { status: "done" })).status).toBe(200);
    expect((await detail(x.id)).blockedBy[0].status).toBe("done");
  });

  it("an issue cannot block itself -> 422", async () => {
    const a = await createIssue(t.current, company.id);
    const x = await createIssue(t.current, company.id, { blockedByIssueIds: [a.id] });
    const res = await setBlockers(x.id, [a.id, x.id]);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("blocker_cycle");
    expect(ids((await detail(x.id)).blockedBy)).toEqual([a.id]);
  });

  it("direct cycle: X blocked by Y, then Y blocked by X -> 422", async () => {
    const y = await createIssue(t.current, company.id, { title: "Y" });
    const x = await createIssue(t.current, company.id, { title: "X", blockedByIssueIds: [y.id] });
    const res = await setBlockers(y.id, [x.id]);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("blocker_cycle");
    expect((await detail(y.id)).blockedBy).toEqual([]);
    expect(ids((await detail(x.id)).blockedBy)).toEqual([y.id]);
  });

  it("transitive cycle: X <- Y <- Z, then Z blocked by X -> 422; state unchanged", async () => {
    const z = await createIssue(t.current, company.id, { title: "Z" });
    const y = await createIssue(t.current, company.id, { title: "Y", blockedByIssueIds: [z.id] });
    const x = await createIssue(t.current, company.id, { title: "X", blockedByIssueIds: [y.id] });
    const other = await createIssue(t.current, company.id, { title: "other" });
    expect((await setBlockers(z.id, [other.id])).status).toBe(200);

    const res = await t.current.patch(`/api/issues/${z.id}`, { blockedByIssueIds: [other.id, x.id], title: "changed" });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("blocker_cycle");
    const zNow = await detail(z.id);
    expect(ids(zNow.blockedBy)).toEqual([other.id]);
    expect(zNow.title).toBe("Z");
    expect((await detail(x.id)).blocks).toEqual([]);
  });

  it("shared blockers and diamonds are not cycles", async () => {
    const base = await createIssue(t.current, company.id, { title: "base" });
    const left = await createIssue(t.current, company.id, { title: "left", blockedByIssueIds: [base.id] });
    const right = await createIssue(t.current, company.id, { title: "right", blockedByIssueIds: [base.id] });
    const top = await createIssue(t.current, company.id, { title: "top", blockedByIssueIds: [left.id, right.id] });
    // top also directly blocked by base: redundant, not a cycle.
    const res = await setBlockers(top.id, [left.id, right.id, base.id]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(ids(res.body.blockedBy)).toEqual([base.id, left.id, right.id]);
    expect(ids((await detail(base.id)).blocks)).toEqual([left.id, right.id, top.id]);
    // The blocked issue can itself block something new downstream.
    const after = await createIssue(t.current, company.id, { blockedByIssueIds: [top.id] });
    expect(ids(after.blockedBy)).toEqual([top.id]);
  });

  it("unknown or other-company blocker -> 404; previous set kept", async () => {
    const a = await createIssue(t.current, company.id);
    const x = await createIssue(t.current, company.id, { blockedByIssueIds: [a.id] });
    const other = await createCompany(t.current);
    const foreign = await createIssue(t.current, other.id);
    for (const blocker of [UNKNOWN_UUID, foreign.id]) {
      const res = await setBlockers(x.id, [blocker]);
      expect(res.status, blocker).toBe(404);
      expect(res.body.error).toContain(blocker);
    }
    expect(ids((await detail(x.id)).blockedBy)).toEqual([a.id]);
    expect((await detail(foreign.id)).blocks).toEqual([]);
  });

  it("upper-case uuids name the same issues (no 404, no duplicate edge, self still caught)", async () => {
    const a = await createIssue(t.current, company.id);
    const x = await createIssue(t.current, company.id);
    const res = await setBlockers(x.id, [a.id.toUpperCase()]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(ids(res.body.blockedBy)).toEqual([a.id]);
    const mixed = await t.current.post(`/api/companies/${company.id}/issues`, {
      title: "mixed",
      blockedByIssueIds: [a.id, a.id.toUpperCase()],
    });
    expect(mixed.status, JSON.stringify(mixed.body)).toBe(201);
    expect(ids(mixed.body.blockedBy)).toEqual([a.id]);
    const self = await setBlockers(x.id, [x.id.toUpperCase()]);
    expect(self.status).toBe(422);
    expect(self.body.code).toBe("blocker_cycle");
    const cycle = await setBlockers(a.id, [x.id.toUpperCase()]);
    expect(cycle.status).toBe(422);
    expect(ids((await detail(x.id)).blockedBy)).toEqual([a.id]);
  });

  it("setting the same set again changes nothing", async () => {
    const a = await createIssue(t.current, company.id);
    const x = await createIssue(t.current, company.id);
    expect((await setBlockers(x.id, [a.id])).status).toBe(200);
    const again = await setBlockers(x.id, [a.id]);
    expect(again.status).toBe(200);
    expect(ids(again.body.blockedBy)).toEqual([a.id]);
    const rows = await blockerUpdates(x.id);
    expect(rows.map((r) => r.details.blockers)).toEqual([{ added: [a.id], removed: [] }]);
  });
});

describe("work cannot start on a blocked issue", () => {
  it("PATCH to in_progress with an open blocker -> 422; once the blocker is done -> 200", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { runtimeConfig: { heartbeat: { wakeOnDemand: false } } });
    const blocker = await createIssue(t.current, company.id, { status: "todo" });
    const issue = await createIssue(t.current, company.id, { status: "todo", assigneeAgentId: agent.id, blockedByIssueIds: [blocker.id] });
    const refused = await t.current.patch(`/api/issues/${issue.id}`, { status: "in_progress" });
    expect(refused.status).toBe(422);
    expect(refused.body.details.blockedByIssueIds).toEqual([blocker.id]);
    expect((await t.current.get(`/api/issues/${issue.id}`)).body.status).toBe("todo");
    expect((await t.current.patch(`/api/issues/${blocker.id}`, { status: "done" })).status).toBe(200);
    expect((await t.current.patch(`/api/issues/${issue.id}`, { status: "in_progress" })).status).toBe(200);
  });

  it("creating an in_progress issue with an open blocker -> 422 and nothing is created", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { runtimeConfig: { heartbeat: { wakeOnDemand: false } } });
    const blocker = await createIssue(t.current, company.id, { status: "todo" });
    const res = await t.current.post(`/api/companies/${company.id}/issues`, {
      title: "x",
      status: "in_progress",
      assigneeAgentId: agent.id,
      blockedByIssueIds: [blocker.id],
    });
    expect(res.status).toBe(422);
    const list = await t.current.get(`/api/companies/${company.id}/issues`);
    expect(list.body).toHaveLength(1);
  });

  it("an upper-case uuid names the same agent: re-sending the assignee changes nothing", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { runtimeConfig: { heartbeat: { wakeOnDemand: false } } });
    const issue = await createIssue(t.current, company.id, { status: "todo", assigneeAgentId: agent.id });
    const res = await t.current.patch(`/api/issues/${issue.id}`, { assigneeAgentId: agent.id.toUpperCase() });
    expect(res.status).toBe(200);
    expect(res.body.assigneeAgentId).toBe(agent.id);
    const activity = await t.current.get(`/api/issues/${issue.id}/activity`);
    expect(activity.body.filter((a: { action: string }) => a.action === "issue.updated")).toHaveLength(0);
  });
});
