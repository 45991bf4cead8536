import path from "node:path";
import { ADAPTER_TYPES, AGENT_ROLES, PortablePackage, type PackageFileContent, type PackageFiles } from "@staple/contracts";
import { invalidPackage, normalizeFiles, parseFrontmatter, parseYamlText, textOf } from "./files.js";

/** The newest `.paperclip.yaml` schemaVersion this reader understands (Paperclip 2026.916.1 writes 7). */
export const READ_SCHEMA_VERSION = 7;

/** What the reader dropped or changed while turning files into a package, for the preview. */
export interface ReadNote {
  kind: string;
  slug: string;
  name: string;
  reason: string;
}

export interface ReadPackage {
  pkg: PortablePackage;
  files: Record<string, PackageFileContent>;
  ignored: ReadNote[];
  warnings: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v : null);
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const slugOf = (file: string) => path.posix.basename(path.posix.dirname(file));
const byName = (suffix: string) => (p: string) => p === suffix || p.endsWith(`/${suffix}`);

/** Adapter config keys that name paths on the exporting machine: dropped, the instructions come from files. */
const MACHINE_PATH_KEYS = ["instructionsFilePath", "instructionsRootPath", "instructionsEntryFile", "cwd"];

/**
 * Turns a package's files into the package model. Paperclip's layout: the markdown files carry names,
 * bodies and references in their frontmatter; `.paperclip.yaml` carries what only Paperclip reads
 * (adapters, budgets, task state). Anything malformed is a 422 naming the file and field.
 */
