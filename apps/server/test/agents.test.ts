import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany } from "./helpers/fixtures.js";

const t = useTestApp();

const UNKNOWN_UUID = "6f1c1a7e-0000-4000-8000-0000000000aa";
const PROCESS = { adapterType: "process", adapterConfig: { command: "/bin/true" } } as const;

const detailPaths = (body: { details?: Array<{ path: unknown[] }> }) => (body.details ?? []).map((d) => d.path.join("."));

function hire(companyId: string, body: Record<string, unknown>) {
  return t.current.post(`/api/companies/${companyId}/agents`, { ...PROCESS, ...body });
}

async function agentActivity(companyId: string, agentId: string) {
  const res = await t.current.get(`/api/companies/${companyId}/activity?entityType=agent&entityId=${agentId}`);
  expect(res.status).toBe(200);
  return res.body as Array<{ action: string; agentId: string | null; actorType: string; actorId: string; details: any }>;
}

const actions = <T extends { action: string }>(rows: T[], action: string) => rows.filter((r) => r.action === action);

interface OrgNode {
  id: string;
  name: string;
  reportsTo: string | null;
  status: string;
  reports: OrgNode[];
}
/** Compact view of the tree: name -> nested names, sorted for stable comparison. */
function shape(nodes: OrgNode[]): Record<string, unknown> {
  return Object.fromEntries(nodes.map((n) => [n.name, shape(n.reports)]));
}

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

