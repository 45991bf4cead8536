import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

/** Approval routes (Paperclip's shapes): create, read, links, comments, decisions, resubmit, budget overrides. */
const t = useTestApp();
const UNKNOWN = "00000000-0000-4000-8000-000000000000";

async function setup() {
  const company = await createCompany(t.current);
  const agent = await createAgent(t.current, company.id);
  const key = await createAgentKey(t.current, agent.id);
  return { company, agent, token: key.token };
}

async function request(companyId: string, body: Record<string, unknown>, token?: string) {
  const res = await t.current.post(`/api/companies/${companyId}/approvals`, body, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; status: string; [k: string]: any };
}

describe("creating and reading approvals", () => {
  it("an agent requests for itself, linked to issues; the board reads it with Paperclip's fields", async () => {
    const { company, agent, token } = await setup();
    const issue = await createIssue(t.current, company.id);
    const approval = await request(company.id, { type: "approve_ceo_strategy", payload: { plan: "grow" }, issueIds: [issue.id] }, token);
    expect(approval).toMatchObject({
      companyId: company.id,
      type: "approve_ceo_strategy",
      status: "pending",
      requestedByAgentId: agent.id,
      requestedByUserId: null,
      payload: { plan: "grow" },
      decisionNote: null,
      decidedByUserId: null,
      decidedAt: null,
    });
    expect((await t.current.get(`/api/approvals/${approval.id}`)).body).toMatchObject({ id: approval.id, status: "pending" });
    const issues = await t.current.get(`/api/approvals/${approval.id}/issues`, { token });
    expect(issues.status).toBe(200);
    expect(issues.body.map((i: { id: string }) => i.id)).toEqual([issue.id]);
    const forIssue = await t.current.get(`/api/issues/${issue.identifier}/approvals`);
    expect(forIssue.body.map((a: { id: string }) => a.id)).toEqual([approval.id]);
    const activity = await t.current.tdb.db.query("SELECT action FROM activity_log WHERE entity_id = $1", [approval.id]);
    expect(activity.map((r: any) => r.action)).toContain("approval.created");
  });

  it("lists newest first and filters by status", async () => {
    const { company } = await setup();
    const a = await request(company.id, { type: "request_board_approval", payload: { n: 1 } });
    const b = await request(company.id, { type: "request_board_approval", payload: { n: 2 } });
    expect((await t.current.post(`/api/approvals/${a.id}/approve`, {})).status).toBe(200);
    const all = await t.current.get(`/api/companies/${company.id}/approvals`);
    expect(all.body.map((x: { id: string }) => x.id)).toEqual([b.id, a.id]);
    const pending = await t.current.get(`/api/companies/${company.id}/approvals?status=pending`);
    expect(pending.body.map((x: { id: string }) => x.id)).toEqual([b.id]);
    expect((await t.current.get(`/api/companies/${company.id}/approvals?status=approved`)).body.map((x: { id: string }) => x.id)).toEqual([
      a.id,
    ]);
    const bad = await t.current.get(`/api/companies/${company.id}/approvals?status=maybe`);
    expect(bad.status).toBe(400);
  });

  it("refuses bad bodies, a foreign requester, unknown issues and other companies", async () => {
    const { company, agent, token } = await setup();
    const other = await setup();
    const url = `/api/companies/${company.id}/approvals`;
    expect((await t.current.post(url, { type: "hire_agent" })).status).toBe(400); // payload missing
    expect((await t.current.post(url, { type: "make_me_king", payload: {} })).status).toBe(400);
    expect((await t.current.post(url, { type: "hire_agent", payload: {}, extra: 1 })).status).toBe(400);
    expect((await t.current.post(url, { type: "hire_agent", payload: "x" })).status).toBe(400);
    // An agent cannot request in another agent's name; the board may name only an agent of the company.
    const forged = await t.current.post(url, { type: "request_board_approval", payload: {}, requestedByAgentId: UNKNOWN }, { token });
    expect(forged.status).toBe(403);
    const foreign = await t.current.post(url, { type: "request_board_approval", payload: {}, requestedByAgentId: other.agent.id });
    expect(foreign.status).toBe(422);
    const named = await request(company.id, { type: "request_board_approval", payload: {}, requestedByAgentId: agent.id });
    expect(named).toMatchObject({ requestedByAgentId: agent.id, requestedByUserId: expect.any(String) });
    const missingIssue = await t.current.post(url, { type: "request_board_approval", payload: {}, issueIds: [UNKNOWN] });
    expect(missingIssue.status).toBe(404);
    const otherIssue = await createIssue(t.current, other.company.id);
    expect((await t.current.post(url, { type: "request_board_approval", payload: {}, issueIds: [otherIssue.id] })).status).toBe(422);
    // Another company's agent: its list is a 403, its approval by id a 404.
    expect((await t.current.get(url, { token: other.token })).status).toBe(403);
    expect((await t.current.get(`/api/approvals/${named.id}`, { token: other.token })).status).toBe(404);
    expect((await t.current.get(`/api/approvals/${UNKNOWN}`)).status).toBe(404);
    expect((await t.current.get(`/api/approvals/not-a-uuid`)).status).toBe(404);
    expect((await t.current.get(`/api/approvals/${UNKNOWN}/issues`)).status).toBe(404);
    expect((await t.current.get(`/api/approvals/${UNKNOWN}/comments`)).status).toBe(404);
  });
});

