import { describe, expect, it } from "vitest";
import { AGENT_STATUSES, ISSUE_STATUSES } from "@staple/contracts";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

const t = useTestApp();

const UNKNOWN_UUID = "6f1c1a7e-0000-4000-8000-000000000000";

const detailPaths = (body: { details?: Array<{ path: unknown[] }> }) => (body.details ?? []).map((d) => d.path.join("."));

async function companyActivity(companyId: string, query = "") {
  const res = await t.current.get(`/api/companies/${companyId}/activity${query}`);
  expect(res.status).toBe(200);
  return res.body as Array<{ action: string; entityType: string; entityId: string; actorType: string; actorId: string; details: any }>;
}

describe("issue prefix derivation", () => {
  it("Transcript Co -> TRA, then TRAA, then TRAAA for names with the same first letters", async () => {
    const first = await t.current.post("/api/companies", { name: "Transcript Co", description: "peer transcript" });
    expect(first.status).toBe(201);
    expect(first.body.issuePrefix).toBe("TRA");
    const second = await t.current.post("/api/companies", { name: "Transcript Two" });
    expect(second.status).toBe(201);
    expect(second.body.issuePrefix).toBe("TRAA");
    const third = await t.current.post("/api/companies", { name: "Transcript Three" });
    expect(third.status).toBe(201);
    expect(third.body.issuePrefix).toBe("TRAAA");
  });

  it("a name without letters gets the PAP fallback", async () => {
    const res = await t.current.post("/api/companies", { name: "123" });
    expect(res.status).toBe(201);
    expect(res.body.issuePrefix).toBe("PAP");
  });

  it("non-ASCII letters are folded to their base letter", async () => {
    const res = await t.current.post("/api/companies", { name: "Ölwerk GmbH" });
    expect(res.status).toBe(201);
    expect(res.body.issuePrefix).toBe("OLW");
  });

  it("issue identifiers use the company prefix", async () => {
    const res = await t.current.post("/api/companies", { name: "Identifier Check" });
    expect(res.status).toBe(201);
    expect(res.body.issuePrefix).toBe("IDE");
    const issue = await createIssue(t.current, res.body.id);
    expect(issue.identifier).toBe("IDE-1");
  });

  it("8 concurrent creates with the same base prefix all succeed with distinct prefixes", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => t.current.post("/api/companies", { name: `Zebra Works ${i}` })));
    for (const res of results) expect(res.status, JSON.stringify(res.body)).toBe(201);
    const prefixes = results.map((r) => r.body.issuePrefix as string);
    expect(new Set(prefixes).size).toBe(8);
    expect([...prefixes].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `ZEB${"A".repeat(i)}`).sort());
    const ids = new Set(results.map((r) => r.body.id));
    expect(ids.size).toBe(8);
  });

  it("renaming a company keeps its issue prefix (identifiers stay stable)", async () => {
    const company = await createCompany(t.current, { name: "Keeper Inc" });
    expect(company.issuePrefix).toBe("KEE");
    const res = await t.current.patch(`/api/companies/${company.id}`, { name: "Totally Different" });
    expect(res.status).toBe(200);
    expect(res.body.name).toBe("Totally Different");
    expect(res.body.issuePrefix).toBe("KEE");
  });
});