export function readPackage(raw: PackageFiles): ReadPackage {
  const files = normalizeFiles(raw);
  const ignored: ReadNote[] = [];
  const warnings: string[] = [];
  const company = textOf(files, "COMPANY.md");
  if (company === undefined) throw invalidPackage("The package has no COMPANY.md at its root", { path: "COMPANY.md" });
  const companyDoc = parseFrontmatter(company, "COMPANY.md");
  const extPath = ".paperclip.yaml" in files ? ".paperclip.yaml" : ".paperclip.yml" in files ? ".paperclip.yml" : null;
  const ext = extPath ? obj(parseYamlText(textOf(files, extPath) ?? "", extPath)) : {};
  const schemaVersion = typeof ext.schemaVersion === "number" ? ext.schemaVersion : 1;
  if (schemaVersion > READ_SCHEMA_VERSION) {
    throw invalidPackage(`The package declares schemaVersion ${schemaVersion}; this Staple reads up to ${READ_SCHEMA_VERSION}`, {
      path: extPath,
    });
  }
  const extAgents = obj(ext.agents);
  const extProjects = obj(ext.projects);
  const extTasks = obj(ext.tasks);
  const extCompany = obj(ext.company);
  const paths = Object.keys(files).sort();

  const companyName = str(companyDoc.frontmatter.name) ?? "Imported company";
  const model: Obj = {
    schemaVersion,
    company: {
      slug: str(companyDoc.frontmatter.slug) ?? companyName.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
      name: companyName,
      description: str(companyDoc.frontmatter.description),
      requireBoardApprovalForNewAgents: extCompany.requireBoardApprovalForNewAgents === true,
      brandColor: str(extCompany.brandColor),
      budgetMonthlyCents: typeof extCompany.budgetMonthlyCents === "number" ? extCompany.budgetMonthlyCents : 0,
    },
  };

  model.agents = paths.filter(byName("AGENTS.md")).map((file) => {
    const doc = parseFrontmatter(textOf(files, file) ?? "", file);
    const slug = str(doc.frontmatter.slug) ?? slugOf(file);
    const e = obj(extAgents[slug]);
    const adapter = obj(e.adapter);
    const name = str(doc.frontmatter.name) ?? slug;
    let adapterType = str(adapter.type) ?? "process";
    let adapterConfig = { ...obj(adapter.config) };
    if (!(ADAPTER_TYPES as readonly string[]).includes(adapterType)) {
      ignored.push({
        kind: "adapter",
        slug,
        name,
        reason: `Adapter type '${adapterType}' is not available in Staple; the agent is imported with the process adapter and no command, configure it before it runs`,
      });
      adapterType = "process";
      adapterConfig = {};
    }
    for (const key of MACHINE_PATH_KEYS) {
      if (key in adapterConfig) {
        ignored.push({ kind: "adapter_config", slug, name, reason: `adapterConfig.${key} names a path on the exporting machine` });
        delete adapterConfig[key];
      }
    }
    if (adapterType === "process" && typeof adapterConfig.command !== "string") {
      warnings.push(`Agent ${slug} has no command (system-dependent commands are left out of packages); set one before it runs`);
    }
    let role = str(e.role) ?? str(doc.frontmatter.role) ?? "general";
    if (!(AGENT_ROLES as readonly string[]).includes(role)) {
      ignored.push({ kind: "role", slug, name, reason: `Role '${role}' does not exist in Staple; imported as 'general'` });
      role = "general";
    }
    const dir = path.posix.dirname(file);
    const prefix = dir === "." ? "" : `${dir}/`;
    const extra = paths
      .filter((p) => p !== file && p.startsWith(prefix) && p.endsWith(".md") && !p.slice(prefix.length).includes("/"))
      .map((p) => ({ file: p.slice(prefix.length), body: textOf(files, p) ?? "" }));
    return {
      slug,
      name,
      role,
      title: str(doc.frontmatter.title),
      icon: str(e.icon),
      capabilities: str(e.capabilities),
      reportsToSlug: str(doc.frontmatter.reportsTo) ?? str(e.reportsTo),
      adapterType,
      adapterConfig,
      runtimeConfig: obj(e.runtime),
      permissions: obj(e.permissions),
      budgetMonthlyCents: typeof e.budgetMonthlyCents === "number" ? Math.max(0, Math.floor(e.budgetMonthlyCents)) : 0,
      skills: strList(doc.frontmatter.skills),
      instructions: [{ file: "AGENTS.md", body: doc.body }, ...extra],
    };
  });

  model.skills = paths.filter(byName("SKILL.md")).map((file) => {
    const doc = parseFrontmatter(textOf(files, file) ?? "", file);
    const key = str(doc.frontmatter.key) ?? path.posix.dirname(file).replace(/^skills\//, "");
    const name = str(doc.frontmatter.name) ?? slugOf(file);
    ignored.push({ kind: "skill", slug: key, name, reason: "Staple has no skills; the agents keep their instructions only" });
    return { key, name, path: file };
  });

  model.labels = Array.isArray(ext.labels)
    ? ext.labels.filter(isObj).map((l) => ({ name: str(l.name) ?? "", color: str(l.color) ?? "#6b7280" }))
    : [];

  model.goals = Object.entries(obj(ext.goals)).map(([slug, raw]) => {
    const g = obj(raw);
    return {
      slug,
      title: str(g.title) ?? slug,
      description: str(g.description),
      level: str(g.level) ?? "task",
      status: str(g.status) ?? "planned",
      parentSlug: str(g.parent),
      ownerAgentSlug: str(g.owner),
    };
  });

  model.projects = paths.filter(byName("PROJECT.md")).map((file) => {
    const doc = parseFrontmatter(textOf(files, file) ?? "", file);
    const slug = str(doc.frontmatter.slug) ?? slugOf(file);
    const e = obj(extProjects[slug]);
    return {
      slug,
      name: str(doc.frontmatter.name) ?? slug,
      description: str(doc.frontmatter.description) ?? (doc.body.trimEnd() || null),
      status: str(e.status) ?? "backlog",
      leadAgentSlug: str(e.leadAgentSlug) ?? str(doc.frontmatter.owner),
      goalSlug: str(e.goal),
      targetDate: str(e.targetDate),
      color: str(e.color),
      workspaces: Object.entries(obj(e.workspaces)).map(([key, raw]) => {
        const w = obj(raw);
        for (const cmd of ["setupCommand", "cleanupCommand"]) {
          if (str(w[cmd]))
            ignored.push({ kind: "workspace_command", slug: `${slug}/${key}`, name: key, reason: `${cmd} is system-dependent` });
        }
        return { key, name: str(w.name) ?? key, repoUrl: str(w.repoUrl), repoRef: str(w.repoRef), isPrimary: w.isPrimary === true };
      }),
    };
  });

  model.issues = paths.filter(byName("TASK.md")).map((file) => {
    const doc = parseFrontmatter(textOf(files, file) ?? "", file);
    const slug = str(doc.frontmatter.slug) ?? slugOf(file);
    const e = obj(extTasks[slug]);
    const title = str(doc.frontmatter.name) ?? str(doc.frontmatter.title) ?? slug;
    if (doc.frontmatter.recurring === true || e.routine || obj(doc.frontmatter.schedule).recurrence) {
      ignored.push({ kind: "routine", slug, name: title, reason: "Staple has no routines; the task is imported as a one-off issue" });
    }
    const documents = (Array.isArray(e.documents) ? e.documents : []).filter(isObj).map((d) => {
      const docPath = str(d.path);
      const body = docPath ? textOf(files, docPath) : undefined;
      if (docPath && body === undefined)
        throw invalidPackage(`Task ${slug} names a document file that is missing: ${docPath}`, { path: docPath });
      return { key: str(d.key) ?? "", title: str(d.title), body: body ?? str(d.body) ?? "" };
    });
    const comments = (Array.isArray(e.comments) ? e.comments : []).filter(isObj).map((c) => ({
      body: str(c.body) ?? "",
      authorType: str(c.authorType) ?? "user",
      authorAgentSlug: str(c.authorAgentSlug) ?? str(c.authorAgent),
      createdAt: str(c.createdAt),
    }));
    for (const list of ["attachments", "workProducts"]) {
      if (Array.isArray(e[list]) && e[list].length > 0) {
        ignored.push({ kind: list, slug, name: title, reason: `Task ${list} are not imported (the package carries references only)` });
      }
    }
    return {
      slug,
      identifier: str(e.identifier),
      title,
      description: doc.body.replace(/^\n+/, "").trimEnd() || str(doc.frontmatter.description),
      status: str(e.status) ?? "backlog",
      priority: str(e.priority) ?? "medium",
      projectSlug: str(doc.frontmatter.project),
      workspaceKey: str(e.projectWorkspaceKey),
      goalSlug: str(e.goal),
      assigneeAgentSlug: str(doc.frontmatter.assignee),
      parentSlug: str(e.parent),
      blockedBy: strList(e.blockedBy),
      labelNames: strList(e.labels),
      billingCode: str(e.billingCode),
      comments,
      documents,
      createdAt: str(e.createdAt),
      startedAt: str(e.startedAt),
      completedAt: str(e.completedAt),
      cancelledAt: str(e.cancelledAt),
    };
  });

  const parsed = PortablePackage.safeParse(model);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw invalidPackage(`Invalid package: ${describePath(model, first.path)}: ${first.message}`, {
      issues: parsed.error.issues.slice(0, 20).map((i) => ({ path: describePath(model, i.path), message: i.message })),
    });
  }
  checkReferences(parsed.data);
  return { pkg: parsed.data, files, ignored, warnings };
}

