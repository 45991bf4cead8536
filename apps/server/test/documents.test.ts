import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

const t = useTestApp();

const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

async function freshIssue() {
  const company = await createCompany(t.current);
  const issue = await createIssue(t.current, company.id);
  return { company, issue };
}

async function putDoc(
  issueRef: string,
  key: string,
  body: Record<string, unknown>,
  expected = 200,
  options: { token?: string; runId?: string } = {},
) {
  const res = await t.current.put(`/api/issues/${issueRef}/documents/${key}`, body, options);
  expect(res.status, JSON.stringify(res.body)).toBe(expected);
  return res.body as { id: string; latestRevisionId: string; latestRevisionNumber: number; [k: string]: any };
}

async function activityOf(issueId: string) {
  const res = await t.current.get(`/api/issues/${issueId}/activity`);
  expect(res.status).toBe(200);
  return res.body as any[];
}

describe("PUT /api/issues/:id/documents/:key", () => {
  it("creates (201, revision 1) then revises (200, revision 2)", async () => {
    const { company, issue } = await freshIssue();
    const created = await putDoc(issue.id, "plan", { title: "Plan", body: "# Plan\n\n1. first" }, 201);
    expect(created).toMatchObject({
      companyId: company.id,
      issueId: issue.id,
      key: "plan",
      title: "Plan",
      format: "markdown",
      body: "# Plan\n\n1. first",
      latestRevisionNumber: 1,
    });
    expect(created.latestRevisionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created).not.toHaveProperty("linkId");

    const revised = await putDoc(issue.id, "plan", { body: "# Plan\n\n1. first\n2. second", changeSummary: "add step 2" }, 200);
    expect(revised).toMatchObject({
      id: created.id,
      key: "plan",
      title: "Plan",
      latestRevisionNumber: 2,
      body: "# Plan\n\n1. first\n2. second",
    });
    expect(revised.latestRevisionId).not.toBe(created.latestRevisionId);

    const third = await putDoc(issue.id, "plan", { body: "v3", title: "Renamed" }, 200);
    expect(third).toMatchObject({ latestRevisionNumber: 3, title: "Renamed", body: "v3" });
  });

  it("format defaults to markdown; an unknown format -> 400", async () => {
    const { issue } = await freshIssue();
    const doc = await putDoc(issue.id, "notes", { body: "hello" }, 201);
    expect(doc.format).toBe("markdown");
    expect(doc.title).toBeNull();
    const explicit = await putDoc(issue.id, "notes2", { body: "hello", format: "markdown" }, 201);
    expect(explicit.format).toBe("markdown");
    const bad = await t.current.put(`/api/issues/${issue.id}/documents/notes3`, { body: "x", format: "html" });
    expect(bad.status).toBe(400);
    const [{ count }] = (await t.current.tdb.db.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM issue_documents WHERE issue_id = $1 AND key = 'notes3'",
      [issue.id],
    )) as [{ count: number }];
    expect(count).toBe(0);
  });

  it("an empty body is a valid document; a missing body -> 400; unknown fields -> 400", async () => {
    const { issue } = await freshIssue();
    const empty = await putDoc(issue.id, "empty", { body: "" }, 201);
    expect(empty.body).toBe("");
    expect((await t.current.put(`/api/issues/${issue.id}/documents/nobody`, { title: "x" })).status).toBe(400);
    expect((await t.current.put(`/api/issues/${issue.id}/documents/extra`, { body: "x", bogus: 1 })).status).toBe(400);
  });

  it("key rule: Plan, -x, 65 chars, 'a b', 'a.b' -> 400; plan, continuation-summary, a_b-1, 64 chars ok", async () => {
    const { issue } = await freshIssue();
    for (const key of ["Plan", "-x", "_x", "a".repeat(65), encodeURIComponent("a b"), "a.b", "PLAN", encodeURIComponent("ü")]) {
      const res = await t.current.put(`/api/issues/${issue.id}/documents/${key}`, { body: "x" });
      expect(res.status, key).toBe(400);
      expect(res.body.error).toMatch(/Invalid document key|Validation error/);
    }
    for (const key of ["plan", "continuation-summary", "a_b-1", "0", "9lives", "a".repeat(64)]) {
      const res = await t.current.put(`/api/issues/${issue.id}/documents/${key}`, { body: `doc ${key}` });
      expect(res.status, key).toBe(201);
      expect(res.body.key).toBe(key);
    }
    // Sorted here, not in SQL: the order of punctuation depends on the database collation.
    const rows = await t.current.tdb.db.query<{ key: string }>("SELECT key FROM issue_documents WHERE issue_id = $1", [issue.id]);
    expect(rows.map((r) => r.key).sort()).toEqual(["0", "9lives", "a".repeat(64), "a_b-1", "continuation-summary", "plan"].sort());
  });

  it("invalid keys are 400 on GET, DELETE and revisions too", async () => {
    const { issue } = await freshIssue();
    expect((await t.current.get(`/api/issues/${issue.id}/documents/Plan`)).status).toBe(400);
    expect((await t.current.del(`/api/issues/${issue.id}/documents/-x`)).status).toBe(400);
    expect((await t.current.get(`/api/issues/${issue.id}/documents/${"a".repeat(65)}/revisions`)).status).toBe(400);
  });

  it("body over 512 KiB -> 400 (bytes, not characters); exactly 512 KiB is accepted", async () => {
    const { issue } = await freshIssue();
    const max = 512 * 1024;
    const tooBig = await t.current.put(`/api/issues/${issue.id}/documents/big`, { body: "a".repeat(max + 1) });
    expect(tooBig.status).toBe(400);
    expect(JSON.stringify(tooBig.body)).toContain("524288");
    // 300 000 two-byte characters: under 512 Ki characters but over 512 KiB of UTF-8.
    const multiByte = await t.current.put(`/api/issues/${issue.id}/documents/big`, { body: "é".repeat(300_000) });
    expect(multiByte.status).toBe(400);
    expect((await t.current.get(`/api/issues/${issue.id}/documents/big`)).status).toBe(404);

    const exact = await putDoc(issue.id, "big", { body: "a".repeat(max) }, 201);
    expect(exact.body.length).toBe(max);
    // A revision over the limit is refused and leaves the document as it was.
    const tooBigRevision = await t.current.put(`/api/issues/${issue.id}/documents/big`, { body: "b".repeat(max + 1) });
    expect(tooBigRevision.status).toBe(400);
    const after = await t.current.get(`/api/issues/${issue.id}/documents/big`);
    expect(after.body.latestRevisionNumber).toBe(1);
  });

  it("unknown issue -> 404; issue of another company for an agent -> 404", async () => {
    const { issue } = await freshIssue();
    expect((await t.current.put(`/api/issues/${UNKNOWN_UUID}/documents/plan`, { body: "x" })).status).toBe(404);
    const other = await createCompany(t.current);
    const outsider = await createAgent(t.current, other.id);
    const key = await createAgentKey(t.current, outsider.id);
    const res = await t.current.put(`/api/issues/${issue.id}/documents/plan`, { body: "x" }, { token: key.token });
    expect(res.status).toBe(404);
    expect((await t.current.get(`/api/issues/${issue.id}/documents`, { token: key.token })).status).toBe(404);
    expect((await t.current.get(`/api/issues/${issue.id}/documents`)).body).toEqual([]);
  });

  it("works on the identifier path", async () => {
    const { issue } = await freshIssue();
    const doc = await putDoc(issue.identifier, "plan", { body: "via identifier" }, 201);
    expect(doc.issueId).toBe(issue.id);
    const got = await t.current.get(`/api/issues/${issue.identifier.toLowerCase()}/documents/plan`);
    expect(got.status).toBe(200);
    expect(got.body.body).toBe("via identifier");
  });
});