describe("create, list, get", () => {
  it("POST /api/companies -> 201 with the company fields and defaults", async () => {
    const res = await t.current.post("/api/companies", { name: "Fielded Co", description: "with fields" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: "Fielded Co",
      description: "with fields",
      status: "active",
      issuePrefix: "FIE",
      issueCounter: 0,
      budgetMonthlyCents: 0,
      spentMonthlyCents: 0,
      requireBoardApprovalForNewAgents: false,
      brandColor: null,
      pauseReason: null,
      pausedAt: null,
      archivedAt: null,
    });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(res.body.createdAt))).toBe(false);
    expect(Number.isNaN(Date.parse(res.body.updatedAt))).toBe(false);
  });

  it("the name is trimmed and optional fields are stored", async () => {
    const res = await t.current.post("/api/companies", {
      name: "  Padded Name  ",
      budgetMonthlyCents: 5000,
      requireBoardApprovalForNewAgents: true,
      brandColor: "#1a2B3c",
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: "Padded Name",
      budgetMonthlyCents: 5000,
      requireBoardApprovalForNewAgents: true,
      brandColor: "#1a2B3c",
    });
  });

  it("creation writes a company.created activity row by the local board", async () => {
    const company = await createCompany(t.current);
    const rows = await companyActivity(company.id);
    const created = rows.filter((r) => r.action === "company.created");
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ entityType: "company", entityId: company.id, actorType: "user", actorId: "local-board" });
    expect(created[0]!.details).toMatchObject({ issuePrefix: company.issuePrefix });
  });

  it("GET /api/companies lists every company for the local board, oldest first", async () => {
    const a = await createCompany(t.current);
    const b = await createCompany(t.current);
    const res = await t.current.get("/api/companies");
    expect(res.status).toBe(200);
    const ids = res.body.map((c: { id: string }) => c.id);
    expect(ids).toContain(a.id);
    expect(ids).toContain(b.id);
    expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(b.id));
    const listed = res.body.find((c: { id: string }) => c.id === a.id);
    expect(listed).toMatchObject({ id: a.id, name: a.name, issuePrefix: a.issuePrefix });
  });

  it("GET /api/companies/:cid -> the company", async () => {
    const company = await createCompany(t.current);
    const res = await t.current.get(`/api/companies/${company.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: company.id, name: company.name, status: "active", issuePrefix: company.issuePrefix });
  });

  it("unknown company uuid -> 404 on GET, PATCH, archive and dashboard", async () => {
    for (const [method, path, body] of [
      ["GET", `/api/companies/${UNKNOWN_UUID}`, undefined],
      ["PATCH", `/api/companies/${UNKNOWN_UUID}`, { name: "x" }],
      ["POST", `/api/companies/${UNKNOWN_UUID}/archive`, undefined],
      ["GET", `/api/companies/${UNKNOWN_UUID}/dashboard`, undefined],
    ] as const) {
      const res = await t.current.call(method, path, { body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error).toBe("Company not found");
    }
  });

  it("a company id that is not a uuid -> 404, not 500", async () => {
    for (const [method, path] of [
      ["GET", "/api/companies/nope"],
      ["PATCH", "/api/companies/nope"],
      ["POST", "/api/companies/nope/archive"],
      ["GET", "/api/companies/nope/dashboard"],
    ] as const) {
      const res = await t.current.call(method, path, { body: method === "PATCH" ? { name: "x" } : undefined });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
  });
});

describe("create validation", () => {
  it("missing name -> 400 with details path [name]", async () => {
    const res = await t.current.post("/api/companies", {});
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("Validation error");
    expect(res.body.details.map((d: { path: unknown[] }) => d.path)).toContainEqual(["name"]);
  });

  it.each([
    ["empty", ""],
    ["whitespace only", "   "],
    ["not a string", 42],
    ["null", null],
    ["too long", "x".repeat(201)],
  ])("name %s -> 400 naming name", async (_label, name) => {
    const res = await t.current.post("/api/companies", { name });
    expect(res.status).toBe(400);
    expect(detailPaths(res.body)).toEqual(["name"]);
  });

  it("unknown field -> 400 naming it", async () => {
    const res = await t.current.post("/api/companies", { name: "Fine Name", bogus: true });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("Validation error");
    expect(JSON.stringify(res.body.details)).toContain("bogus");
  });

  it.each([
    ["negative budget", { budgetMonthlyCents: -1 }, "budgetMonthlyCents"],
    ["fractional budget", { budgetMonthlyCents: 1.5 }, "budgetMonthlyCents"],
    ["budget as a string", { budgetMonthlyCents: "100" }, "budgetMonthlyCents"],
    ["brand colour not hex", { brandColor: "red" }, "brandColor"],
    ["approval flag not boolean", { requireBoardApprovalForNewAgents: "yes" }, "requireBoardApprovalForNewAgents"],
  ])("%s -> 400", async (_label, extra, path) => {
    const res = await t.current.post("/api/companies", { name: "Valid Name", ...extra });
    expect(res.status).toBe(400);
    expect(detailPaths(res.body)).toContain(path);
  });

  it("an invalid create does not consume a company or prefix", async () => {
    const before = (await t.current.get("/api/companies")).body.length;
    expect((await t.current.post("/api/companies", { name: "Quokka One", budgetMonthlyCents: -5 })).status).toBe(400);
    expect((await t.current.get("/api/companies")).body.length).toBe(before);
    const ok = await t.current.post("/api/companies", { name: "Quokka Two" });
    expect(ok.body.issuePrefix).toBe("QUO");
  });
});

describe("patch", () => {
  it("updates the given fields only and writes company.updated", async () => {
    const company = await createCompany(t.current, { description: "before" });
    const res = await t.current.patch(`/api/companies/${company.id}`, { budgetMonthlyCents: 1234, brandColor: "#abcdef" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: company.id,
      name: company.name,
      description: "before",
      budgetMonthlyCents: 1234,
      brandColor: "#abcdef",
    });
    const got = await t.current.get(`/api/companies/${company.id}`);
    expect(got.body).toMatchObject({ budgetMonthlyCents: 1234, brandColor: "#abcdef", description: "before" });
    const rows = await companyActivity(company.id);
    const updated = rows.filter((r) => r.action === "company.updated");
    expect(updated).toHaveLength(1);
    expect(updated[0]!.details.changes).toEqual({ budgetMonthlyCents: 1234, brandColor: "#abcdef" });
  });

  it("null clears nullable fields", async () => {
    const company = await createCompany(t.current, { description: "desc", brandColor: "#000000" });
    const res = await t.current.patch(`/api/companies/${company.id}`, { description: null, brandColor: null });
    expect(res.status).toBe(200);
    expect(res.body.description).toBeNull();
    expect(res.body.brandColor).toBeNull();
  });

  it("an empty patch is accepted and changes nothing", async () => {
    const company = await createCompany(t.current);
    const res = await t.current.patch(`/api/companies/${company.id}`, {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: company.id, name: company.name });
  });

  it.each([
    ["empty name", { name: "" }, "name"],
    ["negative budget", { budgetMonthlyCents: -100 }, "budgetMonthlyCents"],
    ["bad colour", { brandColor: "#12345" }, "brandColor"],
  ])("%s -> 400 and nothing changes", async (_label, body, path) => {
    const company = await createCompany(t.current, { budgetMonthlyCents: 10 });
    const res = await t.current.patch(`/api/companies/${company.id}`, body);
    expect(res.status).toBe(400);
    expect(detailPaths(res.body)).toContain(path);
    const got = await t.current.get(`/api/companies/${company.id}`);
    expect(got.body).toMatchObject({ name: company.name, budgetMonthlyCents: 10 });
  });

  it("unknown fields (including read-only ones) -> 400", async () => {
    const company = await createCompany(t.current);
    for (const body of [{ bogus: 1 }, { issuePrefix: "ZZZ" }, { status: "archived" }]) {
      const res = await t.current.patch(`/api/companies/${company.id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    // Paperclip's PATCH schema names it: accepted but ignored (Staple-Ignored-Fields, paperclip-compat.test.ts).
    expect((await t.current.patch(`/api/companies/${company.id}`, { spentMonthlyCents: 5 })).status).toBe(200);
    const got = await t.current.get(`/api/companies/${company.id}`);
    expect(got.body).toMatchObject({ issuePrefix: company.issuePrefix, status: "active", spentMonthlyCents: 0 });
  });
});

