import {
  ADAPTER_TYPES,
  AGENT_ROLES,
  AGENT_STATUSES,
  APPROVAL_STATUSES,
  APPROVAL_TYPES,
  BILLING_TYPES,
  GOAL_LEVELS,
  GOAL_STATUSES,
  ISSUE_PRIORITIES,
  ISSUE_STATUSES,
  type ImportPlanItem,
  MAX_CONCURRENT_RUNS_MAX,
  type PaperclipDbCompany,
  type PaperclipDbImportBody,
  PROJECT_STATUSES,
  TERMINAL_RUN_STATUSES,
} from "@staple/contracts";

/** Rows per Paperclip table, snake_case columns as the database has them (absent tables are empty). */
export type PaperclipRows = Record<string, Record<string, unknown>[]>;
/** Instruction files per Paperclip agent id (read from disk by the caller; missing when unreadable). */
export type InstructionFiles = Map<string, { file: string; body: string }[]>;

type Row = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v : null);
const obj = (v: unknown): Record<string, unknown> | null =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) ? (v as Record<string, unknown>) : null;
const num = (v: unknown): number => {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : typeof v === "bigint" ? Number(v) : 0;
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
};
const int32 = (v: unknown) => Math.min(num(v), 2_147_483_647);
/** Timestamps as ISO 8601 (pg gives Date objects for timestamptz; text is passed through when it parses). */
const iso = (v: unknown): string | null => {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v === "string" && !Number.isNaN(Date.parse(v))) return new Date(v).toISOString();
  return null;
};
const oneOf = <T extends string>(list: readonly T[], v: unknown): T | null =>
  typeof v === "string" && (list as readonly string[]).includes(v) ? (v as T) : null;

/** Adapter config keys that point at Paperclip's own instruction files: the files are copied instead. */
const INSTRUCTION_PATH_KEYS = ["instructionsFilePath", "instructionsRootPath", "instructionsEntryFile", "instructionsBundleMode"];

/**
 * Turns a Paperclip installation's rows into the import document, one entry per company. Values
 * Staple cannot hold are mapped to the nearest it can and named in `ignored` with the reason; rows
 * that cannot come over at all are counted there too. Pure: the caller reads rows and files.
 */
export function convertPaperclipRows(
  rows: PaperclipRows,
  instructions: InstructionFiles,
  source: { version: string | null; location: string },
): PaperclipDbImportBody {
  const t = (name: string) => rows[name] ?? [];
  const companies = t("companies").map((company) => convertCompany(company, t, instructions));
  return { source, companies };
}

