import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import { authKit, UNKNOWN_UUID } from "./helpers/auth-kit.js";

const t = useTestApp();
const { agentWithKey, activity } = authKit(t);

const KEY_RE = /^pcp_[0-9a-f]{48}$/;

describe("the board", () => {
  it("a request with the board token is the board user local-board", async () => {
    const res = await t.current.post("/api/companies", { name: "Boardroom" });
    expect(res.status).toBe(201);
    const rows = await activity(res.body.id);
    expect(rows.find((r) => r.action === "company.created")).toMatchObject({
      actorType: "user",
      actorId: "local-board",
      agentId: null,
      runId: null,
    });
    const issue = await createIssue(t.current, res.body.id);
    expect(issue.createdByUserId).toBe("local-board");
    expect(issue.createdByAgentId).toBeNull();
  });

  it("no credential, or an empty Authorization header, is a 401 (closed by default)", async () => {
    for (const options of [{ anonymous: true }, { headers: { authorization: "" } }]) {
      const res = await t.current.get("/api/companies", options);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe("authentication_required");
      expect(res.body.error).toContain("board-token");
    }
  });

  it("GET /api/agents/me as the board -> 401", async () => {
    const res = await t.current.get("/api/agents/me");
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("Agent authentication required");
  });
});

describe("agent API keys", () => {
  it("POST /api/agents/:id/keys -> 201 with a pcp_ token shown once", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const res = await t.current.post(`/api/agents/${agent.id}/keys`, { name: "transcript-key" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ agentId: agent.id, name: "transcript-key" });
    expect(res.body.token).toMatch(KEY_RE);
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(res.body.createdAt))).toBe(false);

    const list = await t.current.get(`/api/agents/${agent.id}/keys`);
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ id: res.body.id, agentId: agent.id, name: "transcript-key", revokedAt: null, lastUsedAt: null });
    expect(list.body[0]).not.toHaveProperty("token");
    expect(list.body[0]).not.toHaveProperty("keyHash");
    expect(JSON.stringify(list.body)).not.toContain(res.body.token);
    expect(JSON.stringify(list.body)).not.toContain(res.body.token.slice(4));
  });

  it("only the sha256 of the token is stored, and activity never carries the token", async () => {
    const { company, agent, key } = await agentWithKey();
    const rows = await t.current.tdb.db.query<{ keyHash: string }>("SELECT key_hash FROM agent_api_keys WHERE id = $1", [key.id]);
    expect(rows[0]!.keyHash).toBe(createHash("sha256").update(key.token).digest("hex"));
    const log = await activity(company.id);
    const created = log.find((r) => r.action === "agent.key_created");
    expect(created).toMatchObject({ agentId: agent.id, details: { keyId: key.id } });
    expect(JSON.stringify(log)).not.toContain(key.token);
  });

  it("each key is distinct; a body-less POST names the key default", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const a = await t.current.post(`/api/agents/${agent.id}/keys`);
    const b = await t.current.post(`/api/agents/${agent.id}/keys`, { name: "second" });
    expect(a.status).toBe(201);
    expect(a.body.name).toBe("default");
    expect(a.body.token).toMatch(KEY_RE);
    expect(b.body.token).not.toBe(a.body.token);
    const list = await t.current.get(`/api/agents/${agent.id}/keys`);
    expect(list.body.map((k: { name: string }) => k.name)).toEqual(["default", "second"]);
  });

  it("a bad key name or unknown field -> 400; unknown agent -> 404", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    expect((await t.current.post(`/api/agents/${agent.id}/keys`, { name: "  " })).status).toBe(400);
    expect((await t.current.post(`/api/agents/${agent.id}/keys`, { name: "k", scope: "all" })).status).toBe(400);
    expect((await t.current.get(`/api/agents/${agent.id}/keys`)).body).toEqual([]);
    expect((await t.current.post(`/api/agents/${UNKNOWN_UUID}/keys`, { name: "k" })).status).toBe(404);
    expect((await t.current.get(`/api/agents/${UNKNOWN_UUID}/keys`)).status).toBe(404);
  });

  it("using a key records lastUsedAt", async () => {
    const { agent, token } = await agentWithKey();
    expect((await t.current.get(`/api/agents/${agent.id}/keys`)).body[0].lastUsedAt).toBeNull();
    expect((await t.current.get("/api/agents/me", { token })).status).toBe(200);
    expect((await t.current.get(`/api/agents/${agent.id}/keys`)).body[0].lastUsedAt).not.toBeNull();
  });

  it("the Bearer scheme is case-insensitive", async () => {
    const { agent, token } = await agentWithKey();
    const res = await t.current.get("/api/agents/me", { headers: { authorization: `bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(agent.id);
  });

  it("DELETE /api/agents/:id/keys/:keyId -> 200 {ok:true}; the token then answers 401", async () => {
    const { company, agent, key, token } = await agentWithKey();
    const other = await createAgentKey(t.current, agent.id);
    expect((await t.current.get("/api/agents/me", { token })).status).toBe(200);

    const del = await t.current.del(`/api/agents/${agent.id}/keys/${key.id}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ ok: true });

    const me = await t.current.get("/api/agents/me", { token });
    expect(me.status).toBe(401);
    expect((await t.current.get(`/api/companies/${company.id}/issues`, { token })).status).toBe(401);
    // The agent's other key still works.
    expect((await t.current.get("/api/agents/me", { token: other.token })).status).toBe(200);

    const list = await t.current.get(`/api/agents/${agent.id}/keys`);
    expect(list.body.find((k: { id: string }) => k.id === key.id).revokedAt).not.toBeNull();
    expect(list.body.find((k: { id: string }) => k.id === other.id).revokedAt).toBeNull();

    // Revoking again is idempotent and logs once.
    const again = await t.current.del(`/api/agents/${agent.id}/keys/${key.id}`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ok: true });
    const revoked = (await activity(company.id)).filter((r) => r.action === "agent.key_revoked");
    expect(revoked).toHaveLength(1);
    expect(revoked[0]!.details).toEqual({ keyId: key.id });
  });

  it("revoking an unknown key, a malformed key id, or another agent's key -> 404", async () => {
    const { company, agent, key, token } = await agentWithKey();
    const other = await createAgent(t.current, company.id);
    expect((await t.current.del(`/api/agents/${agent.id}/keys/${UNKNOWN_UUID}`)).status).toBe(404);
    expect((await t.current.del(`/api/agents/${agent.id}/keys/not-a-uuid`)).status).toBe(404);
    expect((await t.current.del(`/api/agents/${other.id}/keys/${key.id}`)).status).toBe(404);
    expect((await t.current.get("/api/agents/me", { token })).status).toBe(200);
  });
});

