import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { CompanyImportResult, ImportCollisionStrategy, PortablePackage } from "@staple/contracts";
import type { Actor } from "../auth/actor.js";
import { recordActivity } from "../activity/record.js";
import { normalizeRuntimeConfig, urlKeyFor } from "../agents/service.js";
import { type Database, PG_UNIQUE_VIOLATION, type Queryable, pgErrorCode } from "../db/database.js";
import { conflict } from "../errors.js";
import { type ImportPlan, type ImportTarget, planImport } from "./plan.js";
import type { ReadPackage } from "./reader.js";

/** Adapters whose runs read `adapterConfig.instructionsFilePath` (runs/prompt.ts). */
const INSTRUCTION_FILE_ADAPTERS = new Set(["claude_local", "codex_local", "gemini_local", "opencode_local", "cursor", "acp_local"]);

/** Where an imported agent's instruction files live: one folder per agent under the Staple home. */
export function instructionsDir(home: string, agentId: string): string {
  return path.join(home, "agent-instructions", agentId);
}

/**
 * Applies a package in one transaction: the company (or the target's row lock), agents with their
 * reporting lines, labels, goals, projects and workspaces, issues with their identifiers, parents,
 * blockers, labels, comments and documents. Any failure rolls everything back, and the instruction
 * files written for the new agents are removed again.
 */
export async function applyImport(
  db: Database,
  home: string,
  actor: Actor,
  read: ReadPackage,
  target: ImportTarget,
  strategy: ImportCollisionStrategy,
): Promise<CompanyImportResult> {
  const [applied] = await applyImports(db, home, actor, [{ read, target, strategy }]);
  return applied!.result;
}

export interface ImportItem {
  read: ReadPackage;
  target: ImportTarget;
  strategy: ImportCollisionStrategy;
  /** Writes more rows for this company inside the same transaction, once its rows exist. */
  after?: (q: Queryable, applied: AppliedImport) => Promise<void>;
}

/** Package slug -> new row id, per kind, for writers that add rows referring to the imported ones. */
export interface AppliedImport {
  result: CompanyImportResult;
  companyId: string;
  agentIds: Map<string, string>;
  issueIds: Map<string, string>;
  projectIds: Map<string, string>;
  goalIds: Map<string, string>;
}

/**
 * Applies several packages in one transaction (all or nothing): each package's rows are written
 * after the previous one's, so a later company sees the earlier one's issue prefix as taken.
 */
export async function applyImports(db: Database, home: string, actor: Actor, items: ImportItem[]): Promise<AppliedImport[]> {
  const agentIdsPerItem = items.map((item) => new Map(item.read.pkg.agents.map((a) => [a.slug, randomUUID()])));
  // Files first (outside the transaction, under fresh ids nothing else refers to); removed on rollback.
  const written: string[] = [];
  let applied: AppliedImport[];
  try {
    for (const [index, item] of items.entries()) {
      for (const agent of item.read.pkg.agents) {
        const dir = instructionsDir(home, agentIdsPerItem[index]!.get(agent.slug)!);
        fs.mkdirSync(dir, { recursive: true });
        written.push(dir);
        for (const file of agent.instructions) fs.writeFileSync(path.join(dir, path.basename(file.file)), file.body);
      }
    }
    applied = await db.tx(async (q) => {
      const applied: AppliedImport[] = [];
      for (const [index, item] of items.entries()) {
        if (item.target.mode === "existing_company")
          await q.query("SELECT id FROM companies WHERE id = $1 FOR UPDATE", [item.target.companyId]);
        const plan = await planImport(q, item.read, item.target, item.strategy);
        const done = await write(q, home, actor, item.read, plan, agentIdsPerItem[index]!);
        if (item.after) await item.after(q, done);
        applied.push(done);
      }
      return applied;
    });
  } catch (error) {
    for (const dir of written) fs.rmSync(dir, { recursive: true, force: true });
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) {
      throw conflict(
        "The import collided with a concurrent change (an issue prefix or agent name); preview again and retry",
        undefined,
        "import_conflict",
      );
    }
    throw error;
  }
  // A replaced agent's files were written to a staging folder (its fresh id's); once the rows are
  // committed they take the place of the agent's own folder. A crash between the two leaves the old
  // files in place with the new configuration: the trade-off for never touching them before commit.
  // A skipped agent's staging folder is not needed at all.
  for (const [index, done] of applied.entries()) {
    for (const agent of done.result.agents) {
      if (agent.action === "created" || !agent.id) continue;
      const staging = instructionsDir(home, agentIdsPerItem[index]!.get(agent.slug)!);
      if (agent.action === "skipped") {
        fs.rmSync(staging, { recursive: true, force: true });
        continue;
      }
      const target = instructionsDir(home, agent.id);
      fs.rmSync(target, { recursive: true, force: true });
      fs.renameSync(staging, target);
    }
  }
  return applied;
}

