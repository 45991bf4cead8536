import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

// Requests exactly as the real paperclipai CLI sends them (found by the compatibility lane, compat/).
const t = useTestApp();

describe("agent references by url key (paperclipai agent wake <key> -C <company>)", () => {
  it("GET /api/agents/<url key>?companyId= -> the agent; unknown key 404; no company 404 naming ?companyId=; other company invisible", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { name: "Night Shift" });
    const found = await t.current.get(`/api/agents/night-shift?companyId=${company.id}`);
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(found.body.id).toBe(agent.id);
    // The name itself normalizes to the same key.
    expect((await t.current.get(`/api/agents/${encodeURIComponent("Night Shift")}?companyId=${company.id}`)).body.id).toBe(agent.id);
    expect((await t.current.get(`/api/agents/nobody?companyId=${company.id}`)).status).toBe(404);
    expect((await t.current.get(`/api/agents/night-shift?companyId=${other.id}`)).status).toBe(404);
    const unscoped = await t.current.get("/api/agents/night-shift");
    expect(unscoped.status).toBe(404);
    expect(unscoped.body.error).toContain("?companyId=");
    // An agent's own company is the default scope; another company stays out of reach.
    const key = await createAgentKey(t.current, agent.id);
    expect((await t.current.get("/api/agents/night-shift", { token: key.token })).body.id).toBe(agent.id);
    expect((await t.current.get(`/api/agents/night-shift?companyId=${other.id}`, { token: key.token })).status).toBe(403);
  });
});

describe("agent keys with Paperclip's scope (paperclipai token agent create)", () => {
  it("scope {kind: standard} -> 201 a full key; a narrower scope -> 400 naming scope", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const created = await t.current.post(`/api/agents/${agent.id}/keys`, { name: "cli-agent", scope: { kind: "standard" } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await t.current.get("/api/agents/me", { token: created.body.token })).body.id).toBe(agent.id);
    const narrow = await t.current.post(`/api/agents/${agent.id}/keys`, {
      name: "bridge",
      scope: { kind: "skill_test", issueId: agent.id },
    });
    expect(narrow.status).toBe(400);
    expect(JSON.stringify(narrow.body)).toContain("scope");
  });
});

describe("issue creation with allowDuplicate (paperclipai 2026.916 issue create)", () => {
  it("false answers the open same-title issue (200, deduplicated); true, another parent or a closed one create anew", async () => {
    const company = await createCompany(t.current);
    const first = await createIssue(t.current, company.id, { title: "Write the release notes" });
    const again = await t.current.post(`/api/companies/${company.id}/issues`, {
      title: "  write THE release   notes",
      allowDuplicate: false,
      priority: "low",
    });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ id: first.id, deduplicated: true, deduplicationReason: "recent_open_title", priority: "medium" });

    const allowed = await t.current.post(`/api/companies/${company.id}/issues`, { title: "Write the release notes", allowDuplicate: true });
    expect(allowed.status).toBe(201);
    expect(allowed.body.id).not.toBe(first.id);
    const child = await t.current.post(`/api/companies/${company.id}/issues`, {
      title: "Write the release notes",
      parentId: first.id,
      allowDuplicate: false,
    });
    expect(child.status).toBe(201);

    const closed = await createIssue(t.current, company.id, { title: "Tag the build" });
    expect((await t.current.patch(`/api/issues/${closed.id}`, { status: "cancelled" })).status).toBe(200);
    const fresh = await t.current.post(`/api/companies/${company.id}/issues`, { title: "Tag the build", allowDuplicate: false });
    expect(fresh.status).toBe(201);
    expect(fresh.body.id).not.toBe(closed.id);
    expect((await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", allowDuplicate: "no" })).status).toBe(400);
  });

  it("two concurrent creates of one title with allowDuplicate: false make one issue", async () => {
    const company = await createCompany(t.current);
    const results = await Promise.all(
      [1, 2, 3].map(() => t.current.post(`/api/companies/${company.id}/issues`, { title: "Only once", allowDuplicate: false })),
    );
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 201]);
  });
});