describe("bad credentials are 401, never board access", () => {
  const cases: Array<[string, () => string]> = [
    ["an unknown well-formed key", () => `pcp_${randomBytes(24).toString("hex")}`],
    ["pcp_invalid", () => "pcp_invalid"],
    ["a key with upper-case hex", () => `pcp_${randomBytes(24).toString("hex").toUpperCase()}`],
    ["a key one character short", () => `pcp_${randomBytes(24).toString("hex").slice(1)}`],
    ["garbage", () => "garbage-token-!!"],
    ["a JWT-shaped string", () => "aaa.bbb.ccc"],
  ];

  it.each(cases)("Bearer %s -> 401 on a company route the board could read", async (_label, make) => {
    const company = await createCompany(t.current);
    await createIssue(t.current, company.id);
    const res = await t.current.get(`/api/companies/${company.id}/issues`, { token: make() });
    expect(res.status).toBe(401);
    expect(typeof res.body.error).toBe("string");
    expect(Array.isArray(res.body)).toBe(false);
  });

  it.each([
    ["Basic credentials", "Basic dXNlcjpwYXNz"],
    ["Basic xxx", "Basic xxx"],
    ["a bare token without a scheme", `pcp_${"a".repeat(48)}`],
    ["Bearer without a token", "Bearer"],
    ["Bearer with two tokens", "Bearer abc def"],
    ["Token scheme", "Token abc"],
  ])("Authorization: %s -> 401", async (_label, header) => {
    const res = await t.current.get("/api/companies", { headers: { authorization: header } });
    expect(res.status).toBe(401);
  });

  it("bad credentials are refused on board-only writes too (nothing is created)", async () => {
    const before = (await t.current.get("/api/companies")).body.length;
    const res = await t.current.post("/api/companies", { name: "Sneaky Co" }, { token: "pcp_invalid" });
    expect(res.status).toBe(401);
    expect((await t.current.get("/api/companies")).body.length).toBe(before);
  });
});

