import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany } from "./helpers/fixtures.js";
import { actions, agentApi, detailPaths, PROCESS, UNKNOWN_UUID } from "./helpers/agent-api.js";

/** Creating agents: defaults, config validation per adapter, unique names, and agents hiring agents. */

const t = useTestApp();
const { hire, agentActivity } = agentApi(t);

describe("create", () => {
  it("201 with the agent's fields and a normalized heartbeat policy", async () => {
    const company = await createCompany(t.current);
    const res = await t.current.post(`/api/companies/${company.id}/agents`, {
      name: "Echo Bot",
      role: "engineer",
      title: "Greeter",
      adapterType: "process",
      adapterConfig: { command: "/agents/hello.sh", args: [], cwd: "/agents", timeoutSec: 30 },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      companyId: company.id,
      name: "Echo Bot",
      urlKey: "echo-bot",
      role: "engineer",
      title: "Greeter",
      icon: null,
      status: "idle",
      reportsTo: null,
      capabilities: null,
      adapterType: "process",
      adapterConfig: { command: "/agents/hello.sh", args: [], cwd: "/agents", timeoutSec: 30 },
      runtimeConfig: { heartbeat: { enabled: false, intervalSec: 0, wakeOnDemand: true, maxConcurrentRuns: 1 } },
      defaultEnvironmentId: null,
      budgetMonthlyCents: 0,
      spentMonthlyCents: 0,
      pauseReason: null,
      pausedAt: null,
      errorReason: null,
      permissions: { canCreateAgents: false },
      lastHeartbeatAt: null,
      metadata: null,
    });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const got = await t.current.get(`/api/agents/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
  });

  it("role defaults to general", async () => {
    const company = await createCompany(t.current);
    const res = await hire(company.id, { name: "No Role" });
    expect(res.status).toBe(201);
    expect(res.body.role).toBe("general");
  });

  it("writes an agent.created activity row", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const rows = await agentActivity(company.id, agent.id);
    expect(actions(rows, "agent.created")).toHaveLength(1);
    expect(actions(rows, "agent.created")[0]).toMatchObject({ agentId: agent.id, actorType: "user", actorId: "local-board" });
  });

  it("keeps given heartbeat settings and other runtime keys, filling in the rest", async () => {
    const company = await createCompany(t.current);
    const res = await hire(company.id, {
      name: "Timed",
      runtimeConfig: { heartbeat: { enabled: true, intervalSec: 300, wakeOnDemand: false, custom: "kept" }, other: { a: 1 } },
    });
    expect(res.status).toBe(201);
    expect(res.body.runtimeConfig).toEqual({
      heartbeat: { enabled: true, intervalSec: 300, wakeOnDemand: false, maxConcurrentRuns: 1, custom: "kept" },
      other: { a: 1 },
    });
  });

  it.each([
    [0, 1],
    [-5, 1],
    [1, 1],
    [3, 3],
    [10, 10],
    [11, 10],
    [50, 10],
  ])("maxConcurrentRuns %i is clamped to %i on create", async (given, expected) => {
    const company = await createCompany(t.current);
    const res = await hire(company.id, { name: `Clamp ${given}`, runtimeConfig: { heartbeat: { maxConcurrentRuns: given } } });
    expect(res.status).toBe(201);
    expect(res.body.runtimeConfig.heartbeat.maxConcurrentRuns).toBe(expected);
    const config = await t.current.get(`/api/agents/${res.body.id}/configuration`);
    expect(config.body.runtimeConfig.heartbeat.maxConcurrentRuns).toBe(expected);
  });

  it.each([
    [0, 1],
    [50, 10],
    [3, 3],
  ])("maxConcurrentRuns %i is clamped to %i on patch", async (given, expected) => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { runtimeConfig: { heartbeat: { maxConcurrentRuns: 5 } } });
    const res = await t.current.patch(`/api/agents/${agent.id}`, { runtimeConfig: { heartbeat: { maxConcurrentRuns: given } } });
    expect(res.status).toBe(200);
    expect(res.body.runtimeConfig.heartbeat).toEqual({ enabled: false, intervalSec: 0, wakeOnDemand: true, maxConcurrentRuns: expected });
  });

  it("a non-integer maxConcurrentRuns or a negative interval -> 400", async () => {
    const company = await createCompany(t.current);
    const frac = await hire(company.id, { name: "Frac", runtimeConfig: { heartbeat: { maxConcurrentRuns: 2.5 } } });
    expect(frac.status).toBe(400);
    expect(detailPaths(frac.body)).toContain("runtimeConfig.heartbeat.maxConcurrentRuns");
    const neg = await hire(company.id, { name: "Neg", runtimeConfig: { heartbeat: { intervalSec: -1 } } });
    expect(neg.status).toBe(400);
    expect(detailPaths(neg.body)).toContain("runtimeConfig.heartbeat.intervalSec");
  });

  it.each([
    ["bad role", { role: "wizard" }, "role"],
    ["bad adapterType", { adapterType: "telepathy" }, "adapterType"],
    ["missing name", { name: undefined }, "name"],
    ["empty name", { name: "   " }, "name"],
    ["name too long", { name: "n".repeat(101) }, "name"],
    ["negative budget", { budgetMonthlyCents: -1 }, "budgetMonthlyCents"],
    ["reportsTo not a uuid", { reportsTo: "boss" }, "reportsTo"],
    ["unknown field", { bogus: 1 }, ""],
  ])("%s -> 400", async (_label, extra, path) => {
    const company = await createCompany(t.current);
    const res = await hire(company.id, { name: "Valid Name", ...extra });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("Validation error");
    if (path) expect(detailPaths(res.body)).toContain(path);
    else expect(JSON.stringify(res.body.details)).toContain("bogus");
    const list = await t.current.get(`/api/companies/${company.id}/agents`);
    expect(list.body).toEqual([]);
  });

  it.each([
    ["no adapterConfig at all", { adapterType: undefined, adapterConfig: undefined }],
    ["process without command", { adapterType: "process", adapterConfig: { args: ["x"] } }],
    ["process with blank command", { adapterType: "process", adapterConfig: { command: "  " } }],
    ["process with non-string command", { adapterType: "process", adapterConfig: { command: 42 } }],
  ])("%s -> 400 at adapterConfig.command", async (_label, extra) => {
    const company = await createCompany(t.current);
    const res = await hire(company.id, { name: "Cmdless", ...extra });
    expect(res.status).toBe(400);
    expect(detailPaths(res.body)).toContain("adapterConfig.command");
  });

  it("process adapter with a bad env variable name -> 400", async () => {
    const company = await createCompany(t.current);
    const res = await hire(company.id, { name: "Env", adapterConfig: { command: "/bin/true", env: { "1BAD": "x" } } });
    expect(res.status).toBe(400);
    expect(detailPaths(res.body).some((p) => p.startsWith("adapterConfig.env"))).toBe(true);
  });

  it.each([["ftp://example.com/hook"], ["file:///etc/passwd"], ["javascript:alert(1)"], ["not a url"], [""]])(
    "http adapter with url %j -> 400 at adapterConfig.url",
    async (url) => {
      const company = await createCompany(t.current);
      const res = await hire(company.id, { name: "Hook", adapterType: "http", adapterConfig: { url } });
      expect(res.status).toBe(400);
      expect(detailPaths(res.body)).toContain("adapterConfig.url");
    },
  );

  it("http adapter with an http(s) url -> 201", async () => {
    const company = await createCompany(t.current);
    for (const [name, url] of [
      ["Hook S", "https://example.com/hook"],
      ["Hook P", "http://127.0.0.1:8080/wake"],
    ]) {
      const res = await hire(company.id, { name, adapterType: "http", adapterConfig: { url, method: "POST" } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.adapterType).toBe("http");
      expect(res.body.adapterConfig).toEqual({ url, method: "POST" });
    }
  });

  it("cli adapters accept an empty config", async () => {
    const company = await createCompany(t.current);
    const res = await hire(company.id, { name: "Claude", adapterType: "claude_local", adapterConfig: {} });
    expect(res.status).toBe(201);
    expect(res.body.adapterType).toBe("claude_local");
  });

  it("unknown company -> 404", async () => {
    const res = await hire(UNKNOWN_UUID, { name: "Orphan" });
    expect(res.status).toBe(404);
  });

  it("a company that requires board approval for new agents -> 409", async () => {
    const company = await createCompany(t.current, { requireBoardApprovalForNewAgents: true });
    const res = await hire(company.id, { name: "Needs Approval" });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("hire_approval_required");
  });
});

describe("unique names", () => {
  it("a name differing only in case and surrounding spaces -> 409 in the same company", async () => {
    const company = await createCompany(t.current);
    expect((await hire(company.id, { name: "Echo Bot" })).status).toBe(201);
    for (const name of [" echo bot ", "ECHO BOT", "Echo Bot"]) {
      const res = await hire(company.id, { name });
      expect(res.status, name).toBe(409);
      expect(res.body.code).toBe("agent_name_taken");
    }
    const list = await t.current.get(`/api/companies/${company.id}/agents`);
    expect(list.body).toHaveLength(1);
  });

  it("the same name is allowed in another company", async () => {
    const a = await createCompany(t.current);
    const b = await createCompany(t.current);
    expect((await hire(a.id, { name: "Echo Bot" })).status).toBe(201);
    const res = await hire(b.id, { name: " echo bot " });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe("echo bot");
  });

  it("the name is free again once its holder is terminated", async () => {
    const company = await createCompany(t.current);
    const first = await hire(company.id, { name: "Echo Bot" });
    expect((await t.current.post(`/api/agents/${first.body.id}/terminate`)).status).toBe(200);
    const second = await hire(company.id, { name: " echo bot " });
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
    // ...but not twice among live agents.
    expect((await hire(company.id, { name: "ECHO BOT" })).status).toBe(409);
  });

  it("renaming onto a live agent's name -> 409; renaming updates urlKey", async () => {
    const company = await createCompany(t.current);
    await hire(company.id, { name: "Alpha" });
    const beta = await hire(company.id, { name: "Beta" });
    const clash = await t.current.patch(`/api/agents/${beta.body.id}`, { name: " ALPHA " });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe("agent_name_taken");
    const renamed = await t.current.patch(`/api/agents/${beta.body.id}`, { name: "Gamma Ray" });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: "Gamma Ray", urlKey: "gamma-ray" });
  });
});

describe("agents hiring agents", () => {
  it("an agent without canCreateAgents -> 403; with it -> 201 in its own company only", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const plain = await createAgent(t.current, company.id);
    const recruiter = await createAgent(t.current, company.id, { permissions: { canCreateAgents: true } });
    const plainKey = await createAgentKey(t.current, plain.id);
    const recruiterKey = await createAgentKey(t.current, recruiter.id);

    const denied = await t.current.post(
      `/api/companies/${company.id}/agents`,
      { name: "Recruit A", ...PROCESS },
      { token: plainKey.token },
    );
    expect(denied.status).toBe(403);
    const allowed = await t.current.post(
      `/api/companies/${company.id}/agents`,
      { name: "Recruit B", reportsTo: recruiter.id, ...PROCESS },
      { token: recruiterKey.token },
    );
    expect(allowed.status).toBe(201);
    expect(allowed.body).toMatchObject({ companyId: company.id, reportsTo: recruiter.id, permissions: { canCreateAgents: false } });
    const rows = await agentActivity(company.id, allowed.body.id);
    expect(actions(rows, "agent.created")[0]).toMatchObject({ actorType: "agent", actorId: recruiter.id });

    const elsewhere = await t.current.post(
      `/api/companies/${other.id}/agents`,
      { name: "Recruit C", ...PROCESS },
      { token: recruiterKey.token },
    );
    expect(elsewhere.status).toBe(403);
  });
});