describe("reportsTo", () => {
  it("a manager from another company -> 422 on create and patch", async () => {
    const mine = await createCompany(t.current);
    const theirs = await createCompany(t.current);
    const foreign = await createAgent(t.current, theirs.id);
    const create = await hire(mine.id, { name: "Cross", reportsTo: foreign.id });
    expect(create.status).toBe(422);
    expect(create.body.code).toBe("reports_to_invalid");
    const local = await createAgent(t.current, mine.id);
    const patch = await t.current.patch(`/api/agents/${local.id}`, { reportsTo: foreign.id });
    expect(patch.status).toBe(422);
    expect((await t.current.get(`/api/agents/${local.id}`)).body.reportsTo).toBeNull();
  });

  it("an unknown or terminated manager -> 422", async () => {
    const company = await createCompany(t.current);
    expect((await hire(company.id, { name: "Ghost Boss", reportsTo: UNKNOWN_UUID })).status).toBe(422);
    const gone = await createAgent(t.current, company.id);
    await t.current.post(`/api/agents/${gone.id}/terminate`);
    const res = await hire(company.id, { name: "Late Report", reportsTo: gone.id });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("reports_to_invalid");
  });

  it("valid manager -> 200; cycles (self, two-step, three-step) -> 422", async () => {
    const company = await createCompany(t.current);
    const a = await createAgent(t.current, company.id);
    const b = await createAgent(t.current, company.id);
    const c = await createAgent(t.current, company.id);

    const self = await t.current.patch(`/api/agents/${a.id}`, { reportsTo: a.id });
    expect(self.status).toBe(422);
    expect(self.body.code).toBe("reports_to_cycle");

    const ab = await t.current.patch(`/api/agents/${a.id}`, { reportsTo: b.id });
    expect(ab.status).toBe(200);
    expect(ab.body.reportsTo).toBe(b.id);

    const ba = await t.current.patch(`/api/agents/${b.id}`, { reportsTo: a.id });
    expect(ba.status).toBe(422);
    expect(ba.body.code).toBe("reports_to_cycle");

    expect((await t.current.patch(`/api/agents/${b.id}`, { reportsTo: c.id })).status).toBe(200); // a -> b -> c
    const ca = await t.current.patch(`/api/agents/${c.id}`, { reportsTo: a.id });
    expect(ca.status).toBe(422);
    expect(ca.body.code).toBe("reports_to_cycle");

    expect((await t.current.get(`/api/agents/${b.id}`)).body.reportsTo).toBe(c.id);
    expect((await t.current.get(`/api/agents/${c.id}`)).body.reportsTo).toBeNull();
  });

  it("re-pointing to the same manager is fine and null clears it", async () => {
    const company = await createCompany(t.current);
    const boss = await createAgent(t.current, company.id);
    const worker = await createAgent(t.current, company.id, { reportsTo: boss.id });
    expect(worker).toMatchObject({ reportsTo: boss.id });
    expect((await t.current.patch(`/api/agents/${worker.id}`, { reportsTo: boss.id })).status).toBe(200);
    const cleared = await t.current.patch(`/api/agents/${worker.id}`, { reportsTo: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.reportsTo).toBeNull();
  });
});

describe("org chart", () => {
  it("GET /api/companies/:cid/org nests reports under their managers", async () => {
    const company = await createCompany(t.current);
    const ceo = await createAgent(t.current, company.id, { name: "CEO", role: "ceo" });
    const cto = await createAgent(t.current, company.id, { name: "CTO", role: "cto", reportsTo: ceo.id });
    await createAgent(t.current, company.id, { name: "Eng 1", reportsTo: cto.id });
    await createAgent(t.current, company.id, { name: "Eng 2", reportsTo: cto.id });
    await createAgent(t.current, company.id, { name: "CMO", role: "cmo", reportsTo: ceo.id });
    await createAgent(t.current, company.id, { name: "Loner" });
    const other = await createCompany(t.current);
    await createAgent(t.current, other.id, { name: "Elsewhere" });

    const res = await t.current.get(`/api/companies/${company.id}/org`);
    expect(res.status).toBe(200);
    expect(shape(res.body)).toEqual({
      CEO: { CTO: { "Eng 1": {}, "Eng 2": {} }, CMO: {} },
      Loner: {},
    });
    const ceoNode = res.body.find((n: OrgNode) => n.id === ceo.id);
    expect(ceoNode).toMatchObject({ id: ceo.id, name: "CEO", role: "ceo", status: "idle", reportsTo: null, title: null, icon: null });
    expect(ceoNode.reports[0]).toMatchObject({ id: cto.id, reportsTo: ceo.id });
  });

  it("terminated agents are left out; their reports become roots", async () => {
    const company = await createCompany(t.current);
    const ceo = await createAgent(t.current, company.id, { name: "Boss" });
    const mid = await createAgent(t.current, company.id, { name: "Middle", reportsTo: ceo.id });
    await createAgent(t.current, company.id, { name: "Leaf", reportsTo: mid.id });
    const fired = await createAgent(t.current, company.id, { name: "Fired", reportsTo: ceo.id });
    await t.current.post(`/api/agents/${fired.id}/terminate`);
    await t.current.post(`/api/agents/${mid.id}/terminate`);
    const res = await t.current.get(`/api/companies/${company.id}/org`);
    expect(res.status).toBe(200);
    expect(shape(res.body)).toEqual({ Boss: {}, Leaf: {} });
    const leaf = res.body.find((n: OrgNode) => n.name === "Leaf");
    expect(leaf.reportsTo).toBe(mid.id);
  });

  it("paused agents stay in the chart with their status", async () => {
    const company = await createCompany(t.current);
    const boss = await createAgent(t.current, company.id, { name: "Boss" });
    const napper = await createAgent(t.current, company.id, { name: "Napper", reportsTo: boss.id });
    await t.current.post(`/api/agents/${napper.id}/pause`);
    const res = await t.current.get(`/api/companies/${company.id}/org`);
    expect(res.body).toHaveLength(1);
    expect(res.body[0].reports).toEqual([expect.objectContaining({ id: napper.id, status: "paused", reports: [] })]);
  });

  it("an empty company has an empty chart", async () => {
    const company = await createCompany(t.current);
    const res = await t.current.get(`/api/companies/${company.id}/org`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });
});

describe("pause, resume, terminate", () => {
  it("pause -> paused (manual), repeat is a no-op, resume -> idle; each logs once", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);

    const paused = await t.current.post(`/api/agents/${agent.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ id: agent.id, status: "paused", pauseReason: "manual" });
    expect(paused.body.pausedAt).not.toBeNull();

    const again = await t.current.post(`/api/agents/${agent.id}/pause`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: "paused", pauseReason: "manual", pausedAt: paused.body.pausedAt });

    const resumed = await t.current.post(`/api/agents/${agent.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ status: "idle", pauseReason: null, pausedAt: null });

    const resumedAgain = await t.current.post(`/api/agents/${agent.id}/resume`);
    expect(resumedAgain.status).toBe(200);
    expect(resumedAgain.body.status).toBe("idle");

    const rows = await agentActivity(company.id, agent.id);
    expect(actions(rows, "agent.paused")).toHaveLength(1);
    expect(actions(rows, "agent.paused")[0]).toMatchObject({ agentId: agent.id, actorType: "user", details: { previousStatus: "idle" } });
    expect(actions(rows, "agent.resumed")).toHaveLength(1);
    expect(actions(rows, "agent.resumed")[0]!.details).toEqual({ previousStatus: "paused" });
  });

  it("terminate from idle or paused; repeat is a no-op; logs agent.terminated once", async () => {
    const company = await createCompany(t.current);
    const idle = await createAgent(t.current, company.id);
    const paused = await createAgent(t.current, company.id);
    await t.current.post(`/api/agents/${paused.id}/pause`);

    for (const [agent, previous] of [
      [idle, "idle"],
      [paused, "paused"],
    ] as const) {
      const res = await t.current.post(`/api/agents/${agent.id}/terminate`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: "terminated", pauseReason: null, pausedAt: null });
      const again = await t.current.post(`/api/agents/${agent.id}/terminate`);
      expect(again.status).toBe(200);
      expect(again.body.status).toBe("terminated");
      const rows = await agentActivity(company.id, agent.id);
      expect(actions(rows, "agent.terminated")).toHaveLength(1);
      expect(actions(rows, "agent.terminated")[0]!.details).toEqual({ previousStatus: previous });
    }
  });

  it("a terminated agent cannot be resumed, paused or patched (409) and takes no new keys", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    await t.current.post(`/api/agents/${agent.id}/terminate`);

    const resume = await t.current.post(`/api/agents/${agent.id}/resume`);
    expect(resume.status).toBe(409);
    expect(resume.body.code).toBe("agent_invalid_transition");
    expect((await t.current.post(`/api/agents/${agent.id}/pause`)).status).toBe(409);
    const patch = await t.current.patch(`/api/agents/${agent.id}`, { title: "Zombie" });
    expect(patch.status).toBe(409);
    expect(patch.body.code).toBe("agent_terminated");
    const key = await t.current.post(`/api/agents/${agent.id}/keys`, { name: "late" });
    expect(key.status).toBe(409);

    const got = await t.current.get(`/api/agents/${agent.id}`);
    expect(got.body).toMatchObject({ status: "terminated", title: null });
    const rows = await agentActivity(company.id, agent.id);
    expect(actions(rows, "agent.resumed")).toHaveLength(0);
    expect(actions(rows, "agent.paused")).toHaveLength(0);
    expect(actions(rows, "agent.updated")).toHaveLength(0);
  });

  it("concurrent pauses apply once", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const results = await Promise.all(Array.from({ length: 4 }, () => t.current.post(`/api/agents/${agent.id}/pause`)));
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body.status).toBe("paused");
    }
    expect(actions(await agentActivity(company.id, agent.id), "agent.paused")).toHaveLength(1);
  });

  it("unknown agent -> 404 for every transition", async () => {
    for (const action of ["pause", "resume", "terminate"]) {
      expect((await t.current.post(`/api/agents/${UNKNOWN_UUID}/${action}`)).status, action).toBe(404);
      expect((await t.current.post(`/api/agents/not-a-uuid/${action}`)).status, action).toBe(404);
    }
  });
});

