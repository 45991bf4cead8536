import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { convertPaperclipRows, type PaperclipRows } from "../../cli/src/commands/import-paperclip-convert.js";
import { createAgent, createAgentKey, createCompany } from "./helpers/fixtures.js";
import { useTestApp } from "./helpers/test-app.js";

/**
 * `staple import paperclip`: rows as a Paperclip database holds them (2026.707 columns, ids are
 * Paperclip's) go through the CLI's converter to the paperclip-db routes. The real-Paperclip lane
 * (compat/paperclip-db-import.test.ts) does the same with a database Paperclip itself wrote.
 */
const t = useTestApp();

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const C = id(1);
const CEO = id(10);
const ENG = id(11);
const OLD = id(12);
const GOAL = id(20);
const PROJ = id(30);
const WS = id(31);
const I1 = id(40);
const I2 = id(41);
const I3 = id(42);
const LBL = id(50);
const DOC = id(60);
const RUN1 = id(70);
const RUN2 = id(71);
const APPR = id(80);
const at = (m: number) => new Date(Date.UTC(2026, 6, 1, 10, m));

function rows(): PaperclipRows {
  return {
    companies: [
      { id: C, name: "Paperclip Co", description: "from pc", issue_prefix: "PCO", budget_monthly_cents: 9000, brand_color: "#112233" },
    ],
    agents: [
      {
        id: CEO,
        company_id: C,
        name: "Chief",
        role: "ceo",
        status: "idle",
        adapter_type: "process",
        adapter_config: { command: "echo", args: ["hi"], instructionsFilePath: "/nowhere/AGENTS.md" },
        runtime_config: { heartbeat: { enabled: true, intervalSec: 600 } },
        permissions: { canCreateAgents: true },
        budget_monthly_cents: 5000,
        created_at: at(0),
      },
      {
        id: ENG,
        company_id: C,
        name: "Builder",
        role: "engineer",
        status: "paused",
        reports_to: CEO,
        adapter_type: "hermes_local",
        adapter_config: { model: "x" },
        created_at: at(1),
      },
      {
        id: OLD,
        company_id: C,
        name: "Gone",
        role: "wizard",
        status: "terminated",
        reports_to: CEO,
        adapter_type: "process",
        created_at: at(2),
      },
    ],
    goals: [{ id: GOAL, company_id: C, title: "Ship v1", level: "company", status: "active", owner_agent_id: CEO }],
    projects: [{ id: PROJ, company_id: C, name: "Site", status: "in_progress", lead_agent_id: CEO, target_date: "2026-09-30" }],
    project_goals: [{ project_id: PROJ, goal_id: GOAL, company_id: C }],
    project_workspaces: [
      {
        id: WS,
        company_id: C,
        project_id: PROJ,
        name: "repo",
        repo_url: "https://example.com/r.git",
        is_primary: true,
        setup_command: "make",
      },
    ],
    issues: [
      {
        id: I1,
        company_id: C,
        title: "Parent",
        status: "in_progress",
        priority: "high",
        identifier: "PCO-1",
        project_id: PROJ,
        project_workspace_id: WS,
        goal_id: GOAL,
        created_at: at(3),
        started_at: at(4),
      },
      {
        id: I2,
        company_id: C,
        title: "Child",
        status: "todo",
        identifier: "PCO-2",
        parent_id: I1,
        assignee_agent_id: ENG,
        created_at: at(5),
      },
      { id: I3, company_id: C, title: "Done one", status: "done", identifier: "PCO-7", completed_at: at(9), created_at: at(6) },
    ],
    issue_relations: [{ company_id: C, issue_id: I3, related_issue_id: I2, type: "blocks" }],
    labels: [{ id: LBL, company_id: C, name: "bug", color: "#ff0000" }],
    issue_labels: [{ issue_id: I2, label_id: LBL, company_id: C }],
    issue_comments: [
      { id: id(90), company_id: C, issue_id: I2, author_agent_id: ENG, author_type: "agent", body: "On it", created_at: at(7) },
      { id: id(91), company_id: C, issue_id: I2, author_type: "user", body: "deleted", created_at: at(8), deleted_at: at(9) },
    ],
    documents: [{ id: DOC, company_id: C, title: "Plan", latest_body: "# Plan\nsteps" }],
    issue_documents: [{ company_id: C, issue_id: I1, document_id: DOC, key: "plan" }],
    heartbeat_runs: [
      {
        id: RUN1,
        company_id: C,
        agent_id: ENG,
        invocation_source: "assignment",
        status: "succeeded",
        started_at: at(10),
        finished_at: at(11),
        created_at: at(10),
        exit_code: 0,
        usage_json: { inputTokens: 10 },
        stdout_excerpt: "done",
        context_snapshot: { issueId: I2 },
      },
      {
        id: RUN2,
        company_id: C,
        agent_id: CEO,
        invocation_source: "timer",
        status: "running",
        started_at: at(12),
        created_at: at(12),
        updated_at: at(13),
      },
    ],
    activity_log: [
      {
        company_id: C,
        actor_type: "agent",
        actor_id: ENG,
        action: "issue.updated",
        entity_type: "issue",
        entity_id: I2,
        agent_id: ENG,
        run_id: RUN1,
        details: { status: "todo" },
        created_at: at(11),
      },
      {
        company_id: C,
        actor_type: "user",
        actor_id: "local-board",
        action: "company.created",
        entity_type: "company",
        entity_id: C,
        created_at: at(0),
      },
    ],
    cost_events: [
      {
        company_id: C,
        agent_id: ENG,
        issue_id: I2,
        project_id: PROJ,
        heartbeat_run_id: RUN1,
        provider: "anthropic",
        biller: "anthropic",
        billing_type: "metered_api",
        model: "m",
        input_tokens: "1200",
        cached_input_tokens: "0",
        output_tokens: "300",
        cost_cents: 42,
        occurred_at: at(11),
      },
    ],
    approvals: [
      {
        id: APPR,
        company_id: C,
        type: "hire_agent",
        requested_by_agent_id: CEO,
        status: "approved",
        payload: { name: "Builder" },
        decided_by_user_id: "local-board",
        decided_at: at(2),
        created_at: at(1),
      },
      { id: id(81), company_id: C, type: "some_future_type", status: "pending", created_at: at(1) },
    ],
    approval_comments: [{ company_id: C, approval_id: APPR, author_agent_id: CEO, body: "Please approve", created_at: at(1) }],
    issue_approvals: [{ company_id: C, issue_id: I1, approval_id: APPR }],
  };
}