/**
 * A package model built elsewhere (the Paperclip database reader) rather than from files: the same
 * reference checks as a package, no files. The model was validated by the request schema already.
 */
export function packageFromModel(pkg: PortablePackage, ignored: ReadNote[], warnings: string[]): ReadPackage {
  checkReferences(pkg);
  return { pkg, files: {}, ignored, warnings };
}

const SECTION_NAMES: Record<string, string> = {
  agents: "agent",
  issues: "task",
  projects: "project",
  goals: "goal",
  labels: "label",
  skills: "skill",
};

/** `issues[2].status` reads better as `task 'abc-3' status`. */
function describePath(model: Obj, p: PropertyKey[]): string {
  const [section, index, ...rest] = p;
  if (typeof section === "string" && typeof index === "number" && Array.isArray(model[section])) {
    const item = (model[section] as Obj[])[index];
    const label = str(item?.slug) ?? str(item?.name) ?? String(index);
    return `${SECTION_NAMES[section] ?? section} '${label}'${rest.length ? ` ${rest.map(String).join(".")}` : ""}`;
  }
  return p.map(String).join(".");
}

/** Every slug a package refers to must exist in it, and the reporting lines must not loop. */
function checkReferences(pkg: PortablePackage): void {
  const dupes = (kind: string, slugs: string[]) => {
    const seen = new Set<string>();
    for (const s of slugs) {
      if (seen.has(s)) throw invalidPackage(`Duplicate ${kind} '${s}' in the package`);
      seen.add(s);
    }
    return seen;
  };
  const agents = dupes(
    "agent",
    pkg.agents.map((a) => a.slug),
  );
  const projects = dupes(
    "project",
    pkg.projects.map((p) => p.slug),
  );
  const issues = dupes(
    "task",
    pkg.issues.map((i) => i.slug),
  );
  const goals = dupes(
    "goal",
    pkg.goals.map((g) => g.slug),
  );
  const labels = dupes(
    "label",
    pkg.labels.map((l) => l.name.toLowerCase()),
  );
  const need = (set: Set<string>, value: string | null, what: string) => {
    if (value !== null && !set.has(value)) throw invalidPackage(`${what} names '${value}', which is not in the package`);
  };
  for (const a of pkg.agents) need(agents, a.reportsToSlug, `Agent ${a.slug} reportsTo`);
  for (const g of pkg.goals) {
    need(goals, g.parentSlug, `Goal ${g.slug} parent`);
    need(agents, g.ownerAgentSlug, `Goal ${g.slug} owner`);
  }
  for (const p of pkg.projects) {
    need(agents, p.leadAgentSlug, `Project ${p.slug} lead`);
    need(goals, p.goalSlug, `Project ${p.slug} goal`);
  }
  for (const i of pkg.issues) {
    need(projects, i.projectSlug, `Task ${i.slug} project`);
    need(agents, i.assigneeAgentSlug, `Task ${i.slug} assignee`);
    need(issues, i.parentSlug, `Task ${i.slug} parent`);
    need(goals, i.goalSlug, `Task ${i.slug} goal`);
    for (const b of i.blockedBy) {
      need(issues, b, `Task ${i.slug} blockedBy`);
      if (b === i.slug) throw invalidPackage(`Task ${i.slug} is blocked by itself`);
    }
    for (const l of i.labelNames)
      if (!labels.has(l.toLowerCase())) throw invalidPackage(`Task ${i.slug} has label '${l}', which the package does not define`);
    for (const c of i.comments) need(agents, c.authorAgentSlug, `Task ${i.slug} comment author`);
    if (i.workspaceKey && i.projectSlug) {
      const project = pkg.projects.find((p) => p.slug === i.projectSlug)!;
      if (!project.workspaces.some((w) => w.key === i.workspaceKey)) {
        throw invalidPackage(`Task ${i.slug} names workspace '${i.workspaceKey}', which project ${i.projectSlug} does not have`);
      }
    }
  }
  assertAcyclic(
    pkg.agents.map((a) => [a.slug, a.reportsToSlug]),
    "reporting line",
  );
  assertAcyclic(
    pkg.issues.map((i) => [i.slug, i.parentSlug]),
    "task parent chain",
  );
  assertAcyclic(
    pkg.goals.map((g) => [g.slug, g.parentSlug]),
    "goal parent chain",
  );
}

function assertAcyclic(edges: [string, string | null][], what: string): void {
  const up = new Map(edges);
  for (const [start] of edges) {
    let cursor: string | null | undefined = start;
    for (let steps = 0; cursor; steps++) {
      if (steps > edges.length) throw invalidPackage(`The ${what} of '${start}' loops`);
      cursor = up.get(cursor);
    }
  }
}