describe("decisions", () => {
  it("approve, reject and request-revision are the board's only (403 for agents, even the requester)", async () => {
    const { company, token } = await setup();
    const approval = await request(company.id, { type: "request_board_approval", payload: {} }, token);
    for (const action of ["approve", "reject", "request-revision"]) {
      const res = await t.current.post(`/api/approvals/${approval.id}/${action}`, {}, { token });
      expect(res.status, action).toBe(403);
    }
    expect((await t.current.get(`/api/approvals/${approval.id}`)).body.status).toBe("pending");
  });

  it("approve records the decision; repeating it is a no-op; another decision afterwards is a 422", async () => {
    const { company } = await setup();
    const approval = await request(company.id, { type: "request_board_approval", payload: {} });
    const approved = await t.current.post(`/api/approvals/${approval.id}/approve`, { decisionNote: "go ahead" });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: "approved",
      decisionNote: "go ahead",
      decidedByUserId: expect.any(String),
      decidedAt: expect.anything(),
    });
    const again = await t.current.post(`/api/approvals/${approval.id}/approve`, { decisionNote: "twice" });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: "approved", decisionNote: "go ahead" });
    const reject = await t.current.post(`/api/approvals/${approval.id}/reject`, {});
    expect(reject.status).toBe(422);
    expect(reject.body.code).toBe("approval_already_decided");
    expect((await t.current.post(`/api/approvals/${approval.id}/request-revision`, {})).status).toBe(422);
    const decided = await t.current.tdb.db.query(
      "SELECT count(*)::int AS n FROM activity_log WHERE entity_id = $1 AND action = 'approval.approved'",
      [approval.id],
    );
    expect(decided[0]).toMatchObject({ n: 1 });
  });

  it("unknown ids are 404s and bad decision bodies 400s; a body is optional", async () => {
    const { company } = await setup();
    for (const action of ["approve", "reject", "request-revision", "resubmit"]) {
      expect((await t.current.post(`/api/approvals/${UNKNOWN}/${action}`, {})).status, action).toBe(404);
    }
    const approval = await request(company.id, { type: "request_board_approval", payload: {} });
    expect((await t.current.post(`/api/approvals/${approval.id}/reject`, { decisionNote: 5 })).status).toBe(400);
    expect((await t.current.post(`/api/approvals/${approval.id}/reject`, { note: "x" })).status).toBe(400);
    const rejected = await t.current.call("POST", `/api/approvals/${approval.id}/reject`);
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: "rejected", decisionNote: null });
  });

  it("revision: request-revision -> resubmit by the requester (new payload) -> pending -> approve", async () => {
    const { company, agent, token } = await setup();
    const stranger = await createAgentKey(t.current, (await createAgent(t.current, company.id)).id);
    const approval = await request(company.id, { type: "approve_ceo_strategy", payload: { plan: "v1" } }, token);
    // Resubmitting a pending approval is a 422.
    expect((await t.current.post(`/api/approvals/${approval.id}/resubmit`, {}, { token })).status).toBe(422);
    const revision = await t.current.post(`/api/approvals/${approval.id}/request-revision`, { decisionNote: "more detail" });
    expect(revision.body).toMatchObject({ status: "revision_requested", decisionNote: "more detail" });
    // Repeating the decision it already has changes nothing (a retried request is not an error).
    expect((await t.current.post(`/api/approvals/${approval.id}/request-revision`, { decisionNote: "again" })).body).toMatchObject({
      status: "revision_requested",
      decisionNote: "more detail",
    });
    expect(
      (await t.current.post(`/api/approvals/${approval.id}/resubmit`, { payload: { plan: "v2" } }, { token: stranger.token })).status,
    ).toBe(403);
    expect((await t.current.post(`/api/approvals/${approval.id}/resubmit`, { payload: "v2" }, { token })).status).toBe(400);
    const resubmitted = await t.current.post(`/api/approvals/${approval.id}/resubmit`, { payload: { plan: "v2" } }, { token });
    expect(resubmitted.status).toBe(200);
    expect(resubmitted.body).toMatchObject({
      status: "pending",
      payload: { plan: "v2" },
      decisionNote: null,
      decidedAt: null,
      requestedByAgentId: agent.id,
    });
    expect((await t.current.post(`/api/approvals/${approval.id}/approve`, {})).body.status).toBe("approved");
  });
});

