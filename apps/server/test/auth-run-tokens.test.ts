import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signAgentJwt } from "../src/auth/agent-jwt.js";
import { TEST_JWT_SECRET, useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { authKit, UNKNOWN_UUID } from "./helpers/auth-kit.js";

/** Run identity: X-Paperclip-Run-Id beside an API key, and the run-scoped JWTs a run's agent gets. */
const t = useTestApp();
const { agentWithKey, activity } = authKit(t);

async function insertRun(companyId: string, agentId: string, status = "running"): Promise<string> {
  const [row] = await t.current.tdb.db.query<{ id: string }>(
    "INSERT INTO heartbeat_runs (company_id, agent_id, status) VALUES ($1, $2, $3) RETURNING id",
    [companyId, agentId, status],
  );
  return row!.id;
}

function jwtFor(agent: { id: string; companyId: string }, runId: string, opts: { secret?: string; ttl?: number; nowMs?: number } = {}) {
  return signAgentJwt(
    { agentId: agent.id, companyId: agent.companyId, adapterType: "process", runId },
    opts.secret ?? TEST_JWT_SECRET,
    opts.ttl ?? 3600,
    opts.nowMs,
  );
}

/** A token with arbitrary claims, correctly signed with the test secret. */
function forgeJwt(payload: Record<string, unknown>, secret = TEST_JWT_SECRET) {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const body = `${enc({ alg: "HS256", typ: "JWT" })}.${enc(payload)}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

function claimsFor(agent: { id: string; companyId: string }, runId: string, overrides: Record<string, unknown> = {}) {
  const iat = Math.floor(Date.now() / 1000);
  return {
    sub: agent.id,
    company_id: agent.companyId,
    adapter_type: "process",
    run_id: runId,
    iat,
    exp: iat + 3600,
    iss: "paperclip",
    aud: "paperclip-api",
    ...overrides,
  };
}

describe("X-Paperclip-Run-Id with API keys", () => {
  it("a run id that is not a uuid -> 400, for agents and the board alike", async () => {
    const { token } = await agentWithKey();
    for (const options of [{ token, runId: "not-a-uuid" }, { runId: "not-a-uuid" }, { token, runId: "123" }]) {
      const res = await t.current.get("/api/companies", options);
      expect(res.status, JSON.stringify(options)).toBe(400);
    }
  });

  it("a run of another agent -> 403; an unknown run -> 403", async () => {
    const { company, token } = await agentWithKey();
    const other = await createAgent(t.current, company.id);
    const foreignRun = await insertRun(company.id, other.id);
    const res = await t.current.get("/api/agents/me", { token, runId: foreignRun });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("run_not_owned");
    expect((await t.current.get("/api/agents/me", { token, runId: UNKNOWN_UUID })).status).toBe(403);
  });

  it("a finished run of its own -> 409 run_not_live: no checkout lock or write is stamped with a dead run (D12)", async () => {
    const { company, agent, token } = await agentWithKey();
    const issue = await createIssue(t.current, company.id, { assigneeAgentId: agent.id, status: "todo" });
    for (const status of ["succeeded", "failed", "cancelled", "timed_out"]) {
      const runId = await insertRun(company.id, agent.id, status);
      const checkout = await t.current.post(
        `/api/issues/${issue.id}/checkout`,
        { agentId: agent.id, expectedStatuses: ["todo"] },
        { token, runId },
      );
      expect(checkout.status, status).toBe(409);
      expect(checkout.body.code).toBe("run_not_live");
      const comment = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "stale" }, { token, runId });
      expect(comment.status).toBe(409);
    }
    const [row] = await t.current.tdb.db.query<{ executionRunId: string | null; status: string }>(
      "SELECT execution_run_id, status FROM issues WHERE id = $1",
      [issue.id],
    );
    expect(row).toEqual({ executionRunId: null, status: "todo" });
  });

  it("its own run is accepted and stamps the run on writes", async () => {
    const { company, agent, token } = await agentWithKey();
    const runId = await insertRun(company.id, agent.id);
    expect((await t.current.get("/api/agents/me", { token, runId })).status).toBe(200);
    const issue = await createIssue(t.current, company.id);
    const comment = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "from a run" }, { token, runId });
    expect(comment.status).toBe(201);
    expect(comment.body).toMatchObject({ authorAgentId: agent.id, authorType: "agent", createdByRunId: runId });
    const row = (await activity(company.id)).find((r) => r.action === "issue.comment_added" && r.details?.commentId === comment.body.id);
    expect(row).toMatchObject({ actorType: "agent", actorId: agent.id, agentId: agent.id, runId });
  });
});

describe("run-scoped JWTs", () => {
  async function jwtSetup(status = "running") {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const runId = await insertRun(company.id, agent.id, status);
    return { company, agent, runId, jwt: jwtFor(agent, runId) };
  }

  it("a JWT for a running run authenticates as its agent", async () => {
    const { agent, jwt } = await jwtSetup();
    const res = await t.current.get("/api/agents/me", { token: jwt });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(agent.id);
  });

  it("queued and scheduled_retry runs are alive too", async () => {
    for (const status of ["queued", "scheduled_retry"]) {
      const { jwt } = await jwtSetup(status);
      expect((await t.current.get("/api/agents/me", { token: jwt })).status, status).toBe(200);
    }
  });

  it("a matching X-Paperclip-Run-Id header is accepted", async () => {
    const { runId, jwt } = await jwtSetup();
    expect((await t.current.get("/api/agents/me", { token: jwt, runId })).status).toBe(200);
  });

  it("a different X-Paperclip-Run-Id -> 422 agent_jwt_run_id_mismatch", async () => {
    const { company, agent, jwt } = await jwtSetup();
    const otherRun = await insertRun(company.id, agent.id);
    for (const runId of [otherRun, UNKNOWN_UUID]) {
      const res = await t.current.get("/api/agents/me", { token: jwt, runId });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe("agent_jwt_run_id_mismatch");
    }
  });

  it("wrong signature, expired, wrong audience or issuer -> 401", async () => {
    const { agent, runId } = await jwtSetup();
    const tokens: Array<[string, string]> = [
      ["other secret", jwtFor(agent, runId, { secret: "not-the-server-secret" })],
      ["expired", jwtFor(agent, runId, { ttl: 60, nowMs: Date.now() - 2 * 3600_000 })],
      ["wrong audience", forgeJwt(claimsFor(agent, runId, { aud: "someone-else" }))],
      ["wrong issuer", forgeJwt(claimsFor(agent, runId, { iss: "evil" }))],
      [
        "tampered payload",
        (() => {
          const [h, , s] = jwtFor(agent, runId).split(".");
          const p = Buffer.from(JSON.stringify(claimsFor(agent, runId, { exp: 4_000_000_000 }))).toString("base64url");
          return `${h}.${p}.${s}`;
        })(),
      ],
      [
        "alg none",
        (() => {
          const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
          return `${enc({ alg: "none", typ: "JWT" })}.${enc(claimsFor(agent, runId))}.x`;
        })(),
      ],
    ];
    for (const [label, token] of tokens) {
      const res = await t.current.get("/api/agents/me", { token });
      expect(res.status, label).toBe(401);
      expect(res.body.code, label).toBe("invalid_agent_jwt");
    }
  });

  it("the run must exist, belong to the agent, and the company claim must match", async () => {
    const { company, agent, runId } = await jwtSetup();
    const peer = await createAgent(t.current, company.id);
    const peerRun = await insertRun(company.id, peer.id);
    const other = await createCompany(t.current);
    const cases: Array<[string, string]> = [
      ["unknown run", jwtFor(agent, UNKNOWN_UUID)],
      ["another agent's run", jwtFor(agent, peerRun)],
      ["company claim of another company", forgeJwt(claimsFor(agent, runId, { company_id: other.id }))],
      ["unknown agent", forgeJwt(claimsFor({ id: UNKNOWN_UUID, companyId: company.id }, runId))],
      ["agent id that is not a uuid", forgeJwt(claimsFor({ id: "not-a-uuid", companyId: company.id }, runId))],
      ["run id that is not a uuid", forgeJwt(claimsFor(agent, "not-a-uuid"))],
      ["company id that is not a uuid", forgeJwt(claimsFor({ id: agent.id, companyId: "not-a-uuid" }, runId))],
    ];
    for (const [label, token] of cases) {
      const res = await t.current.get("/api/agents/me", { token });
      expect(res.status, label).toBe(401);
      expect(res.body.code, label).toBe("invalid_agent_jwt");
    }
  });

  it.each(["succeeded", "failed", "cancelled", "timed_out"])("a JWT whose run is %s -> 401", async (status) => {
    const { jwt } = await jwtSetup(status);
    const res = await t.current.get("/api/agents/me", { token: jwt });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("agent_run_finished");
  });

  it("the token dies when its run finishes", async () => {
    const { runId, jwt } = await jwtSetup();
    expect((await t.current.get("/api/agents/me", { token: jwt })).status).toBe(200);
    await t.current.tdb.db.query("UPDATE heartbeat_runs SET status = 'succeeded', finished_at = now() WHERE id = $1", [runId]);
    expect((await t.current.get("/api/agents/me", { token: jwt })).status).toBe(401);
  });

  it("a terminated agent's JWT -> 401", async () => {
    const { agent, jwt } = await jwtSetup();
    await t.current.post(`/api/agents/${agent.id}/terminate`);
    expect((await t.current.get("/api/agents/me", { token: jwt })).status).toBe(401);
  });

  it("a JWT agent is confined to its company and to agent permissions", async () => {
    const { agent, jwt } = await jwtSetup();
    const other = await createCompany(t.current);
    expect((await t.current.get(`/api/companies/${other.id}/issues`, { token: jwt })).status).toBe(403);
    expect((await t.current.post("/api/companies", { name: "JWT Co" }, { token: jwt })).status).toBe(403);
    expect((await t.current.post(`/api/agents/${agent.id}/pause`, undefined, { token: jwt })).status).toBe(403);
    const list = await t.current.get("/api/companies", { token: jwt });
    expect(list.body.map((c: { id: string }) => c.id)).toEqual([agent.companyId]);
  });

  it("writes by a JWT agent carry the run id of the claim", async () => {
    const { company, agent, runId, jwt } = await jwtSetup();
    const issue = await createIssue(t.current, company.id);
    const comment = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "working on it" }, { token: jwt });
    expect(comment.status).toBe(201);
    expect(comment.body).toMatchObject({ authorAgentId: agent.id, authorType: "agent", createdByRunId: runId });

    const created = await createIssue(t.current, company.id, { title: "follow-up" }, jwt);
    expect(created.createdByAgentId).toBe(agent.id);

    const rows = await activity(company.id);
    const commentRow = rows.find((r) => r.action === "issue.comment_added" && r.details?.commentId === comment.body.id);
    expect(commentRow).toMatchObject({ actorType: "agent", actorId: agent.id, agentId: agent.id, runId });
    const createRow = rows.find((r) => r.action === "issue.created" && r.entityId === created.id);
    expect(createRow).toMatchObject({ actorType: "agent", actorId: agent.id, runId });
    // Board writes in the same company carry no run.
    await t.current.post(`/api/issues/${issue.id}/comments`, { body: "board here" });
    const boardRow = (await activity(company.id)).find((r) => r.action === "issue.comment_added" && r.actorType === "user");
    expect(boardRow).toMatchObject({ actorId: "local-board", runId: null, agentId: null });
  });
});