describe("acting as an agent", () => {
  it("GET /api/agents/me -> the key's agent, with chainOfCommand nearest manager first", async () => {
    const company = await createCompany(t.current);
    const ceo = await createAgent(t.current, company.id, { name: "Chief", role: "ceo", title: "Boss" });
    const cto = await createAgent(t.current, company.id, { name: "Tech", role: "cto", reportsTo: ceo.id });
    const eng = await createAgent(t.current, company.id, { name: "Builder", role: "engineer", reportsTo: cto.id });
    const { token } = await createAgentKey(t.current, eng.id);

    const res = await t.current.get("/api/agents/me", { token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: eng.id,
      companyId: company.id,
      name: "Builder",
      role: "engineer",
      reportsTo: cto.id,
      status: "idle",
    });
    expect(res.body.chainOfCommand).toEqual([
      { id: cto.id, name: "Tech", role: "cto", title: null },
      { id: ceo.id, name: "Chief", role: "ceo", title: "Boss" },
    ]);

    const top = await createAgentKey(t.current, ceo.id);
    const ceoMe = await t.current.get("/api/agents/me", { token: top.token });
    expect(ceoMe.status).toBe(200);
    expect(ceoMe.body.id).toBe(ceo.id);
    expect(ceoMe.body.chainOfCommand).toEqual([]);
  });

  it("an agent's writes are stamped with the agent", async () => {
    const { company, agent, token } = await agentWithKey();
    const issue = await createIssue(t.current, company.id, {}, token);
    expect(issue.createdByAgentId).toBe(agent.id);
    expect(issue.createdByUserId).toBeNull();
    const created = (await activity(company.id)).find((r) => r.action === "issue.created" && r.entityId === issue.id);
    expect(created).toMatchObject({ actorType: "agent", actorId: agent.id, agentId: agent.id, runId: null });
  });

  it("board-only routes answer 403 to an agent and change nothing", async () => {
    const { company, agent, key, token } = await agentWithKey();
    const peer = await createAgent(t.current, company.id);
    const calls: Array<[string, string, unknown]> = [
      ["POST", "/api/companies", { name: "Agent Co" }],
      ["PATCH", `/api/companies/${company.id}`, { name: "Renamed" }],
      ["POST", `/api/companies/${company.id}/archive`, undefined],
      ["PATCH", `/api/agents/${agent.id}`, { title: "Self-promoted" }],
      ["PATCH", `/api/agents/${peer.id}`, { title: "Demoted" }],
      ["POST", `/api/agents/${peer.id}/pause`, undefined],
      ["POST", `/api/agents/${agent.id}/pause`, undefined],
      ["POST", `/api/agents/${peer.id}/resume`, undefined],
      ["POST", `/api/agents/${peer.id}/terminate`, undefined],
      ["GET", `/api/agents/${agent.id}/keys`, undefined],
      ["POST", `/api/agents/${agent.id}/keys`, { name: "mine" }],
      ["POST", `/api/agents/${peer.id}/keys`, { name: "theirs" }],
      ["DELETE", `/api/agents/${agent.id}/keys/${key.id}`, undefined],
    ];
    for (const [method, path, body] of calls) {
      const res = await t.current.call(method, path, { body, token });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.code, `${method} ${path}`).toBe("board_only");
    }
    expect((await t.current.get(`/api/agents/${agent.id}`)).body).toMatchObject({ status: "idle", title: null });
    expect((await t.current.get(`/api/agents/${peer.id}`)).body).toMatchObject({ status: "idle", title: null });
    expect((await t.current.get(`/api/companies/${company.id}`)).body).toMatchObject({ name: company.name, status: "active" });
    expect((await t.current.get(`/api/agents/${agent.id}/keys`)).body).toHaveLength(1);
    expect((await t.current.get("/api/agents/me", { token })).status).toBe(200);
  });

  it("an agent reads its own company's agents and issues", async () => {
    const { company, agent, token } = await agentWithKey();
    const issue = await createIssue(t.current, company.id);
    expect((await t.current.get(`/api/companies/${company.id}`, { token })).status).toBe(200);
    const agents = await t.current.get(`/api/companies/${company.id}/agents`, { token });
    expect(agents.status).toBe(200);
    expect(agents.body.map((a: { id: string }) => a.id)).toContain(agent.id);
    expect((await t.current.get(`/api/companies/${company.id}/issues`, { token })).body.map((i: { id: string }) => i.id)).toContain(
      issue.id,
    );
    expect((await t.current.get(`/api/issues/${issue.id}`, { token })).status).toBe(200);
    expect((await t.current.get(`/api/agents/${agent.id}/configuration`, { token })).status).toBe(200);
  });

  it("GET /api/companies as an agent lists only its own company", async () => {
    const { company, token } = await agentWithKey();
    await createCompany(t.current);
    expect((await t.current.get("/api/companies")).body.length).toBeGreaterThan(1);
    const res = await t.current.get("/api/companies", { token });
    expect(res.status).toBe(200);
    expect(res.body.map((c: { id: string }) => c.id)).toEqual([company.id]);
  });
});