describe("comments", () => {
  it("the board and the requesting agent comment; another agent may read but not comment", async () => {
    const { company, agent, token } = await setup();
    const stranger = await createAgentKey(t.current, (await createAgent(t.current, company.id)).id);
    const approval = await request(company.id, { type: "request_board_approval", payload: {} }, token);
    const url = `/api/approvals/${approval.id}/comments`;
    const mine = await t.current.post(url, { body: "please decide" }, { token });
    expect(mine.status).toBe(201);
    expect(mine.body).toMatchObject({
      approvalId: approval.id,
      companyId: company.id,
      authorAgentId: agent.id,
      authorUserId: null,
      body: "please decide",
    });
    const board = await t.current.post(url, { body: "looking" });
    expect(board.body).toMatchObject({ authorAgentId: null, authorUserId: expect.any(String) });
    expect((await t.current.post(url, { body: "me too" }, { token: stranger.token })).status).toBe(403);
    expect((await t.current.post(url, { body: "   " })).status).toBe(400);
    expect((await t.current.post(url, {})).status).toBe(400);
    expect((await t.current.post(`/api/approvals/${UNKNOWN}/comments`, { body: "x" })).status).toBe(404);
    const list = await t.current.get(url, { token: stranger.token });
    expect(list.body.map((c: { body: string }) => c.body)).toEqual(["please decide", "looking"]);
  });
});