describe("patch", () => {
  it("updates the given fields, merges permissions, logs agent.updated with the changed fields", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { permissions: { custom: "x" } });
    const res = await t.current.patch(`/api/agents/${agent.id}`, {
      title: "Lead",
      role: "cto",
      capabilities: "everything",
      budgetMonthlyCents: 700,
      permissions: { canCreateAgents: true },
      metadata: { team: "core" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: agent.name,
      title: "Lead",
      role: "cto",
      capabilities: "everything",
      budgetMonthlyCents: 700,
      permissions: { canCreateAgents: true, custom: "x" },
      metadata: { team: "core" },
      adapterType: "process",
      adapterConfig: { command: "/bin/true" },
    });
    const rows = await agentActivity(company.id, agent.id);
    const updated = actions(rows, "agent.updated");
    expect(updated).toHaveLength(1);
    expect(updated[0]!.details.changedFields.sort()).toEqual(["budgetMonthlyCents", "capabilities", "metadata", "permissions", "role", "title"]);
  });

  it.each([
    ["bad role", { role: "wizard" }, "role"],
    ["bad adapterType", { adapterType: "telepathy" }, "adapterType"],
    ["empty name", { name: "" }, "name"],
    ["negative budget", { budgetMonthlyCents: -3 }, "budgetMonthlyCents"],
  ])("%s -> 400", async (_label, body, path) => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const res = await t.current.patch(`/api/agents/${agent.id}`, body);
    expect(res.status).toBe(400);
    expect(detailPaths(res.body)).toContain(path);
  });

  it("unknown and read-only fields -> 400", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    for (const body of [{ bogus: 1 }, { status: "running" }, { companyId: UNKNOWN_UUID }]) {
      const res = await t.current.patch(`/api/agents/${agent.id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    // Paperclip's PATCH schema names it: accepted but ignored (Staple-Ignored-Fields, paperclip-compat.test.ts).
    expect((await t.current.patch(`/api/agents/${agent.id}`, { spentMonthlyCents: 1 })).status).toBe(200);
    expect((await t.current.get(`/api/agents/${agent.id}`)).body).toMatchObject({ status: "idle", companyId: company.id });
  });

  it("a new adapterConfig must be valid for the agent's current adapter type", async () => {
    const company = await createCompany(t.current);
    const proc = await createAgent(t.current, company.id);
    const noCommand = await t.current.patch(`/api/agents/${proc.id}`, { adapterConfig: { args: ["x"] } });
    expect(noCommand.status).toBe(400);
    expect(detailPaths(noCommand.body)).toContain("adapterConfig.command");

    const hook = await hire(company.id, { name: "Hooky", adapterType: "http", adapterConfig: { url: "https://example.com/a" } });
    const ftp = await t.current.patch(`/api/agents/${hook.body.id}`, { adapterConfig: { url: "ftp://example.com/a" } });
    expect(ftp.status).toBe(400);
    expect(detailPaths(ftp.body)).toContain("adapterConfig.url");

    const ok = await t.current.patch(`/api/agents/${proc.id}`, { adapterConfig: { command: "/bin/echo", args: ["hi"] } });
    expect(ok.status).toBe(200);
    expect(ok.body.adapterConfig).toEqual({ command: "/bin/echo", args: ["hi"] });

    expect((await t.current.get(`/api/agents/${hook.body.id}`)).body.adapterConfig).toEqual({ url: "https://example.com/a" });
  });

  it("switching adapter type re-validates: with no new config -> 400, with a valid one -> 200", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const bare = await t.current.patch(`/api/agents/${agent.id}`, { adapterType: "http" });
    expect(bare.status).toBe(400);
    expect(detailPaths(bare.body)).toContain("adapterConfig.url");
    const badPair = await t.current.patch(`/api/agents/${agent.id}`, { adapterType: "http", adapterConfig: { url: "ftp://x" } });
    expect(badPair.status).toBe(400);
    const good = await t.current.patch(`/api/agents/${agent.id}`, { adapterType: "http", adapterConfig: { url: "https://example.com/w" } });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ adapterType: "http", adapterConfig: { url: "https://example.com/w" } });
  });

  it("unknown agent -> 404", async () => {
    expect((await t.current.patch(`/api/agents/${UNKNOWN_UUID}`, { title: "x" })).status).toBe(404);
  });
});

describe("reads", () => {
  it("GET /api/agents/:id/configuration returns the adapter and runtime configuration", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, {
      name: "Configured",
      title: "Greeter",
      adapterConfig: { command: "/bin/echo", args: ["hi"], timeoutSec: 30 },
    });
    const res = await t.current.get(`/api/agents/${agent.id}/configuration`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(
      ["adapterConfig", "adapterType", "companyId", "id", "name", "permissions", "reportsTo", "role", "runtimeConfig", "status", "title", "updatedAt"].sort(),
    );
    expect(res.body).toMatchObject({
      id: agent.id,
      companyId: company.id,
      name: "Configured",
      role: "engineer",
      title: "Greeter",
      status: "idle",
      reportsTo: null,
      adapterType: "process",
      adapterConfig: { command: "/bin/echo", args: ["hi"], timeoutSec: 30 },
      runtimeConfig: { heartbeat: { enabled: false, intervalSec: 0, wakeOnDemand: true, maxConcurrentRuns: 1 } },
      permissions: { canCreateAgents: false },
    });
    expect((await t.current.get(`/api/agents/${UNKNOWN_UUID}/configuration`)).status).toBe(404);
  });

  it("GET /api/agents/:id of an unknown or malformed id -> 404", async () => {
    expect((await t.current.get(`/api/agents/${UNKNOWN_UUID}`)).status).toBe(404);
    expect((await t.current.get("/api/agents/not-a-uuid")).status).toBe(404);
  });

  it("lists only the company's agents, oldest first", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const a = await createAgent(t.current, company.id);
    const b = await createAgent(t.current, company.id);
    const foreign = await createAgent(t.current, other.id);
    const res = await t.current.get(`/api/companies/${company.id}/agents`);
    expect(res.status).toBe(200);
    expect(res.body.map((x: { id: string }) => x.id)).toEqual([a.id, b.id]);
    expect(res.body.every((x: { companyId: string }) => x.companyId === company.id)).toBe(true);
    expect(res.body.map((x: { id: string }) => x.id)).not.toContain(foreign.id);
  });

  it("filters by status (single and comma list) and by includeTerminated", async () => {
    const company = await createCompany(t.current);
    const idle = await createAgent(t.current, company.id);
    const paused = await createAgent(t.current, company.id);
    const gone = await createAgent(t.current, company.id);
    await t.current.post(`/api/agents/${paused.id}/pause`);
    await t.current.post(`/api/agents/${gone.id}/terminate`);
    const ids = async (query: string) => {
      const res = await t.current.get(`/api/companies/${company.id}/agents${query}`);
      expect(res.status, query).toBe(200);
      return res.body.map((x: { id: string }) => x.id);
    };
    expect(await ids("?status=paused")).toEqual([paused.id]);
    expect(await ids("?status=idle,terminated")).toEqual([idle.id, gone.id]);
    expect(await ids("?status=running")).toEqual([]);
    expect(await ids("")).toEqual([idle.id, paused.id, gone.id]);
    expect(await ids("?includeTerminated=false")).toEqual([idle.id, paused.id]);
    expect(await ids("?includeTerminated=true")).toEqual([idle.id, paused.id, gone.id]);
  });

  it("a bad status filter -> 400 naming it", async () => {
    const company = await createCompany(t.current);
    const res = await t.current.get(`/api/companies/${company.id}/agents?status=sleeping`);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain("sleeping");
    expect(detailPaths(res.body)).toContain("status");
    expect((await t.current.get(`/api/companies/${company.id}/agents?status=idle,bogus`)).status).toBe(400);
    expect((await t.current.get(`/api/companies/${company.id}/agents?includeTerminated=maybe`)).status).toBe(400);
  });

  it("list of an unknown company -> 404", async () => {
    expect((await t.current.get(`/api/companies/${UNKNOWN_UUID}/agents`)).status).toBe(404);
    expect((await t.current.get(`/api/companies/${UNKNOWN_UUID}/org`)).status).toBe(404);
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

    const denied = await t.current.post(`/api/companies/${company.id}/agents`, { name: "Recruit A", ...PROCESS }, { token: plainKey.token });
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

    const elsewhere = await t.current.post(`/api/companies/${other.id}/agents`, { name: "Recruit C", ...PROCESS }, { token: recruiterKey.token });
    expect(elsewhere.status).toBe(403);
  });
});