describe("optimistic concurrency (baseRevisionId)", () => {
  it("a stale baseRevisionId -> 409 with details.currentRevisionId; the right one -> 200", async () => {
    const { issue } = await freshIssue();
    const v1 = await putDoc(issue.id, "plan", { body: "v1" }, 201);
    const v2 = await putDoc(issue.id, "plan", { body: "v2", baseRevisionId: v1.latestRevisionId }, 200);
    expect(v2.latestRevisionNumber).toBe(2);

    const stale = await t.current.put(`/api/issues/${issue.id}/documents/plan`, {
      body: "lost update",
      baseRevisionId: v1.latestRevisionId,
    });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe("document_base_stale");
    expect(stale.body.details).toMatchObject({
      key: "plan",
      baseRevisionId: v1.latestRevisionId,
      currentRevisionId: v2.latestRevisionId,
      currentRevisionNumber: 2,
    });
    const unchanged = await t.current.get(`/api/issues/${issue.id}/documents/plan`);
    expect(unchanged.body).toMatchObject({ body: "v2", latestRevisionNumber: 2, latestRevisionId: v2.latestRevisionId });
    const revs = await t.current.get(`/api/issues/${issue.id}/documents/plan/revisions`);
    expect(revs.body).toHaveLength(2);

    const v3 = await putDoc(issue.id, "plan", { body: "v3", baseRevisionId: stale.body.details.currentRevisionId }, 200);
    expect(v3).toMatchObject({ body: "v3", latestRevisionNumber: 3 });
  });

  it("an unknown baseRevisionId is stale too", async () => {
    const { issue } = await freshIssue();
    await putDoc(issue.id, "plan", { body: "v1" }, 201);
    const res = await t.current.put(`/api/issues/${issue.id}/documents/plan`, { body: "x", baseRevisionId: UNKNOWN_UUID });
    expect(res.status).toBe(409);
  });

  it("baseRevisionId on a missing document -> 409 and nothing is created", async () => {
    const { issue } = await freshIssue();
    const res = await t.current.put(`/api/issues/${issue.id}/documents/plan`, { body: "x", baseRevisionId: UNKNOWN_UUID });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("document_base_stale");
    expect((await t.current.get(`/api/issues/${issue.id}/documents/plan`)).status).toBe(404);
    const docs = await t.current.tdb.db.query("SELECT id FROM issue_documents WHERE issue_id = $1", [issue.id]);
    expect(docs).toHaveLength(0);
  });

  it("baseRevisionId: null behaves like no base", async () => {
    const { issue } = await freshIssue();
    await putDoc(issue.id, "plan", { body: "v1", baseRevisionId: null }, 201);
    await putDoc(issue.id, "plan", { body: "v2", baseRevisionId: null }, 200);
  });

  it("a baseRevisionId that is not a uuid -> 400", async () => {
    const { issue } = await freshIssue();
    const res = await t.current.put(`/api/issues/${issue.id}/documents/plan`, { body: "x", baseRevisionId: "rev-1" });
    expect(res.status).toBe(400);
  });

  it("parallel writers on the same base: exactly one wins, the others get 409", async () => {
    const { issue } = await freshIssue();
    const v1 = await putDoc(issue.id, "plan", { body: "v1" }, 201);
    const results = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        t.current.put(`/api/issues/${issue.id}/documents/plan`, { body: `writer ${i}`, baseRevisionId: v1.latestRevisionId }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409]);
    const doc = await t.current.get(`/api/issues/${issue.id}/documents/plan`);
    expect(doc.body.latestRevisionNumber).toBe(2);
    const winner = results.find((r) => r.status === 200)!;
    expect(doc.body.body).toBe(winner.body.body);
  });
});

