import fs from "node:fs";
import path from "node:path";
import type { CompanyExport, ExportFidelity, PackageFileContent } from "@staple/contracts";
import { urlKeyFor } from "../agents/service.js";
import type { Queryable } from "../db/database.js";
import { notFound } from "../errors.js";
import { renderFrontmatter, renderYaml } from "./files.js";
import { READ_SCHEMA_VERSION } from "./reader.js";
import { instructionsDir } from "./apply.js";

type Obj = Record<string, unknown>;

/** A slug per row, unique within its kind (`ada`, `ada-2`). */
function slugger() {
  const used = new Set<string>();
  return (base: string) => {
    const root = urlKeyFor(base);
    let slug = root;
    for (let n = 2; used.has(slug); n++) slug = `${root}-${n}`;
    used.add(slug);
    return slug;
  };
}

/**
 * Adapter config as a package carries it: absolute paths (command, cwd, the instructions file) name
 * things on this machine and secret env values must not leave it, so they are left out and named in
 * the warnings. Everything else is kept as stored.
 */
function portableAdapterConfig(name: string, config: Obj, warnings: string[]): Obj {
  const out: Obj = { ...config };
  delete out.instructionsFilePath;
  for (const key of ["command", "cwd"]) {
    const value = out[key];
    if (typeof value === "string" && path.isAbsolute(value)) {
      delete out[key];
      warnings.push(`Agent ${name} ${key} ${value} was omitted from export because it is system-dependent.`);
    }
  }
  if (out.env && typeof out.env === "object" && !Array.isArray(out.env)) {
    const env: Obj = {};
    for (const [k, v] of Object.entries(out.env as Obj)) {
      if (v && typeof v === "object" && (v as Obj).type === "secret") {
        warnings.push(`Agent ${name} secret env ${k} was omitted from export.`);
      } else env[k] = v;
    }
    out.env = env;
  }
  return out;
}

/** Largest instruction file an export reads (a misconfigured path must not pull in a huge file). */
const INSTRUCTION_FILE_MAX_BYTES = 1024 * 1024;