const instructions = new Map([
  [
    CEO,
    [
      { file: "AGENTS.md", body: "You are the CEO." },
      { file: "SOUL.md", body: "Calm." },
    ],
  ],
]);
const body = () => convertPaperclipRows(rows(), instructions, { version: "134 migrations applied", location: "test" });
const PREVIEW = "/api/instance/imports/paperclip-db/preview";
const APPLY = "/api/instance/imports/paperclip-db/apply";

describe("importing a Paperclip installation's database", () => {
  it("previews every company with counts, ignored items with reasons and history counts, writing nothing", async () => {
    const res = await t.current.post(PREVIEW, body());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [company] = res.body.companies;
    expect(company.sourceId).toBe(C);
    const kinds = (kind: string) => company.preview.create.filter((c: any) => c.kind === kind).length;
    expect([kinds("company"), kinds("agent"), kinds("issue"), kinds("comment"), kinds("document"), kinds("blocker")]).toEqual([
      1, 3, 3, 1, 1, 1,
    ]);
    expect(company.history).toEqual({ runs: 2, activity: 2, costEvents: 1, approvals: 1, approvalComments: 1 });
    const ignored = Object.fromEntries(company.preview.ignored.map((i: any) => [i.kind, i.reason]));
    expect(ignored.adapter).toMatch(/hermes_local.*not available/);
    expect(ignored.role).toMatch(/wizard/);
    expect(ignored.approval).toMatch(/some_future_type/);
    expect(ignored.workspace_command).toMatch(/setup_command/);
    const companies = await t.current.get("/api/companies");
    expect(companies.body.some((c: any) => c.name === "Paperclip Co")).toBe(false);
  });

  it("applies: every entity with its history, in one transaction", async () => {
    const res = await t.current.post(APPLY, body());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const { result, history } = res.body.companies[0];
    expect(history.runs).toBe(2);
    const companyId = result.company.id;
    expect(result.company.issuePrefix).toBe("PCO");
    const agent = (slug: string) => result.agents.find((a: any) => a.slug === slug).id;
    const issue = (slug: string) => result.issues.find((i: any) => i.slug === slug);

    const ceo = (await t.current.get(`/api/agents/${agent(CEO)}`)).body;
    expect(ceo.adapterConfig.command).toBe("echo");
    expect(ceo.adapterConfig.instructionsFilePath).toBeUndefined();
    expect(ceo.budgetMonthlyCents).toBe(5000);
    expect(ceo.runtimeConfig.heartbeat.intervalSec).toBe(600);
    const eng = (await t.current.get(`/api/agents/${agent(ENG)}`)).body;
    expect(eng.reportsTo).toBe(agent(CEO));
    expect(eng.status).toBe("paused");
    expect(eng.adapterType).toBe("process");
    expect((await t.current.get(`/api/agents/${agent(OLD)}`)).body.status).toBe("terminated");

    expect(issue(I1).identifier).toBe("PCO-1");
    expect(issue(I3).identifier).toBe("PCO-7");
    const child = (await t.current.get(`/api/issues/${issue(I2).id}`)).body;
    expect(child.parentId).toBe(issue(I1).id);
    expect(child.assigneeAgentId).toBe(agent(ENG));
    expect(child.labels.map((l: any) => l.name)).toEqual(["bug"]);
    expect(child.blockedBy.map((b: any) => b.id)).toEqual([issue(I3).id]);
    const comments = (await t.current.get(`/api/issues/${issue(I2).id}/comments`)).body;
    expect(comments.map((c: any) => [c.body, c.authorAgentId])).toEqual([["On it", agent(ENG)]]);
    const doc = (await t.current.get(`/api/issues/${issue(I1).id}/documents/plan`)).body;
    expect(doc.body).toBe("# Plan\nsteps");

    const runs = (await t.current.get(`/api/companies/${companyId}/heartbeat-runs`)).body;
    expect(runs.map((r: any) => r.status).sort()).toEqual(["cancelled", "succeeded"]);
    const done = runs.find((r: any) => r.status === "succeeded");
    expect(done.agentId).toBe(agent(ENG));
    expect(done.finishedAt).toBe(at(11).toISOString());
    expect(runs.find((r: any) => r.status === "cancelled").errorCode).toBe("imported_unfinished");

    const activity = (await t.current.get(`/api/companies/${companyId}/activity`)).body;
    const updated = activity.find((a: any) => a.action === "issue.updated");
    expect(updated.entityId).toBe(issue(I2).id);
    expect(updated.actorId).toBe(agent(ENG));
    expect(updated.runId).toBe(done.id);
    expect(activity.find((a: any) => a.action === "company.created").entityId).toBe(companyId);

    const costs = (await t.current.get(`/api/companies/${companyId}/costs/summary`)).body;
    expect(costs.spendCents ?? costs.totalCents ?? JSON.stringify(costs)).toBe(42);

    const approvals = (await t.current.get(`/api/companies/${companyId}/approvals?status=approved`)).body;
    expect(approvals.map((a: any) => [a.type, a.requestedByAgentId])).toEqual([["hire_agent", agent(CEO)]]);
    const approvalComments = (await t.current.get(`/api/approvals/${approvals[0].id}/comments`)).body;
    expect(approvalComments.map((c: any) => c.body)).toEqual(["Please approve"]);
  });

  it("is all or nothing across companies, and names a broken reference with a 422", async () => {
    const doc = body();
    const second = structuredClone(doc.companies[0]!);
    second.sourceId = id(2);
    second.package.company.name = "Second Co";
    second.history.runs.push({ ...second.history.runs[0]!, sourceId: id(99), agentSlug: id(404) });
    doc.companies.push(second);
    const res = await t.current.post(APPLY, doc);
    expect(res.status).toBe(422);
    expect(res.body.error).toContain(id(404));
    const names = (await t.current.get("/api/companies")).body.map((c: any) => c.name);
    expect(names).not.toContain("Second Co");
  });

  it("rolls back every company, its history and the instruction files when a write fails inside the transaction", async () => {
    // A trigger makes the second company's cost event fail after the first company was fully written.
    await t.current.tdb.db.query(
      `CREATE FUNCTION test_fail_cost() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF NEW.billing_code = 'boom' THEN RAISE EXCEPTION 'induced failure'; END IF; RETURN NEW; END $$`,
    );
    await t.current.tdb.db.query(
      "CREATE TRIGGER test_fail_cost BEFORE INSERT ON cost_events FOR EACH ROW EXECUTE FUNCTION test_fail_cost()",
    );
    const doc = body();
    doc.companies[0]!.package.company.name = "Rollback First";
    const second = structuredClone(doc.companies[0]!);
    second.sourceId = id(3);
    second.package.company.name = "Rollback Second";
    second.history.costEvents[0]!.billingCode = "boom";
    doc.companies.push(second);
    const dirsBefore = fs.readdirSync(path.join(t.current.home, "agent-instructions")).length;
    const runsBefore = (await t.current.tdb.db.query<{ n: number }>("SELECT count(*)::int AS n FROM heartbeat_runs"))[0]!.n;
    const res = await t.current.post(APPLY, doc);
    expect(res.status).toBeGreaterThanOrEqual(400);
    await t.current.tdb.db.query("DROP TRIGGER test_fail_cost ON cost_events");
    const names = (await t.current.get("/api/companies")).body.map((c: any) => c.name);
    expect(names).not.toContain("Rollback First");
    expect((await t.current.tdb.db.query<{ n: number }>("SELECT count(*)::int AS n FROM heartbeat_runs"))[0]!.n).toBe(runsBefore);
    expect(fs.readdirSync(path.join(t.current.home, "agent-instructions")).length).toBe(dirsBefore);
  });

  it("is for the instance admin only", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    const res = await t.current.post(PREVIEW, body(), { token: key.token });
    expect([401, 403]).toContain(res.status);
    expect((await t.current.post(PREVIEW, body(), { anonymous: true })).status).toBe(401);
  });
});