describe("GET documents, revisions", () => {
  it("lists the issue's documents ordered by key, with bodies", async () => {
    const { issue } = await freshIssue();
    await putDoc(issue.id, "zeta", { body: "z" }, 201);
    await putDoc(issue.id, "alpha", { body: "a", title: "Alpha" }, 201);
    await putDoc(issue.id, "alpha", { body: "a2" }, 200);
    const other = await freshIssue();
    await putDoc(other.issue.id, "alpha", { body: "other issue" }, 201);

    const res = await t.current.get(`/api/issues/${issue.id}/documents`);
    expect(res.status).toBe(200);
    expect(res.body.map((d: any) => [d.key, d.body, d.latestRevisionNumber])).toEqual([
      ["alpha", "a2", 2],
      ["zeta", "z", 1],
    ]);
    expect(res.body.every((d: any) => d.issueId === issue.id)).toBe(true);
  });

  it("GET one returns the latest revision; unknown key -> 404", async () => {
    const { issue } = await freshIssue();
    const v1 = await putDoc(issue.id, "plan", { body: "v1", title: "T" }, 201);
    const v2 = await putDoc(issue.id, "plan", { body: "v2" }, 200);
    const res = await t.current.get(`/api/issues/${issue.id}/documents/plan`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: v1.id, body: "v2", title: "T", latestRevisionNumber: 2, latestRevisionId: v2.latestRevisionId });
    const missing = await t.current.get(`/api/issues/${issue.id}/documents/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe("Document not found");
  });

  it("the same key on two issues is two documents", async () => {
    const a = await freshIssue();
    const b = await freshIssue();
    const da = await putDoc(a.issue.id, "plan", { body: "A" }, 201);
    const db = await putDoc(b.issue.id, "plan", { body: "B" }, 201);
    expect(da.id).not.toBe(db.id);
    expect((await t.current.get(`/api/issues/${a.issue.id}/documents/plan`)).body.body).toBe("A");
    expect((await t.current.get(`/api/issues/${b.issue.id}/documents/plan`)).body.body).toBe("B");
  });

  it("revisions are listed newest first with bodies, titles and changeSummary", async () => {
    const { issue } = await freshIssue();
    const v1 = await putDoc(issue.id, "plan", { body: "one", title: "First", changeSummary: "initial" }, 201);
    const v2 = await putDoc(issue.id, "plan", { body: "two", changeSummary: "second pass" }, 200);
    const v3 = await putDoc(issue.id, "plan", { body: "three", title: "Third" }, 200);
    const res = await t.current.get(`/api/issues/${issue.id}/documents/plan/revisions`);
    expect(res.status).toBe(200);
    expect(res.body.map((r: any) => [r.revisionNumber, r.body, r.title, r.changeSummary])).toEqual([
      [3, "three", "Third", null],
      [2, "two", "First", "second pass"],
      [1, "one", "First", "initial"],
    ]);
    expect(res.body.map((r: any) => r.id)).toEqual([v3.latestRevisionId, v2.latestRevisionId, v1.latestRevisionId]);
    for (const r of res.body) {
      expect(r).toMatchObject({ documentId: v1.id, createdByAgentId: null, createdByUserId: "local-board", createdByRunId: null });
    }
    const missing = await t.current.get(`/api/issues/${issue.id}/documents/other/revisions`);
    expect(missing.status).toBe(404);
  });

  it("agent key writes stamp createdByAgentId (and the run) on the revision", async () => {
    const { company, issue } = await freshIssue();
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    await putDoc(issue.id, "plan", { body: "by agent" }, 201, { token: key.token });
    const [run] = await t.current.tdb.db.query<{ id: string }>(
      "INSERT INTO heartbeat_runs (company_id, agent_id, status) VALUES ($1, $2, 'running') RETURNING id",
      [company.id, agent.id],
    );
    await putDoc(issue.id, "plan", { body: "by agent in a run" }, 200, { token: key.token, runId: run!.id });
    await putDoc(issue.id, "plan", { body: "by board" }, 200);
    const revs = await t.current.get(`/api/issues/${issue.id}/documents/plan/revisions`, { token: key.token });
    expect(revs.status).toBe(200);
    expect(revs.body.map((r: any) => [r.revisionNumber, r.createdByAgentId, r.createdByUserId, r.createdByRunId])).toEqual([
      [3, null, "local-board", null],
      [2, agent.id, null, run!.id],
      [1, agent.id, null, null],
    ]);
    const activity = await activityOf(issue.id);
    const created = activity.find((a) => a.action === "issue.document_created");
    expect(created).toMatchObject({ actorType: "agent", actorId: agent.id, agentId: agent.id });
    const inRun = activity.find((a) => a.action === "issue.document_updated" && a.details.revisionNumber === 2);
    expect(inRun.runId).toBe(run!.id);
  });
});

describe("DELETE /api/issues/:id/documents/:key", () => {
  it("deletes (200) with its revisions, then 404; the key can be created again from revision 1", async () => {
    const { issue } = await freshIssue();
    const doc = await putDoc(issue.id, "plan", { body: "v1" }, 201);
    await putDoc(issue.id, "plan", { body: "v2" }, 200);
    const del = await t.current.del(`/api/issues/${issue.id}/documents/plan`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ ok: true });
    expect((await t.current.get(`/api/issues/${issue.id}/documents/plan`)).status).toBe(404);
    expect((await t.current.get(`/api/issues/${issue.id}/documents/plan/revisions`)).status).toBe(404);
    expect((await t.current.del(`/api/issues/${issue.id}/documents/plan`)).status).toBe(404);
    expect((await t.current.get(`/api/issues/${issue.id}/documents`)).body).toEqual([]);
    const leftovers = await t.current.tdb.db.query(
      "SELECT id FROM document_revisions WHERE document_id = $1 UNION ALL SELECT id FROM documents WHERE id = $1",
      [doc.id],
    );
    expect(leftovers).toHaveLength(0);

    const again = await putDoc(issue.id, "plan", { body: "fresh" }, 201);
    expect(again.latestRevisionNumber).toBe(1);
    expect(again.id).not.toBe(doc.id);
  });

  it("deleting an unknown key -> 404 and writes no activity", async () => {
    const { issue } = await freshIssue();
    const before = await activityOf(issue.id);
    const res = await t.current.del(`/api/issues/${issue.id}/documents/never`);
    expect(res.status).toBe(404);
    expect(await activityOf(issue.id)).toEqual(before);
  });
});

describe("document activity", () => {
  it("records issue.document_created / document_updated / document_deleted", async () => {
    const { company, issue } = await freshIssue();
    const v1 = await putDoc(issue.id, "plan", { body: "v1" }, 201);
    const v2 = await putDoc(issue.id, "plan", { body: "v2" }, 200);
    await t.current.del(`/api/issues/${issue.id}/documents/plan`);
    const rows = (await activityOf(issue.id)).filter((a) => a.action.startsWith("issue.document_"));
    expect(rows.map((a) => a.action)).toEqual(["issue.document_deleted", "issue.document_updated", "issue.document_created"]);
    for (const row of rows) {
      expect(row).toMatchObject({
        companyId: company.id,
        entityType: "issue",
        entityId: issue.id,
        actorType: "user",
        actorId: "local-board",
      });
      expect(row.details).toMatchObject({ key: "plan", documentId: v1.id, identifier: issue.identifier });
    }
    expect(rows[2].details).toMatchObject({ revisionId: v1.latestRevisionId, revisionNumber: 1 });
    expect(rows[1].details).toMatchObject({ revisionId: v2.latestRevisionId, revisionNumber: 2 });
  });

  it("a refused write (409 / 400) leaves no activity row", async () => {
    const { issue } = await freshIssue();
    await putDoc(issue.id, "plan", { body: "v1" }, 201);
    const before = await activityOf(issue.id);
    expect((await t.current.put(`/api/issues/${issue.id}/documents/plan`, { body: "x", baseRevisionId: UNKNOWN_UUID })).status).toBe(409);
    expect((await t.current.put(`/api/issues/${issue.id}/documents/Plan`, { body: "x" })).status).toBe(400);
    expect(await activityOf(issue.id)).toEqual(before);
  });
});

describe("work products", () => {
  it("POST -> 201 with defaults; GET lists them in creation order", async () => {
    const { company, issue } = await freshIssue();
    const res = await t.current.post(`/api/issues/${issue.id}/work-products`, {
      type: "pull_request",
      provider: "github",
      title: "PR #12",
      url: "https://github.com/acme/app/pull/12",
      externalId: "12",
      metadata: { draft: false },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      companyId: company.id,
      issueId: issue.id,
      projectId: null,
      type: "pull_request",
      provider: "github",
      title: "PR #12",
      url: "https://github.com/acme/app/pull/12",
      externalId: "12",
      status: "active",
      isPrimary: false,
      summary: null,
      metadata: { draft: false },
      createdByRunId: null,
    });
    const second = await t.current.post(`/api/issues/${issue.id}/work-products`, {
      type: "preview_url",
      provider: "vercel",
      title: "Preview",
      status: "ready_for_review",
      isPrimary: true,
    });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ status: "ready_for_review", isPrimary: true, url: null });

    const list = await t.current.get(`/api/issues/${issue.id}/work-products`);
    expect(list.status).toBe(200);
    expect(list.body.map((w: any) => w.id)).toEqual([res.body.id, second.body.id]);
  });

  it("type, provider and title are required; bad type, status or url -> 400", async () => {
    const { issue } = await freshIssue();
    const good = { type: "commit", provider: "git", title: "abc123" };
    const bad: Record<string, unknown>[] = [
      { provider: "git", title: "x" },
      { type: "commit", title: "x" },
      { type: "commit", provider: "git" },
      { ...good, provider: "  " },
      { ...good, title: "" },
      { ...good, type: "pull-request" },
      { ...good, type: "spreadsheet" },
      { ...good, status: "done" },
      { ...good, url: "not a url" },
      { ...good, url: "github.com/no-scheme" },
      { ...good, bogus: 1 },
    ];
    for (const body of bad) {
      const res = await t.current.post(`/api/issues/${issue.id}/work-products`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await t.current.get(`/api/issues/${issue.id}/work-products`)).body).toEqual([]);
    const ok = await t.current.post(`/api/issues/${issue.id}/work-products`, good);
    expect(ok.status).toBe(201);
  });

  it("inherits the issue's project; a project of another company -> 404", async () => {
    const company = await createCompany(t.current);
    const project = await t.current.post(`/api/companies/${company.id}/projects`, { name: "Site" });
    expect(project.status).toBe(201);
    const issue = await createIssue(t.current, company.id, { projectId: project.body.id });
    const wp = await t.current.post(`/api/issues/${issue.id}/work-products`, { type: "branch", provider: "git", title: "feature/x" });
    expect(wp.status).toBe(201);
    expect(wp.body.projectId).toBe(project.body.id);

    const other = await createCompany(t.current);
    const foreign = await t.current.post(`/api/companies/${other.id}/projects`, { name: "Theirs" });
    const res = await t.current.post(`/api/issues/${issue.id}/work-products`, {
      type: "branch",
      provider: "git",
      title: "y",
      projectId: foreign.body.id,
    });
    expect(res.status).toBe(404);
    expect((await t.current.get(`/api/issues/${issue.id}/work-products`)).body).toHaveLength(1);
  });

  it("agents record work products with their run; activity issue.work_product_created", async () => {
    const { company, issue } = await freshIssue();
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    const [run] = await t.current.tdb.db.query<{ id: string }>(
      "INSERT INTO heartbeat_runs (company_id, agent_id, status) VALUES ($1, $2, 'running') RETURNING id",
      [company.id, agent.id],
    );
    const res = await t.current.post(
      `/api/issues/${issue.id}/work-products`,
      { type: "artifact", provider: "local", title: "build.zip" },
      { token: key.token, runId: run!.id },
    );
    expect(res.status).toBe(201);
    expect(res.body.createdByRunId).toBe(run!.id);
    const activity = await activityOf(issue.id);
    expect(activity[0]).toMatchObject({
      action: "issue.work_product_created",
      actorType: "agent",
      actorId: agent.id,
      runId: run!.id,
      entityType: "issue",
      entityId: issue.id,
    });
    expect(activity[0].details).toMatchObject({ workProductId: res.body.id, type: "artifact", title: "build.zip" });
  });

  it("unknown issue -> 404", async () => {
    const res = await t.current.post(`/api/issues/${UNKNOWN_UUID}/work-products`, { type: "commit", provider: "git", title: "x" });
    expect(res.status).toBe(404);
    expect((await t.current.get(`/api/issues/${UNKNOWN_UUID}/work-products`)).status).toBe(404);
  });
});

describe("GET /api/issues/:id includes documents and work products", () => {
  it("lists documents (key, title, latestRevisionNumber) and work products", async () => {
    const { issue } = await freshIssue();
    const empty = await t.current.get(`/api/issues/${issue.id}`);
    expect(empty.body.documents).toEqual([]);
    expect(empty.body.workProducts).toEqual([]);

    await putDoc(issue.id, "plan", { body: "v1", title: "The plan" }, 201);
    await putDoc(issue.id, "plan", { body: "v2" }, 200);
    await putDoc(issue.id, "continuation-summary", { body: "summary" }, 201);
    const wp = await t.current.post(`/api/issues/${issue.id}/work-products`, {
      type: "pull_request",
      provider: "github",
      title: "PR",
      url: "https://example.com/pr/1",
    });
    const res = await t.current.get(`/api/issues/${issue.id}`);
    expect(res.status).toBe(200);
    expect(res.body.documents.map((d: any) => [d.key, d.title, d.latestRevisionNumber])).toEqual([
      ["continuation-summary", null, 1],
      ["plan", "The plan", 2],
    ]);
    expect(typeof res.body.documents[0].updatedAt).toBe("string");
    expect(res.body.workProducts).toHaveLength(1);
    expect(res.body.workProducts[0]).toMatchObject({
      id: wp.body.id,
      type: "pull_request",
      provider: "github",
      title: "PR",
      url: "https://example.com/pr/1",
      status: "active",
      isPrimary: false,
    });

    await t.current.del(`/api/issues/${issue.id}/documents/plan`);
    const after = await t.current.get(`/api/issues/${issue.id}`);
    expect(after.body.documents.map((d: any) => d.key)).toEqual(["continuation-summary"]);
  });

  it("a document write bumps the issue's updatedAt", async () => {
    const { issue } = await freshIssue();
    await t.current.tdb.db.query("UPDATE issues SET updated_at = now() - interval '1 day' WHERE id = $1", [issue.id]);
    const before = (await t.current.get(`/api/issues/${issue.id}`)).body.updatedAt;
    await putDoc(issue.id, "plan", { body: "x" }, 201);
    const after = (await t.current.get(`/api/issues/${issue.id}`)).body.updatedAt;
    expect(new Date(after).getTime()).toBeGreaterThan(new Date(before).getTime());
  });
});