describe("archive", () => {
  it("archives: status archived, archivedAt set, activity company.archived", async () => {
    const company = await createCompany(t.current);
    const res = await t.current.post(`/api/companies/${company.id}/archive`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(company.id);
    expect(res.body.status).toBe("archived");
    expect(res.body.archivedAt).not.toBeNull();
    expect((await t.current.get(`/api/companies/${company.id}`)).body.status).toBe("archived");
    const rows = await companyActivity(company.id);
    expect(rows.filter((r) => r.action === "company.archived")).toHaveLength(1);
    expect(rows.find((r) => r.action === "company.archived")).toMatchObject({
      entityType: "company",
      entityId: company.id,
      actorId: "local-board",
    });
  });

  it("is idempotent: a second archive answers 200 with the same row and logs nothing new", async () => {
    const company = await createCompany(t.current);
    const first = await t.current.post(`/api/companies/${company.id}/archive`);
    const second = await t.current.post(`/api/companies/${company.id}/archive`);
    expect(second.status).toBe(200);
    expect(second.body.status).toBe("archived");
    expect(second.body.archivedAt).toBe(first.body.archivedAt);
    const rows = await companyActivity(company.id);
    expect(rows.filter((r) => r.action === "company.archived")).toHaveLength(1);
  });

  it("concurrent archives log exactly one company.archived", async () => {
    const company = await createCompany(t.current);
    const results = await Promise.all(Array.from({ length: 4 }, () => t.current.post(`/api/companies/${company.id}/archive`)));
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body.status).toBe("archived");
    }
    const rows = await companyActivity(company.id);
    expect(rows.filter((r) => r.action === "company.archived")).toHaveLength(1);
  });

  it("an archived company takes no new agents or issues (409)", async () => {
    const company = await createCompany(t.current);
    await t.current.post(`/api/companies/${company.id}/archive`);
    const agent = await t.current.post(`/api/companies/${company.id}/agents`, {
      name: "Late Hire",
      adapterType: "process",
      adapterConfig: { command: "/bin/true" },
    });
    expect(agent.status).toBe(409);
    const issue = await t.current.post(`/api/companies/${company.id}/issues`, { title: "too late" });
    expect(issue.status).toBe(409);
  });
});

