import { z } from "zod";
import { ADAPTER_TYPES, AGENT_ROLES, GOAL_LEVELS, GOAL_STATUSES, ISSUE_PRIORITIES, ISSUE_STATUSES, PROJECT_STATUSES } from "./enums.js";
import { JsonObject, Uuid } from "./common.js";

/**
 * Company packages: the folder format Paperclip exports and imports (COMPANY.md, agents/<slug>/AGENTS.md,
 * projects/<slug>/PROJECT.md, tasks/<slug>/TASK.md, skills/…/SKILL.md, `.paperclip.yaml`). On the wire a
 * package is a map of relative paths to file contents; binary files are `{encoding: "base64", data}`.
 */
export const PackageFileContent = z.union([
  z.string(),
  z.object({ encoding: z.literal("base64"), data: z.string(), contentType: z.string().nullable().optional() }),
]);
export type PackageFileContent = z.infer<typeof PackageFileContent>;
export const PackageFiles = z.record(z.string().min(1), PackageFileContent);
export type PackageFiles = z.infer<typeof PackageFiles>;

export const PackageSource = z.object({
  type: z.literal("inline"),
  rootPath: z.string().min(1).nullable().optional(),
  files: PackageFiles,
});

/** On an agent name that exists in the target: a renamed copy, the existing agent as is, or the existing agent reconfigured. */
export const IMPORT_COLLISION_STRATEGIES = Object.freeze(["rename", "skip", "replace"] as const);
export type ImportCollisionStrategy = (typeof IMPORT_COLLISION_STRATEGIES)[number];

/** Body of the import preview and apply routes (Paperclip's field names). */
export const CompanyImportBody = z.object({
  source: PackageSource,
  target: z
    .discriminatedUnion("mode", [
      z.object({ mode: z.literal("new_company"), newCompanyName: z.string().trim().min(1).nullable().optional() }),
      z.object({ mode: z.literal("existing_company"), companyId: Uuid }),
    ])
    .optional(),
  collisionStrategy: z.enum(IMPORT_COLLISION_STRATEGIES).optional(),
});
export type CompanyImportBody = z.infer<typeof CompanyImportBody>;

/** The company-scoped form: the target is the company in the path. */
export const CompanyScopedImportBody = CompanyImportBody.omit({ target: true });
export type CompanyScopedImportBody = z.infer<typeof CompanyScopedImportBody>;

const Slug = z.string().min(1).max(1000);
/** ISO 8601 timestamps only (what Postgres and Date both read the same way). */
const IsoTimestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/, "Expected an ISO 8601 timestamp")
  .refine((v) => !Number.isNaN(Date.parse(v)), "Expected a real date");
const Text = z.string().nullable();

