import { createHmac, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestApp, type TestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import { allRoutes } from "../src/http/routes/index.js";
import type { AnyRoute } from "../src/http/route.js";

/**
 * Every route's success answers are declared (a zod schema from @staple/contracts, or a non-JSON
 * content type), and the declared schema is what the handler really answers: representative routes
 * of every route file are called on a real app and their bodies parsed with the declared schema.
 * The schemas are used as declared (plain objects strip unknown keys, so a renamed field fails as
 * the missing old one).
 */

const routeFiles = import.meta.glob<Record<string, unknown>>("../src/http/routes/*.ts", { eager: true });
const isRoute = (v: unknown): v is AnyRoute => typeof v === "object" && v !== null && "method" in v && "path" in v && "responses" in v;
/** Route file name -> its routes (every exported array of routes). */
const routesByFile = new Map<string, AnyRoute[]>(
  Object.entries(routeFiles)
    .map(
      ([file, mod]) => [file.replace(/^.*\//, ""), Object.values(mod).flatMap((v) => (Array.isArray(v) ? v.filter(isRoute) : []))] as const,
    )
    .filter(([file, routes]) => file !== "index.ts" && routes.length > 0),
);
const key = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;

describe("every route declares its success answers", () => {
  it("each route has a 2xx/3xx answer, and each 2xx answer a schema (JSON) or a content type (not JSON)", () => {
    expect(allRoutes.length).toBeGreaterThan(100);
    const missing: string[] = [];
    for (const route of allRoutes) {
      const success = Object.entries(route.responses).filter(([status]) => Number(status) >= 200 && Number(status) < 400);
      if (success.length === 0) missing.push(`${key(route)}: no success answer declared`);
      for (const [status, spec] of success) {
        if (Number(status) >= 300) continue; // a redirect has no body
        if (!spec.schema && !spec.contentType)
          missing.push(`${key(route)} ${status}: add a schema from @staple/contracts (or contentType for a body that is not JSON)`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("the route table is every route of every route file", () => {
    const inFiles = [...routesByFile.values()].flat().map(key).sort();
    expect(allRoutes.map(key).sort()).toEqual(inFiles);
  });

  it("the OpenAPI document names the success schemas as components", async () => {
    const { buildOpenApi } = await import("../src/http/openapi.js");
    const doc = buildOpenApi(allRoutes, "test") as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
      components: { schemas: Record<string, unknown> };
    };
    for (const route of allRoutes) {
      const op = doc.paths[route.path.replace(/:([A-Za-z]+)/g, "{$1}")]![route.method]!;
      for (const [status, spec] of Object.entries(route.responses)) {
        if (spec.schema || spec.contentType) expect(op.responses[status]!.content, `${key(route)} ${status}`).toBeDefined();
      }
    }
    for (const name of [
      "Issue",
      "HeartbeatRun",
      "BudgetPolicy",
      "CostSummary",
      "TreeHold",
      "OutboundSettings",
      "AgentRuntimeState",
      "IssueRunView",
      "LiveEvent",
    ]) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
  });
});

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app?.tdb.drop();
});

const exercised = new Set<string>();

/**
 * Calls a route of the table and parses the answer with the schema it declares for that status.
 * `template` names the route (method + path as declared); `path` is the concrete URL.
 */
async function call(
  method: string,
  template: string,
  path: string,
  options: { body?: unknown; token?: string; runId?: string; expectStatus?: number } = {},
) {
  const route = allRoutes.find((r) => r.method === method && r.path === template);
  expect(route, `no route ${method} ${template}`).toBeDefined();
  const res = await app.call(method, path, { body: options.body, token: options.token, runId: options.runId });
  const context = `${method.toUpperCase()} ${path} -> ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`;
  if (options.expectStatus !== undefined) expect(res.status, context).toBe(options.expectStatus);
  expect(res.status, context).toBeGreaterThanOrEqual(200);
  expect(res.status, context).toBeLessThan(300);
  const spec = route!.responses[res.status];
  expect(spec?.schema, `${context}: no schema declared for ${res.status}`).toBeDefined();
  const parsed = spec!.schema!.safeParse(res.body);
  expect(parsed.success ? "ok" : `${context}\n${z.prettifyError(parsed.error)}`).toBe("ok");
  exercised.add(key(route!));
  return res.body;
}
const get = (template: string, path = template, options?: Parameters<typeof call>[3]) => call("get", template, path, options);
const post = (template: string, path: string, body?: unknown, options?: Parameters<typeof call>[3]) =>
  call("post", template, path, { ...options, body });
const patch = (template: string, path: string, body?: unknown, options?: Parameters<typeof call>[3]) =>
  call("patch", template, path, { ...options, body });
const put = (template: string, path: string, body?: unknown, options?: Parameters<typeof call>[3]) =>
  call("put", template, path, { ...options, body });
const del = (template: string, path: string, options?: Parameters<typeof call>[3]) => call("delete", template, path, options);

describe("answers parse with the declared schemas", () => {
  let companyId: string;
  let agentId: string;
  let agentToken: string;
  let issueId: string;
  let runId: string;

  beforeAll(async () => {
    const company = await createCompany(app, { budgetMonthlyCents: 10_000 });
    companyId = company.id;
    const agent = await createAgent(app, companyId);
    agentId = agent.id;
    agentToken = (await createAgentKey(app, agentId)).token;
    issueId = (await createIssue(app, companyId, { assigneeAgentId: agentId, status: "todo" })).id;
    // The assignment queued a run (the engine is not started here, so it stays queued).
    const [run] = await app.tdb.db.query<{ id: string }>("SELECT id FROM heartbeat_runs WHERE agent_id = $1 ORDER BY created_at LIMIT 1", [
      agentId,
    ]);
    expect(run, "the assignment queued a run").toBeDefined();
    runId = run!.id;
  });

  it("health, companies, dashboard, activity", async () => {
    await get("/api/health");
    await get("/api/companies");
    await get("/api/companies/:companyId", `/api/companies/${companyId}`);
    await patch("/api/companies/:companyId", `/api/companies/${companyId}`, { description: "contracts" });
    await get("/api/companies/:companyId/dashboard", `/api/companies/${companyId}/dashboard`);
    await get("/api/companies/:companyId/activity", `/api/companies/${companyId}/activity`);
    const other = await createCompany(app);
    await post("/api/companies/:companyId/archive", `/api/companies/${other.id}/archive`);
  });

  it("agents, keys, configuration, config revisions", async () => {
    await get("/api/companies/:companyId/agents", `/api/companies/${companyId}/agents`);
    await get("/api/companies/:companyId/org", `/api/companies/${companyId}/org`);
    await get("/api/agents/:id", `/api/agents/${agentId}`);
    await get("/api/agents/me", "/api/agents/me", { token: agentToken });
    await get("/api/agents/:id/configuration", `/api/agents/${agentId}/configuration`);
    await patch("/api/agents/:id", `/api/agents/${agentId}`, { title: "Contract checker" });
    await get("/api/agents/:id/keys", `/api/agents/${agentId}/keys`);
    const revisions = (await get("/api/agents/:id/config-revisions", `/api/agents/${agentId}/config-revisions`)) as { id: string }[];
    expect(revisions.length).toBeGreaterThan(0);
    await get("/api/agents/:id/config-revisions/:revisionId", `/api/agents/${agentId}/config-revisions/${revisions[0]!.id}`);
    const spare = await createAgent(app, companyId);
    const key = (await post("/api/agents/:id/keys", `/api/agents/${spare.id}/keys`, { name: "spare" })) as { id: string };
    await del("/api/agents/:id/keys/:keyId", `/api/agents/${spare.id}/keys/${key.id}`);
    await post("/api/agents/:id/pause", `/api/agents/${spare.id}/pause`);
  });

  it("issues, comments, activity, heartbeat context, inbox", async () => {
    await get("/api/companies/:companyId/issues", `/api/companies/${companyId}/issues`);
    await get("/api/issues/:id", `/api/issues/${issueId}`);
    await patch("/api/issues/:id", `/api/issues/${issueId}`, { priority: "high", comment: "bumped" });
    const comment = (await post("/api/issues/:id/comments", `/api/issues/${issueId}/comments`, { body: "hello" })) as { id: string };
    await get("/api/issues/:id/comments", `/api/issues/${issueId}/comments`);
    await get("/api/issues/:id/comments/:commentId", `/api/issues/${issueId}/comments/${comment.id}`);
    await get("/api/issues/:id/activity", `/api/issues/${issueId}/activity`);
    await get("/api/issues/:id/heartbeat-context", `/api/issues/${issueId}/heartbeat-context`, { token: agentToken });
    await get("/api/agents/me/inbox-lite", "/api/agents/me/inbox-lite", { token: agentToken });
    await get("/api/agents/me/inbox/mine", "/api/agents/me/inbox/mine?userId=local-board", { token: agentToken });
    await post("/api/issues/:id/inbox-archive", `/api/issues/${issueId}/inbox-archive`, { userId: "local-board" });
    await del("/api/issues/:id/inbox-archive", `/api/issues/${issueId}/inbox-archive`); // the removed archive
    await del("/api/issues/:id/inbox-archive", `/api/issues/${issueId}/inbox-archive`); // none left: {ok, userId}
    const doomed = await createIssue(app, companyId);
    await del("/api/issues/:id", `/api/issues/${doomed.id}`);
  });

  it("board inbox: items, count, read, archive and undo", async () => {
    const inboxIssue = await createIssue(app, companyId, { title: "inbox contract" });
    await app.tdb.db.query(
      "INSERT INTO heartbeat_runs (company_id, agent_id, status, issue_id, finished_at) VALUES ($1, $2, 'failed', $3, now())",
      [companyId, agentId, inboxIssue.id],
    );
    const list = (await get("/api/companies/:companyId/inbox", `/api/companies/${companyId}/inbox`)) as { items: { key: string }[] };
    expect(list.items.length).toBeGreaterThan(0);
    const itemKeys = [`run:${inboxIssue.id}`];
    await get("/api/companies/:companyId/inbox/count", `/api/companies/${companyId}/inbox/count`);
    for (const op of ["read", "unread", "archive", "unarchive"]) {
      await post(`/api/companies/:companyId/inbox/${op}`, `/api/companies/${companyId}/inbox/${op}`, { itemKeys });
    }
    await post("/api/companies/:companyId/inbox-dismissals", `/api/companies/${companyId}/inbox-dismissals`, { itemKey: itemKeys[0] });
    await get("/api/companies/:companyId/inbox-dismissals", `/api/companies/${companyId}/inbox-dismissals`);
    await del(
      "/api/companies/:companyId/inbox-dismissals/:itemKey",
      `/api/companies/${companyId}/inbox-dismissals/${encodeURIComponent(itemKeys[0]!)}`,
    );
  });

  it("documents and work products", async () => {
    await put(
      "/api/issues/:id/documents/:key",
      `/api/issues/${issueId}/documents/plan`,
      { title: "Plan", format: "markdown", body: "# Plan" },
      { expectStatus: 201 },
    );
    await put(
      "/api/issues/:id/documents/:key",
      `/api/issues/${issueId}/documents/plan`,
      { title: "Plan", format: "markdown", body: "# Plan v2" },
      { expectStatus: 200 },
    );
    await get("/api/issues/:id/documents", `/api/issues/${issueId}/documents`);
    await get("/api/issues/:id/documents/:key", `/api/issues/${issueId}/documents/plan`);
    await get("/api/issues/:id/documents/:key/revisions", `/api/issues/${issueId}/documents/plan/revisions`);
    await post("/api/issues/:id/work-products", `/api/issues/${issueId}/work-products`, {
      type: "pull_request",
      provider: "git",
      title: "PR 1",
    });
    await get("/api/issues/:id/work-products", `/api/issues/${issueId}/work-products`);
    await del("/api/issues/:id/documents/:key", `/api/issues/${issueId}/documents/plan`);
  });

  it("goals, projects, workspaces", async () => {
    const goal = (await post("/api/companies/:companyId/goals", `/api/companies/${companyId}/goals`, { title: "Ship" })) as { id: string };
    await get("/api/goals/:id", `/api/goals/${goal.id}`);
    await get("/api/companies/:companyId/goals", `/api/companies/${companyId}/goals`);
    const project = (await post("/api/companies/:companyId/projects", `/api/companies/${companyId}/projects`, { name: "Contracts" })) as {
      id: string;
    };
    await get("/api/projects/:id", `/api/projects/${project.id}`);
    await get("/api/projects/:id/workspaces", `/api/projects/${project.id}/workspaces`);
    await del("/api/projects/:id", `/api/projects/${project.id}`);
  });

  it("runs: wake, lists, one run, events, issues, issue views, runtime state, cancel", async () => {
    await post("/api/agents/:id/wakeup", `/api/agents/${agentId}/wakeup`, { reason: "contracts" }, { expectStatus: 202 });
    await get("/api/companies/:companyId/heartbeat-runs", `/api/companies/${companyId}/heartbeat-runs`);
    await get("/api/companies/:companyId/heartbeat-runs", `/api/companies/${companyId}/heartbeat-runs?summary=true`);
    await get("/api/companies/:companyId/live-runs", `/api/companies/${companyId}/live-runs`);
    await get("/api/heartbeat-runs/:id", `/api/heartbeat-runs/${runId}`);
    await get("/api/heartbeat-runs/:id/events", `/api/heartbeat-runs/${runId}/events`);
    const issues = (await get("/api/heartbeat-runs/:id/issues", `/api/heartbeat-runs/${runId}/issues`)) as unknown[];
    expect(issues.length).toBe(1);
    const runs = (await get("/api/issues/:id/runs", `/api/issues/${issueId}/runs`)) as unknown[];
    expect(runs.length).toBeGreaterThan(0);
    const live = (await get("/api/issues/:id/live-runs", `/api/issues/${issueId}/live-runs`)) as unknown[];
    expect(live.length).toBeGreaterThan(0);
    await get("/api/issues/:id/active-run", `/api/issues/${issueId}/active-run`);
    await get("/api/agents/:id/runtime-state", `/api/agents/${agentId}/runtime-state`);
    await get("/api/agents/:id/task-sessions", `/api/agents/${agentId}/task-sessions`);
    await post("/api/heartbeat-runs/:id/cancel", `/api/heartbeat-runs/${runId}/cancel`);
  });

  it("runtime state and task sessions with stored rows", async () => {
    await app.tdb.db.query(
      `INSERT INTO agent_runtime_state (agent_id, company_id, adapter_type, total_input_tokens, total_output_tokens, total_cached_input_tokens, total_cost_cents, total_runs)
       VALUES ($1, $2, 'process', 10, 20, 5, 7, 1) ON CONFLICT (agent_id) DO NOTHING`,
      [agentId, companyId],
    );
    await app.tdb.db.query(
      `INSERT INTO agent_task_sessions (company_id, agent_id, adapter_type, task_key, session_params_json) VALUES ($1, $2, 'process', $3, '{"sessionId":"s1"}')`,
      [companyId, agentId, `issue:${issueId}`],
    );
    const state = (await get("/api/agents/:id/runtime-state", `/api/agents/${agentId}/runtime-state`)) as { totalRuns: number };
    expect(state.totalRuns).toBe(1);
    const sessions = (await get("/api/agents/:id/task-sessions", `/api/agents/${agentId}/task-sessions`)) as unknown[];
    expect(sessions.length).toBe(1);
  });

  it("issue execution: checkout, release, tree holds, force release", async () => {
    const issue = await createIssue(app, companyId);
    const hold = (await post("/api/issues/:id/tree-holds", `/api/issues/${issue.id}/tree-holds`, { mode: "pause" })) as { id: string };
    await get("/api/issues/:id/tree-holds", `/api/issues/${issue.id}/tree-holds`);
    await post("/api/issues/:id/tree-holds/:holdId/release", `/api/issues/${issue.id}/tree-holds/${hold.id}/release`, {});
    await post("/api/issues/:id/checkout", `/api/issues/${issue.id}/checkout`, { agentId, expectedStatuses: ["todo", "backlog"] });
    await post("/api/issues/:id/admin/force-release", `/api/issues/${issue.id}/admin/force-release`);
    await post("/api/issues/:id/release", `/api/issues/${issue.id}/release`);
  });

  it("budgets and costs", async () => {
    await post("/api/companies/:companyId/budgets/policies", `/api/companies/${companyId}/budgets/policies`, {
      scopeType: "agent",
      scopeId: agentId,
      amount: 100,
    });
    await get("/api/companies/:companyId/budgets/policies", `/api/companies/${companyId}/budgets/policies`);
    await post("/api/companies/:companyId/cost-events", `/api/companies/${companyId}/cost-events`, {
      agentId,
      costCents: 150,
      model: "m1",
      inputTokens: 3,
    });
    // The cost went over the agent's policy: a hard-stop incident.
    const incidents = (await get(
      "/api/companies/:companyId/budgets/incidents",
      `/api/companies/${companyId}/budgets/incidents`,
    )) as unknown[];
    expect(incidents.length).toBeGreaterThan(0);
    await get("/api/companies/:companyId/costs/summary", `/api/companies/${companyId}/costs/summary`);
    await get("/api/companies/:companyId/costs/by-agent", `/api/companies/${companyId}/costs/by-agent`);
    await get("/api/companies/:companyId/costs/by-project", `/api/companies/${companyId}/costs/by-project`);
    await get("/api/companies/:companyId/costs/by-agent-model", `/api/companies/${companyId}/costs/by-agent-model`);
    await get("/api/companies/:companyId/costs/by-day", `/api/companies/${companyId}/costs/by-day`);
    await get("/api/heartbeat-runs/:id/cost-summary", `/api/heartbeat-runs/${runId}/cost-summary`);
  });

  it("adapters and instance settings", async () => {
    await post(
      "/api/companies/:companyId/adapters/:type/test-environment",
      `/api/companies/${companyId}/adapters/process/test-environment`,
      { adapterConfig: { command: "/bin/true" } },
    );
    for (const type of ["process", "claude_local", "codex_local"]) {
      await get("/api/companies/:companyId/adapters/:type/models", `/api/companies/${companyId}/adapters/${type}/models`);
    }
    await get("/api/instance/settings/outbound");
    await patch("/api/instance/settings/outbound", "/api/instance/settings/outbound", { allow: ["127.0.0.1:9"] });
    await patch("/api/instance/settings/outbound", "/api/instance/settings/outbound", { allow: [] });
    const skill = await app.get("/api/skill");
    expect(skill.status).toBe(200);
    expect(typeof skill.body).toBe("string");
    exercised.add("GET /api/skill");
  });

  it("board access", async () => {
    await get("/api/board-api-keys");
    const created = (await post("/api/board-api-keys", "/api/board-api-keys", { name: "contracts" })) as { id: string };
    await del("/api/board-api-keys/:keyId", `/api/board-api-keys/${created.id}`);
    await post("/api/board/login-links", "/api/board/login-links", {});
    await get("/api/auth/get-session");
    await get("/api/cli-auth/me");
  });

  it("auth, members, invites, CLI sign-in", async () => {
    await get("/api/auth/status");
    await get("/api/auth/me");
    await get("/api/companies/:companyId/members", `/api/companies/${companyId}/members`);
    const invite = (await post("/api/companies/:companyId/invites", `/api/companies/${companyId}/invites`, { role: "viewer" })) as {
      id: string;
      token: string;
    };
    await get("/api/companies/:companyId/invites", `/api/companies/${companyId}/invites`);
    await get("/api/invites/:token", `/api/invites/${invite.token}`);
    await post("/api/invites/:inviteId/revoke", `/api/invites/${invite.id}/revoke`, {});
    await get("/api/companies/:companyId/join-requests", `/api/companies/${companyId}/join-requests`);
    const challenge = (await post("/api/cli-auth/challenges", "/api/cli-auth/challenges", { command: "staple login" })) as {
      id: string;
      token: string;
    };
    await get("/api/cli-auth/challenges/:id", `/api/cli-auth/challenges/${challenge.id}?token=${challenge.token}`);
    await post("/api/cli-auth/challenges/:id/approve", `/api/cli-auth/challenges/${challenge.id}/approve`, { token: challenge.token });
  });

  it("approvals and hiring", async () => {
    const approval = (await post("/api/companies/:companyId/approvals", `/api/companies/${companyId}/approvals`, {
      type: "request_board_approval",
      payload: { summary: "contracts" },
      issueIds: [issueId],
    })) as { id: string };
    await get("/api/companies/:companyId/approvals", `/api/companies/${companyId}/approvals`);
    await get("/api/approvals/:id", `/api/approvals/${approval.id}`);
    const linked = (await get("/api/approvals/:id/issues", `/api/approvals/${approval.id}/issues`)) as unknown[];
    expect(linked.length).toBe(1);
    await post("/api/approvals/:id/comments", `/api/approvals/${approval.id}/comments`, { body: "looks fine" });
    await get("/api/approvals/:id/comments", `/api/approvals/${approval.id}/comments`);
    await get("/api/issues/:id/approvals", `/api/issues/${issueId}/approvals`);
    await post("/api/approvals/:id/request-revision", `/api/approvals/${approval.id}/request-revision`, {});
    await post("/api/approvals/:id/resubmit", `/api/approvals/${approval.id}/resubmit`, {});
    await post("/api/approvals/:id/approve", `/api/approvals/${approval.id}/approve`, {});
    await post("/api/companies/:companyId/agent-hires", `/api/companies/${companyId}/agent-hires`, {
      name: `Hire ${randomBytes(3).toString("hex")}`,
      role: "engineer",
      adapterType: "process",
      adapterConfig: { command: "/bin/true" },
    });
  });

  it("runners", async () => {
    const created = (await post("/api/companies/:companyId/runner-tokens", `/api/companies/${companyId}/runner-tokens`, {
      name: "gpu",
    })) as {
      id: string;
      token: string;
    };
    await get("/api/companies/:companyId/runner-tokens", `/api/companies/${companyId}/runner-tokens`);
    await post("/api/instance/runner-tokens", "/api/instance/runner-tokens", { name: "fleet" });
    const body = { name: "r1", labels: ["gpu"], adapterTypes: ["process"] };
    const runner = (await post("/api/runners/register", "/api/runners/register", body, { token: created.token })) as { id: string };
    await post("/api/runners/:runnerId/heartbeat", `/api/runners/${runner.id}/heartbeat`, { runIds: [] }, { token: created.token });
    await get("/api/companies/:companyId/runners", `/api/companies/${companyId}/runners`);
    await post("/api/runners/:runnerId/drain", `/api/runners/${runner.id}/drain`, {}, { token: created.token });
    await del("/api/runner-tokens/:tokenId", `/api/runner-tokens/${created.id}`);
  });

  it("routines", async () => {
    const assignee = await createAgent(app, companyId);
    const routine = (await post("/api/companies/:companyId/routines", `/api/companies/${companyId}/routines`, {
      title: "Contract routine",
      assigneeAgentId: assignee.id,
    })) as { id: string };
    await get("/api/companies/:companyId/routines", `/api/companies/${companyId}/routines`);
    await get("/api/routines/:routineId", `/api/routines/${routine.id}`);
    await patch("/api/routines/:routineId", `/api/routines/${routine.id}`, { priority: "low" });
    const schedule = (await post("/api/routines/:routineId/triggers", `/api/routines/${routine.id}/triggers`, {
      kind: "schedule",
      cronExpression: "0 9 * * 1",
    })) as { trigger: { id: string } };
    await patch("/api/routine-triggers/:triggerId", `/api/routine-triggers/${schedule.trigger.id}`, { enabled: false });
    await del("/api/routine-triggers/:triggerId", `/api/routine-triggers/${schedule.trigger.id}`);
    const hook = (await post("/api/routines/:routineId/triggers", `/api/routines/${routine.id}/triggers`, { kind: "webhook" })) as {
      trigger: { id: string; publicId: string };
      secretMaterial: { webhookSecret: string };
    };
    const rotated = (await post(
      "/api/routine-triggers/:triggerId/rotate-secret",
      `/api/routine-triggers/${hook.trigger.id}/rotate-secret`,
      {},
    )) as {
      secretMaterial: { webhookSecret: string };
    };
    const timestamp = String(Math.floor(Date.now() / 1000));
    const body = "{}";
    const signature = createHmac("sha256", rotated.secretMaterial.webhookSecret).update(`${timestamp}.${body}`).digest("hex");
    const fireRoute = allRoutes.find((r) => r.method === "post" && r.path === "/api/routine-triggers/public/:publicId/fire")!;
    const fired = await app.call("POST", `/api/routine-triggers/public/${hook.trigger.publicId}/fire`, {
      rawBody: body,
      anonymous: true,
      headers: { "x-paperclip-timestamp": timestamp, "x-paperclip-signature": `sha256=${signature}` },
    });
    expect(fired.status).toBe(202);
    fireRoute.responses[202]!.schema!.parse(fired.body);
    exercised.add(key(fireRoute));
    await post("/api/routines/:routineId/run", `/api/routines/${routine.id}/run`, { source: "manual" });
    await get("/api/routines/:routineId/runs", `/api/routines/${routine.id}/runs?limit=5`);
  });

  it("labels and attachments", async () => {
    const label = (await post("/api/companies/:companyId/labels", `/api/companies/${companyId}/labels`, {
      name: `bug ${randomBytes(2).toString("hex")}`,
      color: "#aa0000",
    })) as { id: string };
    await get("/api/companies/:companyId/labels", `/api/companies/${companyId}/labels`);
    await patch("/api/labels/:labelId", `/api/labels/${label.id}`, { color: "#00aa00" });
    await del("/api/labels/:labelId", `/api/labels/${label.id}`);

    const form = new FormData();
    form.append("file", new Blob(["hello"], { type: "text/plain" }), "hello.txt");
    const response = await app.app.request(`/api/companies/${companyId}/issues/${issueId}/attachments`, {
      method: "POST",
      headers: { authorization: `Bearer ${app.boardToken}` },
      body: form,
    });
    expect(response.status).toBe(201);
    const uploadRoute = allRoutes.find((r) => r.method === "post" && r.path === "/api/companies/:companyId/issues/:issueId/attachments")!;
    const attachment = uploadRoute.responses[201]!.schema!.parse(await response.json()) as { id: string };
    exercised.add(key(uploadRoute));
    await get("/api/issues/:id/attachments", `/api/issues/${issueId}/attachments`);
    await get("/api/companies/:companyId/issues/:issueId/attachments", `/api/companies/${companyId}/issues/${issueId}/attachments`);
    await del("/api/attachments/:attachmentId", `/api/attachments/${attachment.id}`);
  });

  it("interactions", async () => {
    const card = (await post("/api/issues/:id/interactions", `/api/issues/${issueId}/interactions`, {
      kind: "request_confirmation",
      payload: { version: 1, prompt: "Ship it?" },
    })) as { id: string };
    const cards = (await get("/api/issues/:id/interactions", `/api/issues/${issueId}/interactions`)) as unknown[];
    expect(cards.length).toBe(1);
    await post("/api/issues/:id/interactions/:interactionId/accept", `/api/issues/${issueId}/interactions/${card.id}/accept`, {});
  });

  it("secrets", async () => {
    // Its own agent: earlier cases may leave the shared one paused (budgets, loop breaker), and a paused agent writes nothing.
    const reader = await createAgent(app, companyId, { name: `secret reader ${randomBytes(2).toString("hex")}` });
    const readerToken = (await createAgentKey(app, reader.id)).token;
    const secret = (await post("/api/companies/:companyId/secrets", `/api/companies/${companyId}/secrets`, {
      name: `token ${randomBytes(2).toString("hex")}`,
      value: "contract-value",
      agentIds: [reader.id],
    })) as { id: string; key: string };
    await get("/api/companies/:companyId/secrets", `/api/companies/${companyId}/secrets`);
    await get("/api/secrets/:secretId", `/api/secrets/${secret.id}`);
    await patch("/api/secrets/:secretId", `/api/secrets/${secret.id}`, { description: "contract" });
    await post("/api/secrets/:secretId/rotate", `/api/secrets/${secret.id}/rotate`, { value: "contract-value-2" });
    await get("/api/agents/me/secrets", "/api/agents/me/secrets", { token: readerToken });
    await post("/api/agents/me/secrets/:key/value", `/api/agents/me/secrets/${secret.key}/value`, undefined, { token: readerToken });
    await del("/api/secrets/:secretId/grants/:agentId", `/api/secrets/${secret.id}/grants/${reader.id}`);
    await post("/api/secrets/:secretId/grants", `/api/secrets/${secret.id}/grants`, { agentId: reader.id });
    await del("/api/secrets/:secretId", `/api/secrets/${secret.id}`);
  });

  it("execution workspaces: list, one, close", async () => {
    const [ws] = await app.tdb.db.query<{ id: string }>(
      `INSERT INTO execution_workspaces (company_id, source_issue_id, name, cwd, repo_root, branch_name)
       VALUES ($1, $2, 'staple/contracts', '/nonexistent/staple-contracts-ws', '/nonexistent', 'staple/contracts') RETURNING id`,
      [companyId, issueId],
    );
    await get("/api/companies/:companyId/execution-workspaces", `/api/companies/${companyId}/execution-workspaces?issueId=${issueId}`);
    await get("/api/execution-workspaces/:id", `/api/execution-workspaces/${ws!.id}`);
    await patch("/api/execution-workspaces/:id", `/api/execution-workspaces/${ws!.id}`, { status: "archived" });
  });

  it("company packages: export, fidelity, import preview and apply, templates", async () => {
    const exported = (await post("/api/companies/:companyId/exports", `/api/companies/${companyId}/exports`, {})) as {
      files: Record<string, unknown>;
    };
    await get("/api/companies/:companyId/export/fidelity", `/api/companies/${companyId}/export/fidelity`);
    const source = { type: "inline", files: exported.files };
    await post("/api/companies/import/preview", "/api/companies/import/preview", { source });
    await post("/api/companies/:companyId/imports/preview", `/api/companies/${companyId}/imports/preview`, { source });
    await post("/api/companies/import", "/api/companies/import", { source });
    await get("/api/company-templates");
    await post("/api/companies/from-template", "/api/companies/from-template", { template: "solo-founder" });
    const pkg = {
      schemaVersion: 1,
      company: {
        slug: "pc",
        name: "From Paperclip",
        description: null,
        requireBoardApprovalForNewAgents: false,
        brandColor: null,
        budgetMonthlyCents: 0,
      },
      agents: [],
      skills: [],
      labels: [],
      goals: [],
      projects: [],
      issues: [],
    };
    const history = { agentStates: [], runs: [], activity: [], costEvents: [], approvals: [] };
    const installation = {
      source: { version: null, location: "test" },
      companies: [{ sourceId: "pc-1", package: pkg, ignored: [], warnings: [], history }],
    };
    await post("/api/instance/imports/paperclip-db/preview", "/api/instance/imports/paperclip-db/preview", installation);
    await post("/api/instance/imports/paperclip-db/apply", "/api/instance/imports/paperclip-db/apply", installation);
  });

  it("wake breakers: settings, quota holds, loop incidents, an agent's wake report", async () => {
    const looped = (await createIssue(app, companyId, { title: "Looped" })).id;
    await app.tdb.db.query(
      `INSERT INTO provider_quota_holds (credential_fingerprint, credential_kind, adapter_type, company_id, source_agent_id, reset_at)
       VALUES ('sha256:contracts', 'cli_login', 'claude_local', $1, $2, now() + interval '1 hour')`,
      [companyId, agentId],
    );
    await app.tdb.db.query(
      "INSERT INTO wake_loop_incidents (company_id, agent_id, issue_id, wake_count, max_wakes, window_minutes) VALUES ($1, $2, $3, 10, 10, 60)",
      [companyId, agentId, looped],
    );
    await app.tdb.db.query(
      "INSERT INTO agent_wakeup_requests (company_id, agent_id, source, reason, status, finished_at) VALUES ($1, $2, 'timer', 'heartbeat.no_actionable_work', 'skipped', now())",
      [companyId, agentId],
    );
    await get("/api/companies/:companyId/wake-breakers", `/api/companies/${companyId}/wake-breakers`);
    await patch("/api/companies/:companyId/wake-breakers", `/api/companies/${companyId}/wake-breakers`, { loopBreaker: { maxWakes: 12 } });
    expect(await get("/api/companies/:companyId/quota-holds", `/api/companies/${companyId}/quota-holds`)).toHaveLength(1);
    expect(await get("/api/companies/:companyId/loop-incidents", `/api/companies/${companyId}/loop-incidents?open=true`)).toHaveLength(1);
    await get("/api/agents/:id/wake-report", `/api/agents/${agentId}/wake-report`);
  });

  it("every route file had at least one route exercised here", () => {
    const unexercised = [...routesByFile].filter(([, routes]) => !routes.some((r) => exercised.has(key(r)))).map(([file]) => file);
    expect(unexercised, "add a call of one of these files' routes to route-contracts.test.ts").toEqual([]);
    // A floor, so the set stays representative as routes are added.
    expect(exercised.size / allRoutes.length).toBeGreaterThan(0.6);
  });
});
