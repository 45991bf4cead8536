import type { CompanyImportPreview, ImportCollisionStrategy, ImportPlanItem, PortablePackage } from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import { baseIssuePrefix, nextFreeIssuePrefix } from "../companies/issue-prefix.js";
import { notFound } from "../errors.js";
import type { ReadPackage } from "./reader.js";

export type ImportTarget = { mode: "new_company"; newCompanyName?: string | null } | { mode: "existing_company"; companyId: string };

/**
 * How each package agent lands: a new agent under `name`, or the existing agent `existingId`, as it
 * is (skip) or reconfigured from the package (replace).
 */
export interface AgentLanding {
  slug: string;
  name: string;
  existingId: string | null;
  replace: boolean;
}

export interface ImportPlan {
  target: ImportTarget;
  companyName: string;
  issuePrefix: string;
  /** Package slug -> issue number in the target company. */
  issueNumbers: Map<string, number>;
  agents: AgentLanding[];
  preview: CompanyImportPreview;
}

/** The `PREFIX` of `PREFIX-12`, and the most common one when a package mixes them. */
function packagePrefix(pkg: PortablePackage): string | null {
  const counts = new Map<string, number>();
  for (const issue of pkg.issues) {
    const prefix = issue.identifier?.split("-")[0];
    if (prefix) counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

/**
 * Works out what an import will do, reading the target's current state only (no writes): the same
 * plan is the preview's answer and the apply's instructions, so apply does exactly what preview said
 * (apply recomputes it inside its transaction, under the company row lock).
 */
export async function planImport(
  q: Queryable,
  read: ReadPackage,
  target: ImportTarget,
  strategy: ImportCollisionStrategy,
): Promise<ImportPlan> {
  const { pkg } = read;
  const conflicts: ImportPlanItem[] = [];
  const warnings = [...read.warnings];
  let companyName = pkg.company.name;
  let issuePrefix: string;
  let companyId: string | null = null;
  let counter = 0;
  const existingAgents = new Map<string, string>();
  const issueNumbers = new Map<string, number>();
  const wanted = packagePrefix(pkg);

  if (target.mode === "existing_company") {
    const [company] = await q.query<{ id: string; name: string; issuePrefix: string; issueCounter: number }>(
      "SELECT id, name, issue_prefix, GREATEST(issue_counter, COALESCE((SELECT max(issue_number) FROM issues WHERE company_id = $1), 0)) AS issue_counter FROM companies WHERE id = $1",
      [target.companyId],
    );
    if (!company) throw notFound("Company not found");
    companyId = company.id;
    companyName = company.name;
    issuePrefix = company.issuePrefix;
    counter = company.issueCounter;
    for (const a of await q.query<{ id: string; nameKey: string }>(
      "SELECT id, name_key FROM agents WHERE company_id = $1 AND status <> 'terminated'",
      [company.id],
    )) {
      existingAgents.set(a.nameKey, a.id);
    }
    if (wanted && wanted !== issuePrefix) {
      conflicts.push({
        kind: "issue_prefix",
        slug: wanted,
        name: wanted,
        reason: `The company's issue prefix is ${issuePrefix}; imported tasks are numbered after its existing issues`,
      });
    }
    for (const issue of pkg.issues) issueNumbers.set(issue.slug, ++counter);
  } else {
    companyName = target.newCompanyName?.trim() || pkg.company.name;
    const base = wanted ?? baseIssuePrefix(companyName);
    const taken = await q.query<{ issuePrefix: string }>("SELECT issue_prefix FROM companies WHERE issue_prefix LIKE $1 || '%'", [base]);
    issuePrefix = nextFreeIssuePrefix(base, new Set(taken.map((t) => t.issuePrefix)));
    if (issuePrefix !== base) {
      conflicts.push({
        kind: "issue_prefix",
        slug: base,
        name: base,
        reason: `Issue prefix ${base} is used by another company; the imported issues get ${issuePrefix}-<number>`,
      });
    }
    // Numbers from the identifiers when they are distinct; tasks without one follow the highest.
    const used = new Set<number>();
    for (const issue of pkg.issues) {
      const n = issue.identifier ? Number(issue.identifier.split("-")[1]) : Number.NaN;
      if (Number.isSafeInteger(n) && n > 0 && n <= 2_147_483_647 && !used.has(n)) {
        used.add(n);
        issueNumbers.set(issue.slug, n);
      }
    }
    counter = Math.max(0, ...used);
    for (const issue of pkg.issues) if (!issueNumbers.has(issue.slug)) issueNumbers.set(issue.slug, ++counter);
  }

  const agents: AgentLanding[] = [];
  const takenNames = new Set(existingAgents.keys());
  for (const agent of pkg.agents) {
    const key = agent.name.trim().toLowerCase();
    const existing = existingAgents.get(key);
    if (existing && strategy !== "rename") {
      conflicts.push({
        kind: "agent_name",
        slug: agent.slug,
        name: agent.name,
        reason:
          strategy === "skip"
            ? "An agent with this name exists; the import uses it instead"
            : "An agent with this name exists; the import replaces its role, adapter and configuration, budget, permissions, reporting line and instructions",
      });
      agents.push({ slug: agent.slug, name: agent.name, existingId: existing, replace: strategy === "replace" });
      continue;
    }
    let name = agent.name;
    for (let n = 2; takenNames.has(name.trim().toLowerCase()) && n < 1000; n++) name = `${agent.name} ${n}`;
    if (name !== agent.name) {
      conflicts.push({
        kind: "agent_name",
        slug: agent.slug,
        name: agent.name,
        reason: `An agent with this name exists; imported as '${name}'`,
      });
    }
    takenNames.add(name.trim().toLowerCase());
    agents.push({ slug: agent.slug, name, existingId: null, replace: false });
  }

  const create: ImportPlanItem[] = [];
  if (target.mode === "new_company") create.push({ kind: "company", slug: pkg.company.slug, name: companyName });
  for (const landing of agents) if (!landing.existingId) create.push({ kind: "agent", slug: landing.slug, name: landing.name });
  for (const label of pkg.labels) create.push({ kind: "label", slug: label.name, name: label.name });
  for (const goal of pkg.goals) create.push({ kind: "goal", slug: goal.slug, name: goal.title });
  for (const project of pkg.projects) {
    create.push({ kind: "project", slug: project.slug, name: project.name });
    for (const w of project.workspaces) create.push({ kind: "workspace", slug: `${project.slug}/${w.key}`, name: w.name });
  }
  for (const issue of pkg.issues) {
    create.push({ kind: "issue", slug: issue.slug, name: `${issuePrefix}-${issueNumbers.get(issue.slug)} ${issue.title}` });
    for (const [i, c] of issue.comments.entries())
      create.push({ kind: "comment", slug: `${issue.slug}#${i + 1}`, name: c.body.slice(0, 80) });
    for (const d of issue.documents) create.push({ kind: "document", slug: `${issue.slug}/${d.key}`, name: d.title ?? d.key });
    for (const b of issue.blockedBy) create.push({ kind: "blocker", slug: `${b}->${issue.slug}`, name: `${b} blocks ${issue.slug}` });
  }
  return {
    target,
    companyName,
    issuePrefix,
    issueNumbers,
    agents,
    preview: {
      target: { mode: target.mode, companyId, companyName },
      issuePrefix,
      create,
      ignored: read.ignored,
      conflicts,
      warnings,
    },
  };
}