describe("issue links", () => {
  it("the board or a canCreateAgents agent links and unlinks; other agents get 403", async () => {
    const { company, token } = await setup();
    const manager = await createAgent(t.current, company.id, { permissions: { canCreateAgents: true } });
    const managerKey = await createAgentKey(t.current, manager.id);
    const issue = await createIssue(t.current, company.id);
    const approval = await request(company.id, { type: "request_board_approval", payload: {} });
    const url = `/api/issues/${issue.id}/approvals`;
    expect((await t.current.post(url, { approvalId: approval.id }, { token })).status).toBe(403);
    const linked = await t.current.post(url, { approvalId: approval.id }, { token: managerKey.token });
    expect(linked.status).toBe(201);
    expect(linked.body.map((a: { id: string }) => a.id)).toEqual([approval.id]);
    expect((await t.current.post(url, { approvalId: approval.id })).status).toBe(201); // linking twice keeps one link
    expect((await t.current.get(`/api/approvals/${approval.id}/issues`)).body).toHaveLength(1);
    expect((await t.current.del(`${url}/${approval.id}`, { token })).status).toBe(403);
    expect((await t.current.del(`${url}/${approval.id}`)).body).toEqual({ ok: true });
    expect((await t.current.get(url)).body).toEqual([]);
    expect((await t.current.del(`${url}/${approval.id}`)).status).toBe(200);
  });

  it("unknown issue or approval -> 404, bad body -> 400, linking across companies -> 422", async () => {
    const { company } = await setup();
    const other = await setup();
    const issue = await createIssue(t.current, company.id);
    const foreign = await request(other.company.id, { type: "request_board_approval", payload: {} });
    expect((await t.current.post(`/api/issues/${UNKNOWN}/approvals`, { approvalId: foreign.id })).status).toBe(404);
    expect((await t.current.get(`/api/issues/${UNKNOWN}/approvals`)).status).toBe(404);
    expect((await t.current.post(`/api/issues/${issue.id}/approvals`, { approvalId: UNKNOWN })).status).toBe(404);
    expect((await t.current.post(`/api/issues/${issue.id}/approvals`, { approvalId: "nope" })).status).toBe(400);
    expect((await t.current.post(`/api/issues/${issue.id}/approvals`, {})).status).toBe(400);
    // The board sees both companies: linking across them is a rule violation.
    expect((await t.current.post(`/api/issues/${issue.id}/approvals`, { approvalId: foreign.id })).status).toBe(422);
    expect((await t.current.del(`/api/issues/${issue.id}/approvals/${UNKNOWN}`)).status).toBe(404);
  });
});

describe("budget override approvals", () => {
  async function hardStop() {
    const { company, agent } = await setup();
    expect(
      (await t.current.post(`/api/companies/${company.id}/budgets/policies`, { scopeType: "agent", scopeId: agent.id, amount: 100 }))
        .status,
    ).toBe(201);
    expect((await t.current.post(`/api/companies/${company.id}/cost-events`, { agentId: agent.id, costCents: 150 })).status).toBe(201);
    const [approval] = (await t.current.get(`/api/companies/${company.id}/approvals?status=pending`)).body;
    expect(approval).toMatchObject({
      type: "budget_override_required",
      requestedByAgentId: null,
      payload: { scopeType: "agent", scopeId: agent.id },
    });
    expect((await t.current.get(`/api/agents/${agent.id}`)).body).toMatchObject({ status: "paused", pauseReason: "budget" });
    expect((await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand" })).status).toBe(409);
    return { company, agent, approval: approval as { id: string } };
  }
  const incident = async (companyId: string) =>
    (await t.current.get(`/api/companies/${companyId}/budgets/incidents`)).body.find((i: any) => i.thresholdType === "hard");

  it("approving resolves the incident, resumes the agent and lifts the stop for the window", async () => {
    const { company, agent, approval } = await hardStop();
    const res = await t.current.post(`/api/approvals/${approval.id}/approve`, { decisionNote: "one more month" });
    expect(res.body.status).toBe("approved");
    expect(await incident(company.id)).toMatchObject({ status: "resolved", approvalId: approval.id });
    expect((await t.current.get(`/api/agents/${agent.id}`)).body).toMatchObject({ status: "idle", pauseReason: null });
    expect((await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand" })).status).toBe(202);
    // More spend in the same window fires no second stop.
    expect((await t.current.post(`/api/companies/${company.id}/cost-events`, { agentId: agent.id, costCents: 50 })).status).toBe(201);
    expect((await t.current.get(`/api/agents/${agent.id}`)).body.status).not.toBe("paused");
  });

  it("rejecting dismisses the incident and the agent stays paused", async () => {
    const { company, agent, approval } = await hardStop();
    expect((await t.current.post(`/api/approvals/${approval.id}/reject`, {})).body.status).toBe("rejected");
    expect(await incident(company.id)).toMatchObject({ status: "dismissed" });
    expect((await t.current.get(`/api/agents/${agent.id}`)).body).toMatchObject({ status: "paused", pauseReason: "budget" });
    expect((await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand" })).status).toBe(409);
  });
});