describe("dashboard", () => {
  it("counts agents and issues by status; hidden issues are not counted", async () => {
    const company = await createCompany(t.current, { budgetMonthlyCents: 9900 });
    const a1 = await createAgent(t.current, company.id);
    const a2 = await createAgent(t.current, company.id);
    const a3 = await createAgent(t.current, company.id);
    await createAgent(t.current, company.id);
    expect((await t.current.post(`/api/agents/${a2.id}/pause`)).status).toBe(200);
    expect((await t.current.post(`/api/agents/${a3.id}/terminate`)).status).toBe(200);

    await createIssue(t.current, company.id); // backlog
    await createIssue(t.current, company.id); // backlog
    await createIssue(t.current, company.id, { status: "todo" });
    await createIssue(t.current, company.id, { status: "in_progress", assigneeAgentId: a1.id });
    await createIssue(t.current, company.id, { status: "done" });
    const hidden = await createIssue(t.current, company.id, { status: "todo" });
    const hide = await t.current.patch(`/api/issues/${hidden.id}`, { hidden: true });
    expect(hide.status, JSON.stringify(hide.body)).toBe(200);

    // Another company's rows must not leak into this dashboard.
    const other = await createCompany(t.current);
    await createAgent(t.current, other.id);
    await createIssue(t.current, other.id, { status: "todo" });

    const res = await t.current.get(`/api/companies/${company.id}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.body.companyId).toBe(company.id);
    expect(res.body.agents.byStatus).toEqual({
      ...Object.fromEntries(AGENT_STATUSES.map((s) => [s, 0])),
      idle: 2,
      paused: 1,
      terminated: 1,
    });
    expect(res.body.agents.total).toBe(4);
    expect(res.body.issues.byStatus).toEqual({
      ...Object.fromEntries(ISSUE_STATUSES.map((s) => [s, 0])),
      backlog: 2,
      todo: 1,
      in_progress: 1,
      done: 1,
    });
    expect(res.body.issues.total).toBe(5);
    expect(res.body.costs).toEqual({ monthSpendCents: 0, monthBudgetCents: 9900 });
    expect(res.body.pendingApprovals).toBe(0);

    // Un-hiding brings the issue back into the counts; resuming moves the agent back to idle.
    await t.current.patch(`/api/issues/${hidden.id}`, { hidden: false });
    await t.current.post(`/api/agents/${a2.id}/resume`);
    const after = await t.current.get(`/api/companies/${company.id}/dashboard`);
    expect(after.body.issues.byStatus.todo).toBe(2);
    expect(after.body.issues.total).toBe(6);
    expect(after.body.agents.byStatus).toMatchObject({ idle: 3, paused: 0, terminated: 1 });
  });

  it("an empty company has every status at zero", async () => {
    const company = await createCompany(t.current);
    const res = await t.current.get(`/api/companies/${company.id}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.body.agents.total).toBe(0);
    expect(res.body.issues.total).toBe(0);
    expect(Object.keys(res.body.agents.byStatus).sort()).toEqual([...AGENT_STATUSES].sort());
    expect(Object.keys(res.body.issues.byStatus).sort()).toEqual([...ISSUE_STATUSES].sort());
    expect(Object.values(res.body.issues.byStatus).every((n) => n === 0)).toBe(true);
  });

  it("an agent sees its own company's dashboard, not another's (403)", async () => {
    const mine = await createCompany(t.current);
    const theirs = await createCompany(t.current);
    const agent = await createAgent(t.current, mine.id);
    const { token } = await createAgentKey(t.current, agent.id);
    expect((await t.current.get(`/api/companies/${mine.id}/dashboard`, { token })).status).toBe(200);
    expect((await t.current.get(`/api/companies/${theirs.id}/dashboard`, { token })).status).toBe(403);
  });
});

describe("company routes as an agent", () => {
  it("agents may read their company but not create, patch or archive companies (403)", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const { token } = await createAgentKey(t.current, agent.id);
    expect((await t.current.get(`/api/companies/${company.id}`, { token })).status).toBe(200);
    expect((await t.current.post("/api/companies", { name: "Agent Made" }, { token })).status).toBe(403);
    expect((await t.current.patch(`/api/companies/${company.id}`, { name: "Renamed" }, { token })).status).toBe(403);
    expect((await t.current.post(`/api/companies/${company.id}/archive`, undefined, { token })).status).toBe(403);
    const got = await t.current.get(`/api/companies/${company.id}`);
    expect(got.body).toMatchObject({ name: company.name, status: "active" });
  });
});
