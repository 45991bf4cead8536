import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

const t = useTestApp();

async function createLabel(companyId: string, body: Record<string, unknown>, token?: string) {
  const res = await t.current.post(`/api/companies/${companyId}/labels`, body, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; name: string; color: string; companyId: string };
}

async function listIssues(companyId: string, query = "") {
  const res = await t.current.get(`/api/companies/${companyId}/issues${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as any[];
}

describe("label CRUD", () => {
  it("create, list by name, rename/recolor, delete; each change leaves an activity row", async () => {
    const company = await createCompany(t.current);
    const bug = await createLabel(company.id, { name: "  bug ", color: "#dc2626" });
    expect(bug).toMatchObject({ companyId: company.id, name: "bug", color: "#dc2626" });
    expect(bug.id).toMatch(/^[0-9a-f-]{36}$/);
    await createLabel(company.id, { name: "Backend", color: "#2563EB" });

    const list = await t.current.get(`/api/companies/${company.id}/labels`);
    expect(list.status).toBe(200);
    expect(list.body.map((l: any) => l.name)).toEqual(["Backend", "bug"]);
    expect(Object.keys(list.body[0]).sort()).toEqual(["color", "companyId", "createdAt", "id", "name", "updatedAt"]);

    const renamed = await t.current.patch(`/api/labels/${bug.id}`, { name: "defect" });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: bug.id, name: "defect", color: "#dc2626" });
    const recolored = await t.current.patch(`/api/labels/${bug.id}`, { color: "#000000" });
    expect(recolored.body).toMatchObject({ name: "defect", color: "#000000" });

    const removed = await t.current.del(`/api/labels/${bug.id}`);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ id: bug.id, name: "defect" });
    expect((await t.current.get(`/api/companies/${company.id}/labels`)).body.map((l: any) => l.name)).toEqual(["Backend"]);
    expect((await t.current.del(`/api/labels/${bug.id}`)).status).toBe(404);

    const actions = await t.current.tdb.db.query<{ action: string }>(
      "SELECT action FROM activity_log WHERE entity_type = 'label' AND entity_id = $1 ORDER BY created_at, id",
      [bug.id],
    );
    expect(actions.map((a) => a.action)).toEqual(["label.created", "label.updated", "label.updated", "label.deleted"]);
  });

  it("bad input is a 400 naming the field", async () => {
    const company = await createCompany(t.current);
    for (const body of [
      { name: "x", color: "red" },
      { name: "x", color: "#12345" },
      { name: "   ", color: "#123456" },
      { name: "x".repeat(49), color: "#123456" },
      { name: "x" },
      { name: "x", color: "#123456", extra: 1 },
    ]) {
      const res = await t.current.post(`/api/companies/${company.id}/labels`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const label = await createLabel(company.id, { name: "ok", color: "#123456" });
    const empty = await t.current.patch(`/api/labels/${label.id}`, {});
    expect(empty.status).toBe(400);
    expect((await t.current.patch(`/api/labels/not-a-uuid`, { name: "y" })).status).toBe(404);
  });

  it("a duplicate name in the company (any case) is a 409; another company may reuse it", async () => {
    const company = await createCompany(t.current);
    const first = await createLabel(company.id, { name: "Urgent", color: "#ff0000" });
    const dup = await t.current.post(`/api/companies/${company.id}/labels`, { name: "urgent", color: "#00ff00" });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ code: "label_name_taken" });
    expect(dup.body.error).toContain("urgent");
    const other = await createLabel(company.id, { name: "Later", color: "#00ff00" });
    const rename = await t.current.patch(`/api/labels/${other.id}`, { name: "URGENT" });
    expect(rename.status).toBe(409);
    // Renaming a label to its own name in another case is allowed.
    expect((await t.current.patch(`/api/labels/${first.id}`, { name: "URGENT" })).status).toBe(200);
    const elsewhere = await createCompany(t.current);
    await createLabel(elsewhere.id, { name: "Urgent", color: "#ff0000" });
  });

  it("agents manage their own company's labels; another company's are 403 (list) or 404 (by id)", async () => {
    const company = await createCompany(t.current);
    const agentKey = await createAgentKey(t.current, (await createAgent(t.current, company.id)).id);
    const byAgent = await createLabel(company.id, { name: "agent-made", color: "#111111" }, agentKey.token);
    const activity = await t.current.tdb.db.query<{ actorType: string }>(
      "SELECT actor_type FROM activity_log WHERE action = 'label.created' AND entity_id = $1",
      [byAgent.id],
    );
    expect(activity).toEqual([{ actorType: "agent" }]);

    const other = await createCompany(t.current);
    const theirs = await createLabel(other.id, { name: "theirs", color: "#222222" });
    expect((await t.current.get(`/api/companies/${other.id}/labels`, { token: agentKey.token })).status).toBe(403);
    expect(
      (await t.current.post(`/api/companies/${other.id}/labels`, { name: "x", color: "#333333" }, { token: agentKey.token })).status,
    ).toBe(403);
    expect((await t.current.patch(`/api/labels/${theirs.id}`, { name: "mine now" }, { token: agentKey.token })).status).toBe(404);
    expect((await t.current.del(`/api/labels/${theirs.id}`, { token: agentKey.token })).status).toBe(404);
    expect((await t.current.del(`/api/labels/${byAgent.id}`, { token: agentKey.token })).status).toBe(200);
  });
});

describe("labels on issues", () => {
  it("labelIds on create show in the create answer, the detail and the list (labels ordered by name)", async () => {
    const company = await createCompany(t.current);
    const z = await createLabel(company.id, { name: "zeta", color: "#000001" });
    const a = await createLabel(company.id, { name: "alpha", color: "#000002" });
    const issue = await createIssue(t.current, company.id, { labelIds: [z.id, a.id, z.id] });
    expect(issue.labelIds).toEqual([a.id, z.id]);
    expect(issue.labels.map((l: any) => l.name)).toEqual(["alpha", "zeta"]);
    const plain = await createIssue(t.current, company.id);
    expect(plain.labelIds).toEqual([]);
    expect(plain.labels).toEqual([]);

    const detail = await t.current.get(`/api/issues/${issue.identifier}`);
    expect(detail.body.labelIds).toEqual([a.id, z.id]);
    expect(detail.body.labels[0]).toMatchObject({ id: a.id, name: "alpha", color: "#000002", companyId: company.id });

    const rows = await listIssues(company.id);
    const listed = rows.find((r) => r.id === issue.id);
    expect(listed.labelIds).toEqual([a.id, z.id]);
    expect(listed.labels).toEqual(
      detail.body.labels.map((l: any) => ({ ...l, createdAt: expect.stringMatching(/Z$/), updatedAt: expect.stringMatching(/Z$/) })),
    );
    expect(rows.find((r) => r.id === plain.id)).toMatchObject({ labelIds: [], labels: [] });
  });

  it("labelIds on update replace the set ([] clears it) and record the change", async () => {
    const company = await createCompany(t.current);
    const one = await createLabel(company.id, { name: "one", color: "#000001" });
    const two = await createLabel(company.id, { name: "two", color: "#000002" });
    const issue = await createIssue(t.current, company.id, { labelIds: [one.id] });
    const swapped = await t.current.patch(`/api/issues/${issue.id}`, { labelIds: [two.id] });
    expect(swapped.status).toBe(200);
    expect(swapped.body.labelIds).toEqual([two.id]);
    const cleared = await t.current.patch(`/api/issues/${issue.id}`, { labelIds: [] });
    expect(cleared.body).toMatchObject({ labelIds: [], labels: [] });
    const untouched = await t.current.patch(`/api/issues/${issue.id}`, { title: "renamed" });
    expect(untouched.body.labelIds).toEqual([]);

    const activity = (await t.current.get(`/api/issues/${issue.id}/activity`)).body.filter((r: any) => r.action === "issue.updated");
    const labelChanges = activity
      .map((r: any) => r.details.changes.labelIds)
      .filter(Boolean)
      .reverse();
    expect(labelChanges).toEqual([
      { from: [one.id], to: [two.id] },
      { from: [two.id], to: [] },
    ]);
  });

  it("an unknown label or another company's label is a 422 and changes nothing", async () => {
    const company = await createCompany(t.current);
    const mine = await createLabel(company.id, { name: "mine", color: "#000001" });
    const other = await createCompany(t.current);
    const theirs = await createLabel(other.id, { name: "theirs", color: "#000002" });
    const unknown = "00000000-0000-4000-8000-000000000000";
    for (const labelIds of [[theirs.id], [mine.id, unknown]]) {
      const res = await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", labelIds });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe("label_invalid");
      expect(res.body.details.invalidLabelIds).toEqual([labelIds[labelIds.length - 1]]);
    }
    expect(await listIssues(company.id)).toEqual([]);
    const issue = await createIssue(t.current, company.id, { labelIds: [mine.id] });
    const bad = await t.current.patch(`/api/issues/${issue.id}`, { labelIds: [theirs.id], title: "changed" });
    expect(bad.status).toBe(422);
    const after = await t.current.get(`/api/issues/${issue.id}`);
    expect(after.body).toMatchObject({ labelIds: [mine.id], title: issue.title });
    expect((await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", labelIds: ["nope"] })).status).toBe(400);
  });

  it("?labelId= lists only issues carrying the label (one id; anything else is a 400)", async () => {
    const company = await createCompany(t.current);
    const red = await createLabel(company.id, { name: "red", color: "#ff0000" });
    const blue = await createLabel(company.id, { name: "blue", color: "#0000ff" });
    const both = await createIssue(t.current, company.id, { labelIds: [red.id, blue.id] });
    const onlyRed = await createIssue(t.current, company.id, { labelIds: [red.id] });
    await createIssue(t.current, company.id);
    const reds = await listIssues(company.id, `?labelId=${red.id}`);
    expect(reds.map((r) => r.id).sort()).toEqual([both.id, onlyRed.id].sort());
    const blues = await listIssues(company.id, `?labelId=${blue.id}&status=backlog`);
    expect(blues.map((r) => r.id)).toEqual([both.id]);
    // The filter narrows the issues, not the labels each one shows.
    expect(blues[0].labelIds).toHaveLength(2);
    expect((await t.current.get(`/api/companies/${company.id}/issues?labelId=${red.id},${blue.id}`)).status).toBe(400);
    expect((await t.current.get(`/api/companies/${company.id}/issues?labelId=red`)).status).toBe(400);
  });

  it("deleting a label removes it from every issue", async () => {
    const company = await createCompany(t.current);
    const keep = await createLabel(company.id, { name: "keep", color: "#000001" });
    const gone = await createLabel(company.id, { name: "gone", color: "#000002" });
    const issue = await createIssue(t.current, company.id, { labelIds: [keep.id, gone.id] });
    const removed = await t.current.del(`/api/labels/${gone.id}`);
    expect(removed.status).toBe(200);
    expect((await t.current.get(`/api/issues/${issue.id}`)).body.labelIds).toEqual([keep.id]);
    expect(await listIssues(company.id, `?labelId=${gone.id}`)).toEqual([]);
    const [act] = await t.current.tdb.db.query<{ details: any }>(
      "SELECT details FROM activity_log WHERE action = 'label.deleted' AND entity_id = $1",
      [gone.id],
    );
    expect(act!.details).toMatchObject({ name: "gone", removedFromIssues: 1 });
  });

  it("an agent may not relabel an issue assigned to another agent", async () => {
    const company = await createCompany(t.current);
    const label = await createLabel(company.id, { name: "x", color: "#000001" });
    const owner = await createAgent(t.current, company.id);
    const otherKey = await createAgentKey(t.current, (await createAgent(t.current, company.id)).id);
    const issue = await createIssue(t.current, company.id, { assigneeAgentId: owner.id, status: "todo" });
    const res = await t.current.patch(`/api/issues/${issue.id}`, { labelIds: [label.id] }, { token: otherKey.token });
    expect(res.status).toBe(403);
    expect((await t.current.get(`/api/issues/${issue.id}`)).body.labelIds).toEqual([]);
  });
});