/** The package as Staple understands it, derived from the files (never sent by clients). */
export const PortableAgent = z.object({
  slug: Slug,
  name: z.string().trim().min(1).max(200),
  role: z.enum(AGENT_ROLES),
  title: Text,
  icon: Text,
  capabilities: Text,
  reportsToSlug: Slug.nullable(),
  adapterType: z.enum(ADAPTER_TYPES),
  adapterConfig: JsonObject,
  runtimeConfig: JsonObject,
  permissions: JsonObject,
  budgetMonthlyCents: z.number().int().min(0).max(2_147_483_647),
  skills: z.array(z.string()),
  /** Instruction files by name (AGENTS.md first, its body without frontmatter). */
  instructions: z.array(z.object({ file: z.string().min(1), body: z.string() })),
});
export const PortableGoal = z.object({
  slug: Slug,
  title: z.string().min(1),
  description: Text,
  level: z.enum(GOAL_LEVELS),
  status: z.enum(GOAL_STATUSES),
  parentSlug: Slug.nullable(),
  ownerAgentSlug: Slug.nullable(),
});
export const PortableWorkspace = z.object({
  key: z.string().min(1),
  name: z.string().min(1),
  repoUrl: Text,
  repoRef: Text,
  isPrimary: z.boolean(),
});
export const PortableProject = z.object({
  slug: Slug,
  name: z.string().trim().min(1),
  description: Text,
  status: z.enum(PROJECT_STATUSES),
  leadAgentSlug: Slug.nullable(),
  goalSlug: Slug.nullable(),
  targetDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "Expected YYYY-MM-DD")
    .refine((v) => !Number.isNaN(Date.parse(v)), "Expected a real date")
    .nullable(),
  color: Text,
  workspaces: z.array(PortableWorkspace),
});
export const PortableComment = z.object({
  body: z.string().min(1),
  authorType: z.enum(["user", "agent", "system"]),
  authorAgentSlug: Slug.nullable(),
  createdAt: IsoTimestamp.nullable(),
});
export const PortableDocument = z.object({
  key: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, "Document keys are lower-case letters, digits, - and _")
    .max(64),
  title: Text,
  body: z.string(),
});
export const PortableIssue = z.object({
  slug: Slug,
  identifier: z
    .string()
    .regex(/^[A-Z]+-\d+$/, "Expected an identifier like ABC-12")
    .nullable(),
  title: z.string().trim().min(1),
  description: Text,
  status: z.enum(ISSUE_STATUSES),
  priority: z.enum(ISSUE_PRIORITIES),
  projectSlug: Slug.nullable(),
  workspaceKey: z.string().nullable(),
  goalSlug: Slug.nullable(),
  assigneeAgentSlug: Slug.nullable(),
  parentSlug: Slug.nullable(),
  blockedBy: z.array(Slug),
  labelNames: z.array(z.string()),
  billingCode: Text,
  comments: z.array(PortableComment),
  documents: z.array(PortableDocument),
  createdAt: IsoTimestamp.nullable(),
  startedAt: IsoTimestamp.nullable(),
  completedAt: IsoTimestamp.nullable(),
  cancelledAt: IsoTimestamp.nullable(),
});
export const PortablePackage = z.object({
  schemaVersion: z.number().int(),
  company: z.object({
    slug: Slug,
    name: z.string().trim().min(1),
    description: Text,
    requireBoardApprovalForNewAgents: z.boolean(),
    brandColor: Text,
    budgetMonthlyCents: z.number().int().min(0).max(2_147_483_647),
  }),
  agents: z.array(PortableAgent),
  skills: z.array(z.object({ key: z.string(), name: z.string(), path: z.string() })),
  labels: z.array(z.object({ name: z.string().trim().min(1).max(48), color: z.string().regex(/^#[0-9a-fA-F]{6}$/) })),
  goals: z.array(PortableGoal),
  projects: z.array(PortableProject),
  issues: z.array(PortableIssue),
});
export type PortablePackage = z.infer<typeof PortablePackage>;
export type PortableAgent = z.infer<typeof PortableAgent>;
export type PortableIssue = z.infer<typeof PortableIssue>;
export type PortableProject = z.infer<typeof PortableProject>;
export type PortableGoal = z.infer<typeof PortableGoal>;

/** One line of a preview: what (kind + package slug/name) and, for ignored items and conflicts, why. */
export const ImportPlanItem = z.object({
  kind: z.string(),
  slug: z.string(),
  name: z.string(),
  reason: z.string().optional(),
});
export type ImportPlanItem = z.infer<typeof ImportPlanItem>;

export const CompanyImportPreview = z
  .object({
    target: z.object({ mode: z.enum(["new_company", "existing_company"]), companyId: Uuid.nullable(), companyName: z.string() }),
    issuePrefix: z.string(),
    create: z.array(ImportPlanItem),
    ignored: z.array(ImportPlanItem),
    conflicts: z.array(ImportPlanItem),
    warnings: z.array(z.string()),
  })
  .meta({ id: "CompanyImportPreview" });
export type CompanyImportPreview = z.infer<typeof CompanyImportPreview>;

export const CompanyImportResult = z
  .object({
    company: z.object({ id: Uuid, name: z.string(), issuePrefix: z.string(), action: z.enum(["created", "updated"]) }),
    agents: z.array(
      z.object({ slug: z.string(), id: Uuid.nullable(), name: z.string(), action: z.enum(["created", "skipped", "replaced"]) }),
    ),
    projects: z.array(z.object({ slug: z.string(), id: Uuid })),
    issues: z.array(z.object({ slug: z.string(), id: Uuid, identifier: z.string() })),
    ignored: z.array(ImportPlanItem),
    warnings: z.array(z.string()),
  })
  .meta({ id: "CompanyImportResult" });
export type CompanyImportResult = z.infer<typeof CompanyImportResult>;

export const CompanyExport = z
  .object({
    rootPath: z.string(),
    manifest: JsonObject,
    files: PackageFiles,
    warnings: z.array(z.string()),
    paperclipExtensionPath: z.string(),
  })
  .meta({ id: "CompanyExport" });
export type CompanyExport = z.infer<typeof CompanyExport>;

export const ExportFidelity = z
  .object({
    companyId: Uuid,
    notCarried: z.array(z.object({ kind: z.string(), count: z.number().int(), reason: z.string() })),
  })
  .meta({ id: "ExportFidelity" });
export type ExportFidelity = z.infer<typeof ExportFidelity>;

export const CompanyTemplate = z
  .object({ name: z.string(), title: z.string(), description: z.string(), agents: z.number().int() })
  .meta({ id: "CompanyTemplate" });
export type CompanyTemplate = z.infer<typeof CompanyTemplate>;

export const CreateFromTemplateBody = z.strictObject({
  template: z.string().min(1),
  name: z.string().trim().min(1).max(200).optional(),
});
export type CreateFromTemplateBody = z.infer<typeof CreateFromTemplateBody>;