describe("company isolation for agents", () => {
  it("an agent of company A cannot reach company B: 403 on B's routes, 404 on B's resources by id", async () => {
    const { company: a, token } = await agentWithKey();
    const b = await createCompany(t.current);
    const bAgent = await createAgent(t.current, b.id);
    const bIssue = await createIssue(t.current, b.id);

    for (const path of [
      `/api/companies/${b.id}`,
      `/api/companies/${b.id}/issues`,
      `/api/companies/${b.id}/agents`,
      `/api/companies/${b.id}/org`,
      `/api/companies/${b.id}/dashboard`,
      `/api/companies/${b.id}/activity`,
    ]) {
      const res = await t.current.get(path, { token });
      expect(res.status, path).toBe(403);
    }
    const listB = await t.current.get(`/api/companies/${b.id}/issues`, { token });
    expect(listB.body.error).toBe("Agent key cannot access another company");

    const createInB = await t.current.post(`/api/companies/${b.id}/issues`, { title: "intrusion" }, { token });
    expect(createInB.status).toBe(403);

    for (const path of [`/api/issues/${bIssue.id}`, `/api/issues/${bIssue.identifier}`, `/api/issues/${bIssue.id}/comments`]) {
      const res = await t.current.get(path, { token });
      expect(res.status, path).toBe(404);
      expect(res.body.error).toBe("Issue not found");
    }
    for (const path of [`/api/agents/${bAgent.id}`, `/api/agents/${bAgent.id}/configuration`]) {
      const res = await t.current.get(path, { token });
      expect(res.status, path).toBe(404);
      expect(res.body.error).toBe("Agent not found");
    }
    expect((await t.current.post(`/api/issues/${bIssue.id}/comments`, { body: "hi" }, { token })).status).toBe(404);
    expect((await t.current.patch(`/api/issues/${bIssue.id}`, { title: "hijacked" }, { token })).status).toBe(404);

    // Nothing leaked into B, and the 404 matches a truly unknown id.
    expect((await t.current.get(`/api/issues/${bIssue.id}`)).body.title).toBe(bIssue.title);
    expect((await t.current.get(`/api/issues/${bIssue.id}/comments`)).body).toEqual([]);
    expect((await t.current.get(`/api/issues/${UNKNOWN_UUID}`, { token })).body).toEqual(
      (await t.current.get(`/api/issues/${bIssue.id}`, { token })).body,
    );
    expect((await t.current.get(`/api/companies/${a.id}/issues`, { token })).status).toBe(200);
  });
});

describe("agent status and authentication", () => {
  it("a terminated agent's key -> 401", async () => {
    const { agent, token } = await agentWithKey();
    expect((await t.current.get("/api/agents/me", { token })).status).toBe(200);
    await t.current.post(`/api/agents/${agent.id}/terminate`);
    const res = await t.current.get("/api/agents/me", { token });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("agent_not_authenticatable");
  });

  it("a pending_approval agent's key -> 401", async () => {
    const { agent, token } = await agentWithKey();
    await t.current.tdb.db.query("UPDATE agents SET status = 'pending_approval' WHERE id = $1", [agent.id]);
    expect((await t.current.get("/api/agents/me", { token })).status).toBe(401);
  });

  it("a paused agent can still read (it sees that it is paused) but writes nothing: 403 agent_paused", async () => {
    const { company, agent, token } = await agentWithKey();
    await t.current.post(`/api/agents/${agent.id}/pause`);
    const res = await t.current.get("/api/agents/me", { token });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("paused");
    const write = await t.current.post(`/api/companies/${company.id}/issues`, { title: "while paused" }, { token });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe("agent_paused");
    await t.current.post(`/api/agents/${agent.id}/resume`);
    expect((await t.current.post(`/api/companies/${company.id}/issues`, { title: "after resume" }, { token })).status).toBe(201);
  });
});
