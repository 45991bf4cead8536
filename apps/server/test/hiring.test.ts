import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

/** POST /companies/:companyId/agent-hires with and without requireBoardApprovalForNewAgents. */
const t = useTestApp();

let n = 0;
const hireBody = (extra: Record<string, unknown> = {}) => ({
  name: `Hire ${++n} ${Math.random().toString(36).slice(2, 6)}`,
  role: "researcher",
  adapterType: "process",
  adapterConfig: { command: "/bin/true" },
  ...extra,
});

async function setup(requireApproval: boolean) {
  const company = await createCompany(t.current);
  const manager = await createAgent(t.current, company.id, { role: "ceo", permissions: { canCreateAgents: true } });
  const worker = await createAgent(t.current, company.id);
  // Turned on after the first agents exist (direct creation is refused once it is on).
  if (requireApproval)
    expect((await t.current.patch(`/api/companies/${company.id}`, { requireBoardApprovalForNewAgents: true })).status).toBe(200);
  return {
    company,
    manager,
    managerToken: (await createAgentKey(t.current, manager.id)).token,
    workerToken: (await createAgentKey(t.current, worker.id)).token,
  };
}

async function hire(companyId: string, body: Record<string, unknown>, token?: string) {
  const res = await t.current.post(`/api/companies/${companyId}/agent-hires`, body, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { agent: { id: string; status: string; [k: string]: any }; approval: { id: string; [k: string]: any } | null };
}

describe("requireBoardApprovalForNewAgents is a company field", () => {
  it("defaults to false, the board sets it, an agent may not", async () => {
    const { company, managerToken } = await setup(false);
    expect((await t.current.get(`/api/companies/${company.id}`)).body.requireBoardApprovalForNewAgents).toBe(false);
    const set = await t.current.patch(`/api/companies/${company.id}`, { requireBoardApprovalForNewAgents: true });
    expect(set.body.requireBoardApprovalForNewAgents).toBe(true);
    expect(
      (await t.current.patch(`/api/companies/${company.id}`, { requireBoardApprovalForNewAgents: false }, { token: managerToken })).status,
    ).toBe(403);
    expect((await t.current.patch(`/api/companies/${company.id}`, { requireBoardApprovalForNewAgents: "yes" })).status).toBe(400);
  });
});

describe("setting off: the hire creates the agent directly", () => {
  it("the board or an agent with canCreateAgents hires an idle agent; no approval", async () => {
    const { company, managerToken } = await setup(false);
    const byBoard = await hire(company.id, hireBody());
    expect(byBoard.approval).toBeNull();
    expect(byBoard.agent).toMatchObject({ companyId: company.id, status: "idle", role: "researcher" });
    // Paperclip's hire-only fields are accepted.
    const byAgent = await hire(
      company.id,
      hireBody({ desiredSkills: ["research"], instructionsBundle: { entryFile: "AGENTS.md", files: { "AGENTS.md": "# Analyst" } } }),
      managerToken,
    );
    expect(byAgent.agent.status).toBe("idle");
    expect((await t.current.get(`/api/companies/${company.id}/approvals`)).body).toEqual([]);
  });

  it("an agent without canCreateAgents gets 403; bad bodies get 400 and create nothing", async () => {
    const { company, workerToken } = await setup(false);
    const url = `/api/companies/${company.id}/agent-hires`;
    const before = (await t.current.get(`/api/companies/${company.id}/agents`)).body.length;
    expect((await t.current.post(url, hireBody(), { token: workerToken })).status).toBe(403);
    expect((await t.current.post(url, { role: "researcher" })).status).toBe(400); // no name
    expect((await t.current.post(url, hireBody({ adapterConfig: {} }))).status).toBe(400); // process needs a command
    expect((await t.current.post(url, hireBody({ role: "emperor" }))).status).toBe(400);
    expect((await t.current.post(url, hireBody({ sourceIssueIds: ["nope"] }))).status).toBe(400);
    expect((await t.current.post(url, hireBody({ instructionsBundle: { files: ["AGENTS.md"] } }))).status).toBe(400);
    expect((await t.current.get(`/api/companies/${company.id}/agents`)).body.length).toBe(before);
  });
});

describe("setting on: a pending agent and a hire_agent approval", () => {
  it("an agent's hire creates a pending_approval agent (never woken) and an approval describing it", async () => {
    const { company, manager, managerToken } = await setup(true);
    const issue = await createIssue(t.current, company.id);
    const { agent, approval } = await hire(company.id, hireBody({ sourceIssueId: issue.id, budgetMonthlyCents: 5000 }), managerToken);
    expect(agent.status).toBe("pending_approval");
    expect(approval).toMatchObject({
      type: "hire_agent",
      status: "pending",
      requestedByAgentId: manager.id,
      payload: { agentId: agent.id, name: agent.name, role: "researcher", adapterType: "process", budgetMonthlyCents: 5000 },
    });
    expect((await t.current.get(`/api/approvals/${approval!.id}/issues`)).body.map((i: { id: string }) => i.id)).toEqual([issue.id]);
    // Never woken while pending: on demand is a 409 and no run exists.
    const wake = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand" });
    expect(wake.status).toBe(409);
    const runs = await t.current.tdb.db.query("SELECT id FROM heartbeat_runs WHERE agent_id = $1", [agent.id]);
    expect(runs).toEqual([]);
    // Direct creation is refused while the rule is on.
    const direct = await t.current.post(`/api/companies/${company.id}/agents`, hireBody());
    expect(direct.status).toBe(409);
    expect(direct.body.code).toBe("hire_approval_required");
  });

  it("approving activates the agent (idle, wakeable)", async () => {
    const { company, managerToken } = await setup(true);
    const { agent, approval } = await hire(company.id, hireBody(), managerToken);
    const approved = await t.current.post(`/api/approvals/${approval!.id}/approve`, {});
    expect(approved.body.status).toBe("approved");
    expect((await t.current.get(`/api/agents/${agent.id}`)).body.status).toBe("idle");
    expect((await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand" })).status).toBe(202);
  });

  it("rejecting terminates the agent", async () => {
    const { company, managerToken } = await setup(true);
    const { agent, approval } = await hire(company.id, hireBody(), managerToken);
    expect((await t.current.post(`/api/approvals/${approval!.id}/reject`, { decisionNote: "not now" })).body.status).toBe("rejected");
    expect((await t.current.get(`/api/agents/${agent.id}`)).body.status).toBe("terminated");
    expect((await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand" })).status).toBe(409);
  });

  it("the board's hire also waits for approval; the hiring agent needs canCreateAgents either way", async () => {
    const { company, workerToken } = await setup(true);
    const { agent, approval } = await hire(company.id, hireBody());
    expect(agent.status).toBe("pending_approval");
    expect(approval).toMatchObject({ requestedByAgentId: null, requestedByUserId: expect.any(String) });
    expect((await t.current.post(`/api/companies/${company.id}/agent-hires`, hireBody(), { token: workerToken })).status).toBe(403);
    const unknownIssue = await t.current.post(
      `/api/companies/${company.id}/agent-hires`,
      hireBody({ sourceIssueId: "00000000-0000-4000-8000-000000000000" }),
    );
    expect(unknownIssue.status).toBe(404);
  });

  it("a hire_agent approval created by hand creates its agent when approved; a bad payload is a 400 and stays pending", async () => {
    const { company, managerToken } = await setup(true);
    const name = `Hand hire ${Math.random().toString(36).slice(2, 8)}`;
    const created = await t.current.post(
      `/api/companies/${company.id}/approvals`,
      { type: "hire_agent", payload: { name, role: "qa", adapterType: "process", adapterConfig: { command: "/bin/true" } } },
      { token: managerToken },
    );
    expect(created.status).toBe(201);
    const approved = await t.current.post(`/api/approvals/${created.body.id}/approve`, {});
    expect(approved.status).toBe(200);
    expect(approved.body.payload.agentId).toEqual(expect.any(String));
    expect((await t.current.get(`/api/agents/${approved.body.payload.agentId}`)).body).toMatchObject({ name, role: "qa", status: "idle" });

    const bad = await t.current.post(`/api/companies/${company.id}/approvals`, { type: "hire_agent", payload: { role: "qa" } });
    const refused = await t.current.post(`/api/approvals/${bad.body.id}/approve`, {});
    expect(refused.status).toBe(400);
    expect((await t.current.get(`/api/approvals/${bad.body.id}`)).body.status).toBe("pending");
  });
});