function convertCompany(company: Row, all: (name: string) => Row[], instructions: InstructionFiles): PaperclipDbCompany {
  const cid = String(company.id);
  const t = (name: string) => all(name).filter((r) => String(r.company_id) === cid);
  const ignored: ImportPlanItem[] = [];
  const warnings: string[] = [];
  const note = (kind: string, slug: string, name: string, reason: string) => ignored.push({ kind, slug, name, reason });

  const agentRows = t("agents");
  const agentIds = new Set(agentRows.map((a) => String(a.id)));
  const agentRef = (v: unknown) => (typeof v === "string" && agentIds.has(v) ? v : null);
  const agents = agentRows.map((a) => {
    const slug = String(a.id);
    const name = str(a.name)?.trim().slice(0, 200) ?? slug;
    let role = oneOf(AGENT_ROLES, a.role);
    if (!role) {
      note("role", slug, name, `Role '${String(a.role)}' does not exist in Staple; imported as 'general'`);
      role = "general";
    }
    let adapterType = oneOf(ADAPTER_TYPES, a.adapter_type);
    let adapterConfig: Record<string, unknown> = { ...(obj(a.adapter_config) ?? {}) };
    if (!adapterType) {
      note(
        "adapter",
        slug,
        name,
        `Adapter type '${String(a.adapter_type)}' is not available in Staple; imported with the process adapter and no command`,
      );
      adapterType = "process";
      adapterConfig = {};
    }
    for (const key of INSTRUCTION_PATH_KEYS) delete adapterConfig[key];
    const runtimeConfig = obj(a.runtime_config) ?? {};
    const maxRuns = obj(runtimeConfig.heartbeat)?.maxConcurrentRuns;
    if (typeof maxRuns === "number" && maxRuns > MAX_CONCURRENT_RUNS_MAX) {
      warnings.push(`Agent ${name}: heartbeat maxConcurrentRuns ${maxRuns} becomes ${MAX_CONCURRENT_RUNS_MAX}, Staple's limit`);
    }
    const files = instructions.get(slug);
    if (!files) warnings.push(`Agent ${name}: its instruction files could not be read; it is imported without instructions`);
    return {
      slug,
      name,
      role,
      title: str(a.title),
      icon: str(a.icon),
      capabilities: str(a.capabilities),
      reportsToSlug: agentRef(a.reports_to),
      adapterType,
      adapterConfig,
      runtimeConfig,
      permissions: obj(a.permissions) ?? {},
      budgetMonthlyCents: int32(a.budget_monthly_cents),
      skills: [],
      instructions: files && files.length > 0 ? files : [{ file: "AGENTS.md", body: "" }],
    };
  });

  const goalRows = t("goals");
  const goalIds = new Set(goalRows.map((g) => String(g.id)));
  const goalRef = (v: unknown) => (typeof v === "string" && goalIds.has(v) ? v : null);
  const goals = goalRows.map((g) => ({
    slug: String(g.id),
    title: str(g.title) ?? "Untitled goal",
    description: str(g.description),
    level: oneOf(GOAL_LEVELS, g.level) ?? "task",
    status: oneOf(GOAL_STATUSES, g.status) ?? "planned",
    parentSlug: goalRef(g.parent_id),
    ownerAgentSlug: agentRef(g.owner_agent_id),
  }));

  const projectGoal = new Map<string, string>();
  for (const pg of t("project_goals")) if (goalRef(pg.goal_id)) projectGoal.set(String(pg.project_id), String(pg.goal_id));
  const workspaceRows = t("project_workspaces");
  const projectRows = t("projects");
  const projectIds = new Set(projectRows.map((p) => String(p.id)));
  const projects = projectRows.map((p) => {
    const slug = String(p.id);
    let status = oneOf(PROJECT_STATUSES, p.status);
    if (!status) {
      note("project_status", slug, String(p.name), `Project status '${String(p.status)}' does not exist in Staple; imported as 'backlog'`);
      status = "backlog";
    }
    const target = p.target_date instanceof Date ? iso(p.target_date)?.slice(0, 10) : str(p.target_date)?.slice(0, 10);
    return {
      slug,
      name: str(p.name) ?? "Untitled project",
      description: str(p.description),
      status,
      leadAgentSlug: agentRef(p.lead_agent_id),
      goalSlug: goalRef(p.goal_id) ?? projectGoal.get(slug) ?? null,
      targetDate: target && /^\d{4}-\d{2}-\d{2}$/.test(target) ? target : null,
      color: str(p.color),
      workspaces: workspaceRows
        .filter((w) => String(w.project_id) === slug)
        .map((w) => {
          for (const cmd of ["setup_command", "cleanup_command"]) {
            if (str(w[cmd])) note("workspace_command", String(w.id), String(w.name), `${cmd} is system-dependent`);
          }
          return {
            key: String(w.id),
            name: str(w.name) ?? "workspace",
            repoUrl: str(w.repo_url),
            repoRef: str(w.repo_ref) ?? str(w.default_ref),
            isPrimary: w.is_primary === true,
          };
        }),
    };
  });
  const workspaceProject = new Map(workspaceRows.map((w) => [String(w.id), String(w.project_id)]));

  const labelRows = t("labels");
  const labelNames = new Map<string, string>();
  const labels: { name: string; color: string }[] = [];
  for (const l of labelRows) {
    const name = (str(l.name) ?? "label").trim().slice(0, 48);
    if (labels.some((x) => x.name.toLowerCase() === name.toLowerCase())) continue;
    labels.push({ name, color: typeof l.color === "string" && /^#[0-9a-fA-F]{6}$/.test(l.color) ? l.color : "#6b7280" });
    labelNames.set(String(l.id), name);
  }
  for (const l of labelRows) if (!labelNames.has(String(l.id))) labelNames.set(String(l.id), (str(l.name) ?? "label").trim().slice(0, 48));

  const issueRows = t("issues");
  const issueIds = new Set(issueRows.map((i) => String(i.id)));
  const issueRef = (v: unknown) => (typeof v === "string" && issueIds.has(v) ? v : null);
  const blockedBy = new Map<string, string[]>();
  for (const r of t("issue_relations")) {
    if (r.type !== "blocks" || !issueRef(r.issue_id) || !issueRef(r.related_issue_id) || r.issue_id === r.related_issue_id) continue;
    const list = blockedBy.get(String(r.related_issue_id)) ?? [];
    if (!list.includes(String(r.issue_id))) list.push(String(r.issue_id));
    blockedBy.set(String(r.related_issue_id), list);
  }
  const issueLabels = new Map<string, string[]>();
  for (const il of t("issue_labels")) {
    const name = labelNames.get(String(il.label_id));
    if (!name) continue;
    const list = issueLabels.get(String(il.issue_id)) ?? [];
    if (!list.includes(name)) list.push(name);
    issueLabels.set(String(il.issue_id), list);
  }
  const documents = new Map(t("documents").map((d) => [String(d.id), d]));
  const issueDocs = new Map<string, { key: string; title: string | null; body: string }[]>();
  for (const link of t("issue_documents")) {
    const doc = documents.get(String(link.document_id));
    if (!doc) continue;
    const key =
      String(link.key ?? "")
        .toLowerCase()
        .replace(/[^a-z0-9_-]+/g, "-")
        .replace(/^[^a-z0-9]+/, "")
        .slice(0, 64) || "document";
    const list = issueDocs.get(String(link.issue_id)) ?? [];
    if (list.some((d) => d.key === key)) continue;
    list.push({ key, title: str(doc.title), body: typeof doc.latest_body === "string" ? doc.latest_body : "" });
    issueDocs.set(String(link.issue_id), list);
  }
  const comments = new Map<string, PaperclipDbCompany["package"]["issues"][number]["comments"]>();
  for (const c of t("issue_comments").sort((a, b) => String(iso(a.created_at)).localeCompare(String(iso(b.created_at))))) {
    if (c.deleted_at || !str(c.body)) continue;
    const authorAgent = agentRef(c.author_agent_id);
    const authorType = oneOf(["user", "agent", "system"] as const, c.author_type) ?? (authorAgent ? "agent" : "user");
    const list = comments.get(String(c.issue_id)) ?? [];
    list.push({ body: String(c.body), authorType, authorAgentSlug: authorAgent, createdAt: iso(c.created_at) });
    comments.set(String(c.issue_id), list);
  }
  const usedNumbers = new Set<string>();
  const issues = issueRows.map((i) => {
    const slug = String(i.id);
    const title = str(i.title) ?? "Untitled issue";
    let status = oneOf(ISSUE_STATUSES, i.status);
    if (!status) {
      note("issue_status", slug, title, `Issue status '${String(i.status)}' does not exist in Staple; imported as 'todo'`);
      status = "todo";
    }
    if (str(i.assignee_user_id)) note("issue_user_assignee", slug, title, "Assigned to a Paperclip user; users are not imported");
    const identifier = typeof i.identifier === "string" && /^[A-Z]+-\d+$/.test(i.identifier) ? i.identifier : null;
    if (identifier) usedNumbers.add(identifier);
    const projectSlug = typeof i.project_id === "string" && projectIds.has(i.project_id) ? i.project_id : null;
    const ws = typeof i.project_workspace_id === "string" ? i.project_workspace_id : null;
    return {
      slug,
      identifier,
      title,
      description: str(i.description),
      status,
      priority: oneOf(ISSUE_PRIORITIES, i.priority) ?? "medium",
      projectSlug,
      workspaceKey: ws && projectSlug && workspaceProject.get(ws) === projectSlug ? ws : null,
      goalSlug: goalRef(i.goal_id),
      assigneeAgentSlug: agentRef(i.assignee_agent_id),
      parentSlug: issueRef(i.parent_id) === slug ? null : issueRef(i.parent_id),
      blockedBy: blockedBy.get(slug) ?? [],
      labelNames: issueLabels.get(slug) ?? [],
      billingCode: str(i.billing_code),
      comments: comments.get(slug) ?? [],
      documents: issueDocs.get(slug) ?? [],
      createdAt: iso(i.created_at),
      startedAt: iso(i.started_at),
      completedAt: iso(i.completed_at),
      cancelledAt: iso(i.cancelled_at),
    };
  });

  const runRows = t("heartbeat_runs");
  const runIds = new Set(runRows.map((r) => String(r.id)));
  const runRef = (v: unknown) => (typeof v === "string" && runIds.has(v) ? v : null);
  const runs = runRows
    .filter((r) => agentRef(r.agent_id))
    .map((r) => {
      const terminal = oneOf(TERMINAL_RUN_STATUSES, r.status);
      const snapshot = obj(r.context_snapshot);
      return {
        sourceId: String(r.id),
        agentSlug: String(r.agent_id),
        issueSlug: issueRef(r.issue_id) ?? issueRef(snapshot?.issueId),
        invocationSource: oneOf(["timer", "assignment", "on_demand", "automation"] as const, r.invocation_source) ?? "on_demand",
        triggerDetail: str(r.trigger_detail),
        status: terminal ?? ("cancelled" as const),
        startedAt: iso(r.started_at),
        finishedAt: iso(r.finished_at) ?? (terminal ? null : iso(r.updated_at)),
        createdAt: iso(r.created_at),
        error: terminal ? str(r.error) : `Imported from Paperclip while ${String(r.status)}`,
        errorCode: terminal ? str(r.error_code) : "imported_unfinished",
        exitCode: typeof r.exit_code === "number" ? r.exit_code : null,
        usage: obj(r.usage_json),
        result: obj(r.result_json),
        stdoutExcerpt: str(r.stdout_excerpt),
        stderrExcerpt: str(r.stderr_excerpt),
      };
    });
  const unfinished = runRows.filter((r) => !oneOf(TERMINAL_RUN_STATUSES, r.status)).length;
  if (unfinished) warnings.push(`${unfinished} run(s) were not finished in Paperclip; they are imported as cancelled history`);
  const runLogs = runRows.filter((r) => str(r.log_ref)).length;
  if (runLogs)
    note(
      "run_logs",
      "heartbeat_runs",
      `${runLogs} run logs`,
      "Full run logs stay in Paperclip's files; the runs keep their output excerpts",
    );

  const activity = t("activity_log").map((a) => ({
    actorType: oneOf(["user", "agent", "system"] as const, a.actor_type) ?? "system",
    actorId: String(a.actor_id ?? ""),
    action: str(a.action) ?? "unknown",
    entityType: str(a.entity_type) ?? "unknown",
    entityId: String(a.entity_id ?? ""),
    agentSlug: agentRef(a.agent_id),
    runSourceId: runRef(a.run_id),
    details: obj(a.details),
    createdAt: iso(a.created_at),
  }));

  const costEvents = t("cost_events").map((c) => ({
    agentSlug: agentRef(c.agent_id),
    issueSlug: issueRef(c.issue_id),
    projectSlug: typeof c.project_id === "string" && projectIds.has(c.project_id) ? c.project_id : null,
    goalSlug: goalRef(c.goal_id),
    runSourceId: runRef(c.heartbeat_run_id),
    billingCode: str(c.billing_code),
    provider: str(c.provider),
    biller: str(c.biller) ?? "unknown",
    billingType: oneOf(BILLING_TYPES, c.billing_type) ?? "unknown",
    model: str(c.model),
    inputTokens: num(c.input_tokens),
    cachedInputTokens: num(c.cached_input_tokens),
    outputTokens: num(c.output_tokens),
    costCents: int32(c.cost_cents),
    occurredAt: iso(c.occurred_at),
  }));

  const approvalIssues = new Map<string, string[]>();
  for (const ia of t("issue_approvals")) {
    if (!issueRef(ia.issue_id)) continue;
    const list = approvalIssues.get(String(ia.approval_id)) ?? [];
    list.push(String(ia.issue_id));
    approvalIssues.set(String(ia.approval_id), list);
  }
  const approvalComments = t("approval_comments");
  const approvals: PaperclipDbCompany["history"]["approvals"] = [];
  for (const a of t("approvals")) {
    const type = oneOf(APPROVAL_TYPES, a.type);
    if (!type) {
      note("approval", String(a.id), String(a.type), `Approval type '${String(a.type)}' does not exist in Staple`);
      continue;
    }
    approvals.push({
      sourceId: String(a.id),
      type,
      requestedByAgentSlug: agentRef(a.requested_by_agent_id),
      requestedByUserId: str(a.requested_by_user_id),
      status: oneOf(APPROVAL_STATUSES, a.status) ?? "pending",
      payload: obj(a.payload),
      decisionNote: str(a.decision_note),
      decidedByUserId: str(a.decided_by_user_id),
      decidedAt: iso(a.decided_at),
      createdAt: iso(a.created_at),
      issueSlugs: approvalIssues.get(String(a.id)) ?? [],
      comments: approvalComments
        .filter((c) => String(c.approval_id) === String(a.id) && str(c.body))
        .map((c) => ({
          body: String(c.body),
          authorAgentSlug: agentRef(c.author_agent_id),
          authorUserId: str(c.author_user_id),
          createdAt: iso(c.created_at),
        })),
    });
  }

  const name = str(company.name)?.trim() ?? "Imported company";
  return {
    sourceId: cid,
    package: {
      schemaVersion: 1,
      company: {
        slug: (str(company.issue_prefix) ?? name).toLowerCase().replace(/[^a-z0-9]+/g, "-") || "company",
        name,
        description: str(company.description),
        requireBoardApprovalForNewAgents: company.require_board_approval_for_new_agents === true,
        brandColor: str(company.brand_color),
        budgetMonthlyCents: int32(company.budget_monthly_cents),
      },
      agents,
      skills: [],
      labels,
      goals,
      projects,
      issues,
    },
    ignored,
    warnings,
    history: {
      agentStates: agentRows.map((a) => ({
        slug: String(a.id),
        status: oneOf(AGENT_STATUSES, a.status) ?? "idle",
        createdAt: iso(a.created_at),
      })),
      runs,
      activity,
      costEvents,
      approvals,
    },
  };
}

/** Tables the converter reads, each with the columns it uses (a column a version lacks is left out). */
export const PAPERCLIP_TABLES: Record<string, string[]> = {
  companies: ["id", "name", "description", "issue_prefix", "budget_monthly_cents", "require_board_approval_for_new_agents", "brand_color"],
  agents: [
    "id",
    "company_id",
    "name",
    "role",
    "title",
    "icon",
    "status",
    "reports_to",
    "capabilities",
    "adapter_type",
    "adapter_config",
    "runtime_config",
    "permissions",
    "budget_monthly_cents",
    "created_at",
  ],
  goals: ["id", "company_id", "title", "description", "level", "status", "parent_id", "owner_agent_id"],
  projects: ["id", "company_id", "goal_id", "name", "description", "status", "lead_agent_id", "target_date", "color"],
  project_goals: ["project_id", "goal_id", "company_id"],
  project_workspaces: [
    "id",
    "company_id",
    "project_id",
    "name",
    "repo_url",
    "repo_ref",
    "default_ref",
    "is_primary",
    "setup_command",
    "cleanup_command",
  ],
  issues: [
    "id",
    "company_id",
    "project_id",
    "project_workspace_id",
    "goal_id",
    "parent_id",
    "title",
    "description",
    "status",
    "priority",
    "assignee_agent_id",
    "assignee_user_id",
    "billing_code",
    "identifier",
    "started_at",
    "completed_at",
    "cancelled_at",
    "created_at",
  ],
  issue_relations: ["company_id", "issue_id", "related_issue_id", "type"],
  labels: ["id", "company_id", "name", "color"],
  issue_labels: ["issue_id", "label_id", "company_id"],
  issue_comments: ["id", "company_id", "issue_id", "author_agent_id", "author_type", "body", "created_at", "deleted_at"],
  documents: ["id", "company_id", "title", "latest_body"],
  issue_documents: ["company_id", "issue_id", "document_id", "key"],
  heartbeat_runs: [
    "id",
    "company_id",
    "agent_id",
    "issue_id",
    "invocation_source",
    "trigger_detail",
    "status",
    "started_at",
    "finished_at",
    "created_at",
    "updated_at",
    "error",
    "error_code",
    "exit_code",
    "usage_json",
    "result_json",
    "stdout_excerpt",
    "stderr_excerpt",
    "log_ref",
    "context_snapshot",
  ],
  activity_log: [
    "company_id",
    "actor_type",
    "actor_id",
    "action",
    "entity_type",
    "entity_id",
    "agent_id",
    "run_id",
    "details",
    "created_at",
  ],
  cost_events: [
    "company_id",
    "agent_id",
    "issue_id",
    "project_id",
    "goal_id",
    "heartbeat_run_id",
    "billing_code",
    "provider",
    "biller",
    "billing_type",
    "model",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "cost_cents",
    "occurred_at",
  ],
  approvals: [
    "id",
    "company_id",
    "type",
    "requested_by_agent_id",
    "requested_by_user_id",
    "status",
    "payload",
    "decision_note",
    "decided_by_user_id",
    "decided_at",
    "created_at",
  ],
  approval_comments: ["company_id", "approval_id", "author_agent_id", "author_user_id", "body", "created_at"],
  issue_approvals: ["company_id", "issue_id", "approval_id"],
};