async function write(
  q: Queryable,
  home: string,
  actor: Actor,
  read: ReadPackage,
  plan: ImportPlan,
  newAgentIds: Map<string, string>,
): Promise<AppliedImport> {
  const pkg: PortablePackage = read.pkg;
  let companyId: string;
  let action: "created" | "updated" = "updated";
  if (plan.target.mode === "new_company") {
    const [row] = await q.query<{ id: string }>(
      `INSERT INTO companies (name, description, issue_prefix, budget_monthly_cents, require_board_approval_for_new_agents, brand_color)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [
        plan.companyName,
        pkg.company.description,
        plan.issuePrefix,
        pkg.company.budgetMonthlyCents,
        pkg.company.requireBoardApprovalForNewAgents,
        pkg.company.brandColor,
      ],
    );
    companyId = row!.id;
    action = "created";
  } else {
    companyId = plan.target.companyId;
  }

  // Agents: every new one inserted, then the reporting lines (a manager may come later in the package).
  const agentIds = new Map<string, string>();
  const agentResults: CompanyImportResult["agents"] = [];
  for (const landing of plan.agents) {
    const agent = pkg.agents.find((a) => a.slug === landing.slug)!;
    if (landing.existingId && !landing.replace) {
      agentIds.set(agent.slug, landing.existingId);
      agentResults.push({ slug: agent.slug, id: landing.existingId, name: landing.name, action: "skipped" });
      continue;
    }
    if (landing.existingId) {
      // Replace: the existing row keeps its id, name, status and history; the package's configuration wins.
      const id = landing.existingId;
      const dir = instructionsDir(home, id);
      const adapterConfig = { ...agent.adapterConfig };
      if (INSTRUCTION_FILE_ADAPTERS.has(agent.adapterType)) adapterConfig.instructionsFilePath = path.join(dir, "AGENTS.md");
      const metadata = { instructions: { dir, files: agent.instructions.map((f) => f.file) }, importedFrom: { slug: agent.slug } };
      await q.query(
        `UPDATE agents SET role = $2, title = $3, icon = $4, capabilities = $5, adapter_type = $6, adapter_config = $7::jsonb,
           runtime_config = $8::jsonb, budget_monthly_cents = $9, permissions = $10::jsonb,
           metadata = COALESCE(metadata, '{}'::jsonb) || $11::jsonb, updated_at = now()
         WHERE id = $1`,
        [
          id,
          agent.role,
          agent.title,
          agent.icon,
          agent.capabilities,
          agent.adapterType,
          JSON.stringify(adapterConfig),
          JSON.stringify(normalizeRuntimeConfig(agent.runtimeConfig)),
          agent.budgetMonthlyCents,
          JSON.stringify({ canCreateAgents: false, ...agent.permissions }),
          JSON.stringify(metadata),
        ],
      );
      agentIds.set(agent.slug, id);
      agentResults.push({ slug: agent.slug, id, name: landing.name, action: "replaced" });
      continue;
    }
    const id = newAgentIds.get(agent.slug)!;
    const dir = instructionsDir(home, id);
    const adapterConfig = { ...agent.adapterConfig };
    if (INSTRUCTION_FILE_ADAPTERS.has(agent.adapterType)) adapterConfig.instructionsFilePath = path.join(dir, "AGENTS.md");
    const metadata = { instructions: { dir, files: agent.instructions.map((f) => f.file) }, importedFrom: { slug: agent.slug } };
    await q.query(
      `INSERT INTO agents (id, company_id, name, url_key, role, title, icon, capabilities, adapter_type, adapter_config,
         runtime_config, budget_monthly_cents, permissions, metadata, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $13::jsonb, $14::jsonb, 'idle')`,
      [
        id,
        companyId,
        landing.name,
        urlKeyFor(landing.name),
        agent.role,
        agent.title,
        agent.icon,
        agent.capabilities,
        agent.adapterType,
        JSON.stringify(adapterConfig),
        JSON.stringify(normalizeRuntimeConfig(agent.runtimeConfig)),
        agent.budgetMonthlyCents,
        JSON.stringify({ canCreateAgents: false, ...agent.permissions }),
        JSON.stringify(metadata),
      ],
    );
    agentIds.set(agent.slug, id);
    agentResults.push({ slug: agent.slug, id, name: landing.name, action: "created" });
  }
  for (const agent of pkg.agents) {
    const landing = plan.agents.find((l) => l.slug === agent.slug)!;
    // A replaced agent takes the package's reporting line, none included; a skipped one keeps its own.
    if (landing.existingId && !landing.replace) continue;
    if (!agent.reportsToSlug && !landing.replace) continue;
    await q.query("UPDATE agents SET reports_to = $2 WHERE id = $1", [
      agentIds.get(agent.slug),
      agent.reportsToSlug ? agentIds.get(agent.reportsToSlug) : null,
    ]);
  }
  const agentId = (slug: string | null) => (slug ? (agentIds.get(slug) ?? null) : null);

  // Labels: an existing label of the same name (any case) is reused.
  const labelIds = new Map<string, string>();
  for (const label of pkg.labels) {
    const [row] = await q.query<{ id: string }>(
      `WITH found AS (SELECT id FROM labels WHERE company_id = $1 AND lower(name) = lower($2)),
            ins AS (INSERT INTO labels (company_id, name, color) SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id)
       SELECT id FROM found UNION ALL SELECT id FROM ins`,
      [companyId, label.name, label.color],
    );
    labelIds.set(label.name.toLowerCase(), row!.id);
  }

  const goalIds = new Map<string, string>();
  for (const goal of pkg.goals) {
    const [row] = await q.query<{ id: string }>(
      "INSERT INTO goals (company_id, title, description, level, status, owner_agent_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
      [companyId, goal.title, goal.description, goal.level, goal.status, agentId(goal.ownerAgentSlug)],
    );
    goalIds.set(goal.slug, row!.id);
  }
  for (const goal of pkg.goals) {
    if (goal.parentSlug)
      await q.query("UPDATE goals SET parent_id = $2 WHERE id = $1", [goalIds.get(goal.slug), goalIds.get(goal.parentSlug)]);
  }
  const goalId = (slug: string | null) => (slug ? (goalIds.get(slug) ?? null) : null);

  const projectIds = new Map<string, string>();
  const workspaceIds = new Map<string, string>();
  const projectResults: CompanyImportResult["projects"] = [];
  for (const project of pkg.projects) {
    const [row] = await q.query<{ id: string }>(
      `INSERT INTO projects (company_id, goal_id, name, description, status, lead_agent_id, target_date, color)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [
        companyId,
        goalId(project.goalSlug),
        project.name,
        project.description,
        project.status,
        agentId(project.leadAgentSlug),
        project.targetDate,
        project.color,
      ],
    );
    projectIds.set(project.slug, row!.id);
    projectResults.push({ slug: project.slug, id: row!.id });
    for (const w of project.workspaces) {
      const [ws] = await q.query<{ id: string }>(
        `INSERT INTO project_workspaces (company_id, project_id, name, repo_url, repo_ref, is_primary)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [companyId, row!.id, w.name, w.repoUrl, w.repoRef, w.isPrimary],
      );
      workspaceIds.set(`${project.slug}/${w.key}`, ws!.id);
    }
  }

  const issueIds = new Map<string, string>();
  const issueResults: CompanyImportResult["issues"] = [];
  const boardUser = actor.kind === "board" ? actor.userId : null;
  for (const issue of pkg.issues) {
    const number = plan.issueNumbers.get(issue.slug)!;
    const identifier = `${plan.issuePrefix}-${number}`;
    const [row] = await q.query<{ id: string }>(
      `INSERT INTO issues (company_id, project_id, project_workspace_id, goal_id, title, description, status, priority,
         assignee_agent_id, created_by_user_id, issue_number, identifier, billing_code, created_at, updated_at,
         started_at, completed_at, cancelled_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, COALESCE($14::timestamptz, now()), now(), $15, $16, $17)
       RETURNING id`,
      [
        companyId,
        issue.projectSlug ? projectIds.get(issue.projectSlug) : null,
        issue.projectSlug && issue.workspaceKey ? (workspaceIds.get(`${issue.projectSlug}/${issue.workspaceKey}`) ?? null) : null,
        goalId(issue.goalSlug),
        issue.title,
        issue.description,
        issue.status,
        issue.priority,
        agentId(issue.assigneeAgentSlug),
        boardUser,
        number,
        identifier,
        issue.billingCode,
        issue.createdAt,
        issue.startedAt,
        issue.completedAt,
        issue.cancelledAt,
      ],
    );
    issueIds.set(issue.slug, row!.id);
    issueResults.push({ slug: issue.slug, id: row!.id, identifier });
  }
  await q.query(
    "UPDATE companies SET issue_counter = GREATEST(issue_counter, COALESCE((SELECT max(issue_number) FROM issues WHERE company_id = $1), 0)) WHERE id = $1",
    [companyId],
  );

  for (const issue of pkg.issues) {
    const id = issueIds.get(issue.slug)!;
    if (issue.parentSlug) await q.query("UPDATE issues SET parent_id = $2 WHERE id = $1", [id, issueIds.get(issue.parentSlug)]);
    for (const blocker of issue.blockedBy) {
      // "A blocks B" is the row (issue_id = A, related_issue_id = B).
      await q.query(
        "INSERT INTO issue_relations (company_id, issue_id, related_issue_id, type, created_by_user_id) VALUES ($1, $2, $3, 'blocks', $4) ON CONFLICT DO NOTHING",
        [companyId, issueIds.get(blocker), id, boardUser],
      );
    }
    for (const name of new Set(issue.labelNames.map((n) => n.toLowerCase()))) {
      await q.query("INSERT INTO issue_labels (issue_id, label_id, company_id) VALUES ($1, $2, $3)", [id, labelIds.get(name), companyId]);
    }
    for (const c of issue.comments) {
      await q.query(
        `INSERT INTO issue_comments (company_id, issue_id, author_agent_id, author_user_id, author_type, body, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7::timestamptz, now()), COALESCE($7::timestamptz, now()))`,
        [companyId, id, agentId(c.authorAgentSlug), c.authorType === "user" ? boardUser : null, c.authorType, c.body, c.createdAt],
      );
    }
    for (const d of issue.documents) {
      const [doc] = await q.query<{ id: string }>(
        "INSERT INTO documents (company_id, title, format, latest_body, latest_revision_number) VALUES ($1, $2, 'markdown', $3, 1) RETURNING id",
        [companyId, d.title, d.body],
      );
      const [rev] = await q.query<{ id: string }>(
        `INSERT INTO document_revisions (company_id, document_id, revision_number, title, body, change_summary, created_by_user_id)
         VALUES ($1, $2, 1, $3, $4, 'Imported', $5) RETURNING id`,
        [companyId, doc!.id, d.title, d.body, boardUser],
      );
      await q.query("UPDATE documents SET latest_revision_id = $2 WHERE id = $1", [doc!.id, rev!.id]);
      await q.query("INSERT INTO issue_documents (company_id, issue_id, document_id, key) VALUES ($1, $2, $3, $4)", [
        companyId,
        id,
        doc!.id,
        d.key,
      ]);
    }
  }

  await recordActivity(q, {
    companyId,
    actor,
    action: "company.imported",
    entityType: "company",
    entityId: companyId,
    details: {
      source: pkg.company.slug,
      agents: agentResults.filter((a) => a.action === "created").length,
      projects: projectResults.length,
      issues: issueResults.length,
    },
  });
  const result: CompanyImportResult = {
    company: { id: companyId, name: plan.companyName, issuePrefix: plan.issuePrefix, action },
    agents: agentResults,
    projects: projectResults,
    issues: issueResults,
    ignored: plan.preview.ignored,
    warnings: plan.preview.warnings,
  };
  return { result, companyId, agentIds, issueIds, projectIds, goalIds };
}