function readSmallText(file: string): string | null {
  try {
    if (fs.statSync(file).size > INSTRUCTION_FILE_MAX_BYTES) return null;
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/**
 * The agent's instruction files: the agent's own folder under the Staple home (written by an
 * import), else the configured instructions file. Agent metadata is writable through the API, so the
 * folder it names is used only when it is exactly that agent's managed folder; never another path.
 */
function readInstructions(home: string, agent: { id: string; metadata: Obj | null; adapterConfig: Obj }): { file: string; body: string }[] {
  const meta = (agent.metadata?.instructions ?? null) as { dir?: unknown; files?: unknown } | null;
  const out: { file: string; body: string }[] = [];
  const managed = instructionsDir(home, agent.id);
  if (meta && meta.dir === managed && Array.isArray(meta.files)) {
    for (const file of meta.files) {
      if (typeof file !== "string" || !/^[\w.-]+\.md$/.test(file)) continue;
      const body = readSmallText(path.join(managed, file));
      if (body !== null) out.push({ file, body });
    }
    if (out.length > 0) return out;
  }
  const configured = agent.adapterConfig.instructionsFilePath;
  if (typeof configured === "string" && path.isAbsolute(configured)) {
    const body = readSmallText(configured);
    if (body !== null) out.push({ file: "AGENTS.md", body });
  }
  return out;
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === "string" ? new Date(v).toISOString() : undefined);

/** Writes a company as a package in Paperclip's layout (what `readPackage` reads back). */
export async function exportCompany(q: Queryable, home: string, companyId: string): Promise<CompanyExport> {
  const [company] = await q.query<Obj>(
    "SELECT id, name, description, issue_prefix, budget_monthly_cents, require_board_approval_for_new_agents, brand_color FROM companies WHERE id = $1",
    [companyId],
  );
  if (!company) throw notFound("Company not found");
  const warnings: string[] = [];
  const files: Record<string, PackageFileContent> = {};
  const companySlug = urlKeyFor(String(company.name));
  files["COMPANY.md"] = renderFrontmatter(
    { name: company.name, description: company.description, schema: "agentcompanies/v1", slug: companySlug },
    "",
  );
  const ext: Obj = {
    schema: "paperclip/v1",
    schemaVersion: READ_SCHEMA_VERSION,
    company: {
      requireBoardApprovalForNewAgents: company.requireBoardApprovalForNewAgents || undefined,
      brandColor: company.brandColor,
      budgetMonthlyCents: company.budgetMonthlyCents || undefined,
    },
  };

  const agents = await q.query<Obj & { id: string; name: string; adapterConfig: Obj; metadata: Obj | null }>(
    `SELECT id, name, role, title, icon, capabilities, reports_to, adapter_type, adapter_config, runtime_config,
            budget_monthly_cents, permissions, metadata
       FROM agents WHERE company_id = $1 AND status <> 'terminated' ORDER BY created_at, id`,
    [companyId],
  );
  const agentSlug = new Map<string, string>();
  const nextAgent = slugger();
  for (const a of agents) agentSlug.set(a.id, nextAgent(a.name));
  const extAgents: Obj = {};
  for (const a of agents) {
    const slug = agentSlug.get(a.id)!;
    const instructions = readInstructions(home, a);
    const entry = instructions.find((f) => f.file === "AGENTS.md");
    files[`agents/${slug}/AGENTS.md`] = renderFrontmatter(
      { name: a.name, title: a.title, reportsTo: a.reportsTo ? agentSlug.get(String(a.reportsTo)) : undefined },
      entry?.body ?? "",
    );
    for (const f of instructions) if (f.file !== "AGENTS.md") files[`agents/${slug}/${f.file}`] = f.body;
    extAgents[slug] = {
      role: a.role,
      icon: a.icon,
      capabilities: a.capabilities,
      adapter: { type: a.adapterType, config: portableAdapterConfig(a.name, a.adapterConfig, warnings) },
      runtime: a.runtimeConfig,
      permissions: a.permissions,
      budgetMonthlyCents: a.budgetMonthlyCents || undefined,
    };
  }
  ext.agents = extAgents;

  const labels = await q.query<{ id: string; name: string; color: string }>(
    "SELECT id, name, color FROM labels WHERE company_id = $1 ORDER BY lower(name)",
    [companyId],
  );
  ext.labels = labels.map((l) => ({ name: l.name, color: l.color }));

  const goals = await q.query<Obj & { id: string }>(
    "SELECT id, title, description, level, status, parent_id, owner_agent_id FROM goals WHERE company_id = $1 ORDER BY created_at, id",
    [companyId],
  );
  const goalSlug = new Map<string, string>();
  const nextGoal = slugger();
  for (const g of goals) goalSlug.set(g.id, nextGoal(String(g.title)));
  // Goals are a Staple addition to `.paperclip.yaml`; Paperclip ignores keys it does not know.
  ext.goals = Object.fromEntries(
    goals.map((g) => [
      goalSlug.get(g.id)!,
      {
        title: g.title,
        description: g.description,
        level: g.level,
        status: g.status,
        parent: g.parentId ? goalSlug.get(String(g.parentId)) : undefined,
        owner: g.ownerAgentId ? agentSlug.get(String(g.ownerAgentId)) : undefined,
      },
    ]),
  );

  const projects = await q.query<Obj & { id: string; name: string }>(
    `SELECT id, name, description, status, lead_agent_id, goal_id, to_char(target_date, 'YYYY-MM-DD') AS target_date, color
       FROM projects WHERE company_id = $1 AND archived_at IS NULL ORDER BY created_at, id`,
    [companyId],
  );
  const workspaces = await q.query<Obj & { id: string; projectId: string; name: string }>(
    "SELECT id, project_id, name, repo_url, repo_ref, is_primary FROM project_workspaces WHERE company_id = $1 ORDER BY created_at, id",
    [companyId],
  );
  const projectSlug = new Map<string, string>();
  const workspaceKey = new Map<string, string>();
  const nextProject = slugger();
  const extProjects: Obj = {};
  for (const p of projects) {
    const slug = nextProject(p.name);
    projectSlug.set(p.id, slug);
    files[`projects/${slug}/PROJECT.md`] = renderFrontmatter({ name: p.name, description: p.description }, String(p.description ?? ""));
    const nextKey = slugger();
    const ws: Obj = {};
    for (const w of workspaces.filter((x) => x.projectId === p.id)) {
      const key = nextKey(w.name);
      workspaceKey.set(w.id, key);
      ws[key] = { name: w.name, repoUrl: w.repoUrl, repoRef: w.repoRef, isPrimary: w.isPrimary };
    }
    extProjects[slug] = {
      status: p.status,
      leadAgentSlug: p.leadAgentId ? agentSlug.get(String(p.leadAgentId)) : undefined,
      goal: p.goalId ? goalSlug.get(String(p.goalId)) : undefined,
      targetDate: p.targetDate,
      color: p.color,
      workspaces: Object.keys(ws).length ? ws : undefined,
    };
  }
  ext.projects = extProjects;

  const issues = await q.query<Obj & { id: string; identifier: string; title: string }>(
    `SELECT id, identifier, title, description, status, priority, project_id, project_workspace_id, goal_id, parent_id,
            assignee_agent_id, billing_code, created_at, updated_at, started_at, completed_at, cancelled_at
       FROM issues WHERE company_id = $1 AND hidden_at IS NULL ORDER BY issue_number`,
    [companyId],
  );
  const issueSlug = new Map(issues.map((i) => [i.id, i.identifier.toLowerCase()]));
  const relations = await q.query<{ issueId: string; relatedIssueId: string }>(
    "SELECT issue_id, related_issue_id FROM issue_relations WHERE company_id = $1 AND type = 'blocks' ORDER BY created_at, id",
    [companyId],
  );
  const issueLabels = await q.query<{ issueId: string; labelId: string }>(
    "SELECT issue_id, label_id FROM issue_labels WHERE company_id = $1",
    [companyId],
  );
  const comments = await q.query<Obj & { issueId: string }>(
    "SELECT issue_id, body, author_type, author_agent_id, created_at FROM issue_comments WHERE company_id = $1 ORDER BY created_at, id",
    [companyId],
  );
  const documents = await q.query<Obj & { issueId: string; key: string }>(
    `SELECT d.issue_id, d.key, doc.title, doc.latest_body FROM issue_documents d JOIN documents doc ON doc.id = d.document_id
      WHERE d.company_id = $1 ORDER BY d.key`,
    [companyId],
  );
  const labelName = new Map(labels.map((l) => [l.id, l.name]));
  const extTasks: Obj = {};
  for (const i of issues) {
    const slug = issueSlug.get(i.id)!;
    files[`tasks/${slug}/TASK.md`] = renderFrontmatter(
      {
        name: i.title,
        assignee: i.assigneeAgentId ? agentSlug.get(String(i.assigneeAgentId)) : undefined,
        project: i.projectId ? projectSlug.get(String(i.projectId)) : undefined,
      },
      String(i.description ?? ""),
    );
    const docs = documents.filter((d) => d.issueId === i.id);
    for (const d of docs) files[`tasks/${slug}/documents/${d.key}.md`] = String(d.latestBody);
    const blockedBy = relations
      .filter((r) => r.relatedIssueId === i.id)
      .map((r) => issueSlug.get(r.issueId))
      .filter(Boolean);
    const taskComments = comments.filter((c) => c.issueId === i.id);
    const taskLabels = issueLabels
      .filter((l) => l.issueId === i.id)
      .map((l) => labelName.get(l.labelId))
      .filter(Boolean);
    extTasks[slug] = {
      identifier: i.identifier,
      status: i.status,
      priority: i.priority,
      parent: i.parentId ? issueSlug.get(String(i.parentId)) : undefined,
      blockedBy: blockedBy.length ? blockedBy : undefined,
      labels: taskLabels.length ? taskLabels.sort() : undefined,
      goal: i.goalId ? goalSlug.get(String(i.goalId)) : undefined,
      projectWorkspaceKey: i.projectWorkspaceId ? workspaceKey.get(String(i.projectWorkspaceId)) : undefined,
      billingCode: i.billingCode,
      comments: taskComments.length
        ? taskComments.map((c) => ({
            authorType: c.authorType,
            authorAgentSlug: c.authorAgentId ? agentSlug.get(String(c.authorAgentId)) : undefined,
            body: c.body,
            createdAt: iso(c.createdAt),
          }))
        : undefined,
      documents: docs.length
        ? docs.map((d) => ({ key: d.key, title: d.title ?? undefined, format: "markdown", path: `tasks/${slug}/documents/${d.key}.md` }))
        : undefined,
      createdAt: iso(i.createdAt),
      updatedAt: iso(i.updatedAt),
      startedAt: iso(i.startedAt),
      completedAt: iso(i.completedAt),
      cancelledAt: iso(i.cancelledAt),
    };
  }
  ext.tasks = extTasks;
  ext.sidebar = { agents: [...agentSlug.values()], projects: [...projectSlug.values()] };
  files[".paperclip.yaml"] = renderYaml(ext);

  return {
    rootPath: companySlug,
    manifest: {
      schemaVersion: READ_SCHEMA_VERSION,
      generatedAt: new Date().toISOString(),
      source: { companyId, companyName: company.name },
      includes: { company: true, agents: true, projects: true, issues: true, skills: false },
      company: { path: "COMPANY.md", name: company.name, description: company.description },
      agents: [...agentSlug.values()].map((slug) => ({ slug, path: `agents/${slug}/AGENTS.md` })),
      projects: [...projectSlug.values()].map((slug) => ({ slug, path: `projects/${slug}/PROJECT.md` })),
      issues: issues.map((i) => ({ slug: issueSlug.get(i.id), identifier: i.identifier, path: `tasks/${issueSlug.get(i.id)}/TASK.md` })),
    },
    files,
    warnings,
    paperclipExtensionPath: ".paperclip.yaml",
  };
}

/** What a package of this company would leave behind, by kind, with counts (zero-count kinds omitted). */
export async function exportFidelity(q: Queryable, companyId: string): Promise<ExportFidelity> {
  const checks: [string, string, string][] = [
    ["runs", "SELECT count(*)::int AS n FROM heartbeat_runs WHERE company_id = $1", "Run history stays in this instance"],
    ["activity", "SELECT count(*)::int AS n FROM activity_log WHERE company_id = $1", "The activity log is not part of a package"],
    ["cost_events", "SELECT count(*)::int AS n FROM cost_events WHERE company_id = $1", "Costs and spend are not part of a package"],
    ["approvals", "SELECT count(*)::int AS n FROM approvals WHERE company_id = $1", "Approvals are not part of a package"],
    [
      "budget_policies",
      "SELECT count(*)::int AS n FROM budget_policies WHERE company_id = $1",
      "Budget policies beyond the monthly budgets are not carried",
    ],
    ["attachments", "SELECT count(*)::int AS n FROM issue_attachments WHERE company_id = $1", "Attachment bytes are not carried"],
    ["work_products", "SELECT count(*)::int AS n FROM issue_work_products WHERE company_id = $1", "Work products are not carried"],
    [
      "document_revisions",
      "SELECT count(*)::int AS n FROM document_revisions r JOIN documents d ON d.id = r.document_id WHERE r.company_id = $1 AND r.id <> d.latest_revision_id",
      "Only the latest revision of a document is carried",
    ],
    [
      "terminated_agents",
      "SELECT count(*)::int AS n FROM agents WHERE company_id = $1 AND status = 'terminated'",
      "Terminated agents are left out",
    ],
    ["agent_api_keys", "SELECT count(*)::int AS n FROM agent_api_keys WHERE company_id = $1", "Agent API keys never leave the instance"],
    [
      "hidden_issues",
      "SELECT count(*)::int AS n FROM issues WHERE company_id = $1 AND hidden_at IS NOT NULL",
      "Hidden issues are left out",
    ],
    [
      "archived_projects",
      "SELECT count(*)::int AS n FROM projects WHERE company_id = $1 AND archived_at IS NOT NULL",
      "Archived projects are left out",
    ],
    ["routines", "SELECT count(*)::int AS n FROM routines WHERE company_id = $1", "Routines are not exported yet"],
    [
      "workspace_cwds",
      "SELECT count(*)::int AS n FROM project_workspaces WHERE company_id = $1 AND cwd IS NOT NULL",
      "Workspace working directories name this machine",
    ],
    [
      "project_execution_policies",
      "SELECT count(*)::int AS n FROM projects WHERE company_id = $1 AND execution_workspace_policy IS NOT NULL",
      "Execution workspace policies are not carried",
    ],
    [
      "agent_metadata",
      "SELECT count(*)::int AS n FROM agents WHERE company_id = $1 AND metadata IS NOT NULL",
      "Agent metadata is not carried",
    ],
    ["secrets", "SELECT count(*)::int AS n FROM company_secrets WHERE company_id = $1", "Secret values never leave the instance"],
    [
      "system_dependent_config",
      "SELECT count(*)::int AS n FROM agents WHERE company_id = $1 AND status <> 'terminated' AND (adapter_config->>'command' LIKE '/%' OR adapter_config->>'cwd' LIKE '/%')",
      "Absolute commands and working directories name this machine and are left out",
    ],
  ];
  const notCarried: ExportFidelity["notCarried"] = [];
  for (const [kind, sql, reason] of checks) {
    const [row] = await q.query<{ n: number }>(sql, [companyId]);
    if (row && row.n > 0) notCarried.push({ kind, count: row.n, reason });
  }
  notCarried.push({ kind: "comment_authors", count: 0, reason: "Board comments keep their author type, not the user who wrote them" });
  return { companyId, notCarried };
}
