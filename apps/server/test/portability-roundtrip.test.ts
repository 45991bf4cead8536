import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgentKey } from "./helpers/fixtures.js";

/**
 * Staple -> package -> Staple is lossless for everything the package format carries: a company is
 * generated through the API, exported, imported as a new company, and both are read back into the
 * same id-free snapshot (names, numbers and slugs instead of ids).
 */
const t = useTestApp();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "staple-roundtrip-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const word = fc.constantFrom("alpha", "beta", "gamma", "delta", "ship", "fix", "plan", "docs", "api", "ux", "déjà", "naïve", "ß");
const text = fc.array(word, { minLength: 1, maxLength: 6 }).map((w) => w.join(" "));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

const companyArb = fc.record({
  description: maybe(text),
  budgetMonthlyCents: fc.integer({ min: 0, max: 1_000_000 }),
  agents: fc.array(
    fc.record({
      role: fc.constantFrom("ceo", "cto", "engineer", "designer", "researcher", "general"),
      title: maybe(text),
      capabilities: maybe(text),
      reportsTo: fc.nat(),
      adapter: fc.constantFrom("process", "claude_local", "codex_local"),
      model: fc.constantFrom("sonnet", "opus"),
      budget: fc.integer({ min: 0, max: 100_000 }),
      heartbeat: fc.boolean(),
      instructions: maybe(text),
      canCreateAgents: fc.boolean(),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  labels: fc.uniqueArray(fc.constantFrom("bug", "feature", "infra", "ux", "docs"), { maxLength: 3 }),
  goals: fc.array(fc.record({ description: maybe(text), level: fc.constantFrom("company", "team", "task"), parent: fc.nat() }), {
    maxLength: 2,
  }),
  projects: fc.array(
    fc.record({
      description: maybe(text),
      status: fc.constantFrom("backlog", "planned", "in_progress", "completed"),
      lead: maybe(fc.nat()),
      goal: maybe(fc.nat()),
      color: maybe(fc.constantFrom("#112233", "#abcdef")),
      targetDate: maybe(fc.constantFrom("2027-01-31", "2026-12-24")),
      workspace: fc.boolean(),
    }),
    { maxLength: 2 },
  ),
  issues: fc.array(
    fc.record({
      title: text,
      description: maybe(text),
      status: fc.constantFrom("backlog", "todo", "in_review", "done", "cancelled"),
      priority: fc.constantFrom("critical", "high", "medium", "low"),
      assignee: maybe(fc.nat()),
      project: maybe(fc.nat()),
      goal: maybe(fc.nat()),
      parent: maybe(fc.nat()),
      blockers: fc.array(fc.nat(), { maxLength: 2 }),
      labels: fc.array(fc.nat(), { maxLength: 2 }),
      comments: fc.array(text, { maxLength: 2 }),
      document: maybe(fc.record({ title: maybe(text), body: text })),
      billingCode: maybe(fc.constantFrom("R&D", "ops")),
    }),
    { maxLength: 5 },
  ),
});
type Gen = typeof companyArb extends fc.Arbitrary<infer T> ? T : never;

let seq = 0;
async function build(g: Gen): Promise<string> {
  const ok = (res: { status: number; body: any }) => {
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    return res.body;
  };
  const n = ++seq;
  // A distinct three-letter base per company keeps issue prefixes short however many runs shrinking makes.
  const base = [n % 26, Math.floor(n / 26) % 26, Math.floor(n / 676) % 26].map((c) => String.fromCharCode(65 + c)).join("");
  const company = ok(
    await t.current.post("/api/companies", {
      name: `${base} Round Trip`,
      description: g.description,
      budgetMonthlyCents: g.budgetMonthlyCents,
    }),
  );
  const agents: string[] = [];
  for (const [i, a] of g.agents.entries()) {
    const adapterConfig: Record<string, unknown> =
      a.adapter === "process" ? { command: "node", args: ["-e", "0"], timeoutSec: 60 } : { model: a.model, timeoutSec: 600 };
    if (a.instructions !== null && a.adapter !== "process") {
      const file = path.join(tmp, `instructions-${n}-${i}.md`);
      fs.writeFileSync(file, a.instructions);
      adapterConfig.instructionsFilePath = file;
    }
    const body = {
      name: `Agent ${i}`,
      role: a.role,
      title: a.title,
      capabilities: a.capabilities,
      reportsTo: i > 0 ? agents[a.reportsTo % i] : null,
      adapterType: a.adapter,
      adapterConfig,
      budgetMonthlyCents: a.budget,
      runtimeConfig: { heartbeat: { enabled: a.heartbeat, intervalSec: 3600 } },
      permissions: { canCreateAgents: a.canCreateAgents },
    };
    agents.push(ok(await t.current.post(`/api/companies/${company.id}/agents`, body)).id);
  }
  const labels: string[] = [];
  for (const name of g.labels) labels.push(ok(await t.current.post(`/api/companies/${company.id}/labels`, { name, color: "#123456" })).id);
  const goals: string[] = [];
  for (const [i, goal] of g.goals.entries()) {
    const body = { title: `Goal ${i}`, description: goal.description, level: goal.level, parentId: i > 0 ? goals[goal.parent % i] : null };
    goals.push(ok(await t.current.post(`/api/companies/${company.id}/goals`, body)).id);
  }
  const projects: { id: string; workspaceId: string | null }[] = [];
  for (const [i, p] of g.projects.entries()) {
    const body = {
      name: `Project ${i}`,
      description: p.description,
      status: p.status,
      leadAgentId: p.lead === null ? null : agents[p.lead % agents.length],
      goalId: p.goal === null || goals.length === 0 ? null : goals[p.goal % goals.length],
      color: p.color,
      targetDate: p.targetDate,
      workspaces: p.workspace ? [{ name: "main", repoUrl: "https://example.invalid/r.git", repoRef: "main", isPrimary: true }] : [],
    };
    const created = ok(await t.current.post(`/api/companies/${company.id}/projects`, body));
    projects.push({ id: created.id, workspaceId: created.workspaces[0]?.id ?? null });
  }
  const issues: string[] = [];
  for (const [i, issue] of g.issues.entries()) {
    const project = issue.project === null || projects.length === 0 ? null : projects[issue.project % projects.length]!;
    const body = {
      title: issue.title,
      description: issue.description,
      status: issue.status,
      priority: issue.priority,
      assigneeAgentId: issue.assignee === null ? null : agents[issue.assignee % agents.length],
      projectId: project?.id ?? null,
      projectWorkspaceId: project?.workspaceId ?? null,
      goalId: issue.goal === null || goals.length === 0 ? null : goals[issue.goal % goals.length],
      parentId: issue.parent === null || i === 0 ? null : issues[issue.parent % i],
      blockedByIssueIds: i === 0 ? [] : [...new Set(issue.blockers.map((b) => issues[b % i]!))],
      labelIds: labels.length === 0 ? [] : [...new Set(issue.labels.map((l) => labels[l % labels.length]!))],
      billingCode: issue.billingCode,
    };
    const created = ok(await t.current.post(`/api/companies/${company.id}/issues`, body));
    issues.push(created.id);
    for (const c of issue.comments) ok(await t.current.post(`/api/issues/${created.id}/comments`, { body: c }));
    if (issue.document) ok(await t.current.put(`/api/issues/${created.id}/documents/notes`, issue.document));
  }
  return company.id;
}

/** Everything the format carries, with ids replaced by names and issue numbers. */
async function snapshot(companyId: string) {
  const q = <T = any>(sql: string) => t.current.tdb.db.query<T>(sql, [companyId]);
  const [company] = await q(
    "SELECT name, description, budget_monthly_cents, require_board_approval_for_new_agents, brand_color FROM companies WHERE id = $1",
  );
  const agentName = new Map(
    (await q<{ id: string; name: string }>("SELECT id, name FROM agents WHERE company_id = $1")).map((a) => [a.id, a.name]),
  );
  const agents = (await q("SELECT * FROM agents WHERE company_id = $1 ORDER BY name")).map((a: any) => {
    const { instructionsFilePath, ...config } = a.adapterConfig;
    const file = instructionsFilePath as string | undefined;
    return {
      name: a.name,
      role: a.role,
      title: a.title,
      icon: a.icon,
      capabilities: a.capabilities,
      reportsTo: agentName.get(a.reportsTo) ?? null,
      adapterType: a.adapterType,
      adapterConfig: config,
      runtimeConfig: a.runtimeConfig,
      budgetMonthlyCents: a.budgetMonthlyCents,
      permissions: a.permissions,
      instructions: file ? fs.readFileSync(file, "utf8") : "",
    };
  });
  const labels = await q("SELECT name, color FROM labels WHERE company_id = $1 ORDER BY name");
  const goalTitle = new Map(
    (await q<{ id: string; title: string }>("SELECT id, title FROM goals WHERE company_id = $1")).map((g) => [g.id, g.title]),
  );
  const goals = (await q("SELECT * FROM goals WHERE company_id = $1 ORDER BY title")).map((g: any) => ({
    title: g.title,
    description: g.description,
    level: g.level,
    status: g.status,
    parent: goalTitle.get(g.parentId) ?? null,
    owner: agentName.get(g.ownerAgentId) ?? null,
  }));
  const workspaceName = new Map(
    (await q<{ id: string; name: string }>("SELECT id, name FROM project_workspaces WHERE company_id = $1")).map((w) => [w.id, w.name]),
  );
  const projectName = new Map(
    (await q<{ id: string; name: string }>("SELECT id, name FROM projects WHERE company_id = $1")).map((p) => [p.id, p.name]),
  );
  const projects = [];
  for (const p of await q("SELECT *, to_char(target_date, 'YYYY-MM-DD') AS target FROM projects WHERE company_id = $1 ORDER BY name")) {
    projects.push({
      name: p.name,
      description: p.description,
      status: p.status,
      lead: agentName.get(p.leadAgentId) ?? null,
      goal: goalTitle.get(p.goalId) ?? null,
      targetDate: p.target,
      color: p.color,
      workspaces: await t.current.tdb.db.query(
        "SELECT name, repo_url, repo_ref, is_primary FROM project_workspaces WHERE project_id = $1 ORDER BY name",
        [p.id],
      ),
    });
  }
  const number = new Map(
    (await q<{ id: string; issueNumber: number }>("SELECT id, issue_number FROM issues WHERE company_id = $1")).map((i) => [
      i.id,
      i.issueNumber,
    ]),
  );
  const issues = [];
  for (const i of await q("SELECT * FROM issues WHERE company_id = $1 ORDER BY issue_number")) {
    const one = <T = any>(sql: string) => t.current.tdb.db.query<T>(sql, [i.id]);
    issues.push({
      number: i.issueNumber,
      title: i.title,
      description: i.description,
      status: i.status,
      priority: i.priority,
      project: projectName.get(i.projectId) ?? null,
      workspace: workspaceName.get(i.projectWorkspaceId) ?? null,
      goal: goalTitle.get(i.goalId) ?? null,
      assignee: agentName.get(i.assigneeAgentId) ?? null,
      parent: number.get(i.parentId) ?? null,
      billingCode: i.billingCode,
      createdAt: i.createdAt.toISOString(),
      startedAt: i.startedAt?.toISOString() ?? null,
      completedAt: i.completedAt?.toISOString() ?? null,
      cancelledAt: i.cancelledAt?.toISOString() ?? null,
      blockedBy: (await one<{ issueId: string }>("SELECT issue_id FROM issue_relations WHERE related_issue_id = $1"))
        .map((r) => number.get(r.issueId))
        .sort(),
      labels: (await one<{ name: string }>("SELECT l.name FROM issue_labels il JOIN labels l ON l.id = il.label_id WHERE il.issue_id = $1"))
        .map((l) => l.name)
        .sort(),
      comments: (
        await one("SELECT author_type, author_agent_id, body, created_at FROM issue_comments WHERE issue_id = $1 ORDER BY created_at, body")
      ).map((c: any) => ({
        authorType: c.authorType,
        author: agentName.get(c.authorAgentId) ?? null,
        body: c.body,
        createdAt: c.createdAt.toISOString(),
      })),
      documents: await one(
        "SELECT d.key, doc.title, doc.latest_body FROM issue_documents d JOIN documents doc ON doc.id = d.document_id WHERE d.issue_id = $1 ORDER BY d.key",
      ),
    });
  }
  return { company: { ...company, name: undefined }, agents, labels, goals, projects, issues };
}

describe("export and import round trip", () => {
  it("Staple -> package -> Staple keeps everything the package carries", async () => {
    await fc.assert(
      fc.asyncProperty(companyArb, async (g) => {
        const companyId = await build(g);
        const exported = await t.current.post(`/api/companies/${companyId}/exports`, {});
        expect(exported.status, JSON.stringify(exported.body)).toBe(200);
        const imported = await t.current.post("/api/companies/import", { source: { type: "inline", files: exported.body.files } });
        expect(imported.status, JSON.stringify(imported.body)).toBe(200);
        expect(await snapshot(imported.body.company.id)).toEqual(await snapshot(companyId));
      }),
      { numRuns: 12, seed: Number(process.env.STAPLE_FC_SEED ?? 1412) },
    );
  }, 240_000);

  it("names what a package does not carry", async () => {
    const company = (await t.current.post("/api/companies", { name: "Fidelity Co" })).body;
    const agent = (
      await t.current.post(`/api/companies/${company.id}/agents`, {
        name: "Sys",
        adapterType: "process",
        adapterConfig: { command: "/usr/bin/env" },
      })
    ).body;
    await t.current.post(`/api/agents/${agent.id}/keys`, { name: "k" });
    const report = await t.current.get(`/api/companies/${company.id}/export/fidelity`);
    expect(report.status).toBe(200);
    const kinds = Object.fromEntries(report.body.notCarried.map((n: any) => [n.kind, n.count]));
    expect(kinds.system_dependent_config).toBe(1);
    expect(kinds.agent_api_keys).toBe(1);
    expect(kinds.activity).toBeGreaterThan(0);
    const exported = await t.current.post(`/api/companies/${company.id}/exports`);
    expect(exported.body.warnings.join("\n")).toContain("/usr/bin/env was omitted");
    expect(exported.body.files[".paperclip.yaml"]).not.toContain("/usr/bin/env");
  });

  it("reads instruction files only from the agent's own folder, and only for the board", async () => {
    const company = (await t.current.post("/api/companies", { name: "Guard Co" })).body;
    const outside = fs.mkdtempSync(path.join(tmp, "outside-"));
    fs.writeFileSync(path.join(outside, "AGENTS.md"), "OUTSIDE-SECRET");
    // Metadata is writable through the API: naming another folder must not pull its files into a package.
    const agent = (
      await t.current.post(`/api/companies/${company.id}/agents`, {
        name: "Meta",
        adapterType: "process",
        adapterConfig: { command: "node" },
        metadata: { instructions: { dir: outside, files: ["AGENTS.md"] } },
      })
    ).body;
    const exported = await t.current.post(`/api/companies/${company.id}/exports`, {});
    expect(exported.status).toBe(200);
    expect(JSON.stringify(exported.body.files)).not.toContain("OUTSIDE-SECRET");
    const key = await createAgentKey(t.current, agent.id);
    const asAgent = await t.current.post(`/api/companies/${company.id}/exports`, {}, { token: key.token });
    expect(asAgent.status).toBe(403);
  });
});
