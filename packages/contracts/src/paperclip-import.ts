import { z } from "zod";
import { JsonObject } from "./common.js";
import { AGENT_STATUSES, APPROVAL_STATUSES, APPROVAL_TYPES, BILLING_TYPES, TERMINAL_RUN_STATUSES } from "./enums.js";
import { CompanyImportPreview, CompanyImportResult, ImportPlanItem, PortableIssue, PortablePackage } from "./portability.js";

/**
 * Import straight from a Paperclip installation: `staple import paperclip` reads the Paperclip
 * database and sends one document per instance. Each company is a package model (the same model a
 * package file turns into, slugs being Paperclip's row ids) plus the history a package does not
 * carry: runs, activity, cost events, approvals, agent states. References between rows are by those
 * slugs; the server maps them to the new rows' ids.
 */
const Slug = z.string().min(1).max(1000);
const When = PortableIssue.shape.createdAt;
const Text = z.string().nullable();
const Count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const PaperclipDbRun = z.object({
  sourceId: Slug,
  agentSlug: Slug,
  issueSlug: Slug.nullable(),
  invocationSource: z.enum(["timer", "assignment", "on_demand", "automation"]),
  triggerDetail: Text,
  /** Runs come over as finished history: a run still queued or running in Paperclip arrives `cancelled`. */
  status: z.enum(TERMINAL_RUN_STATUSES),
  startedAt: When,
  finishedAt: When,
  createdAt: When,
  error: Text,
  errorCode: Text,
  exitCode: z.number().int().min(-2_147_483_648).max(2_147_483_647).nullable(),
  usage: JsonObject.nullable(),
  result: JsonObject.nullable(),
  stdoutExcerpt: Text,
  stderrExcerpt: Text,
});
export type PaperclipDbRun = z.infer<typeof PaperclipDbRun>;

export const PaperclipDbActivity = z.object({
  actorType: z.enum(["user", "agent", "system"]),
  actorId: z.string(),
  action: z.string().min(1),
  entityType: z.string().min(1),
  entityId: z.string(),
  agentSlug: Slug.nullable(),
  runSourceId: Slug.nullable(),
  details: JsonObject.nullable(),
  createdAt: When,
});

export const PaperclipDbCostEvent = z.object({
  agentSlug: Slug.nullable(),
  issueSlug: Slug.nullable(),
  projectSlug: Slug.nullable(),
  goalSlug: Slug.nullable(),
  runSourceId: Slug.nullable(),
  billingCode: Text,
  provider: Text,
  biller: z.string().min(1),
  billingType: z.enum(BILLING_TYPES),
  model: Text,
  inputTokens: Count,
  cachedInputTokens: Count,
  outputTokens: Count,
  costCents: z.number().int().min(0).max(2_147_483_647),
  occurredAt: When,
});

export const PaperclipDbApproval = z.object({
  sourceId: Slug,
  type: z.enum(APPROVAL_TYPES),
  requestedByAgentSlug: Slug.nullable(),
  requestedByUserId: Text,
  status: z.enum(APPROVAL_STATUSES),
  payload: JsonObject.nullable(),
  decisionNote: Text,
  decidedByUserId: Text,
  decidedAt: When,
  createdAt: When,
  issueSlugs: z.array(Slug),
  comments: z.array(z.object({ body: z.string().min(1), authorAgentSlug: Slug.nullable(), authorUserId: Text, createdAt: When })),
});

export const PaperclipDbCompany = z.object({
  sourceId: Slug,
  package: PortablePackage,
  /** What the reader left out, each with its reason (shown in the preview). */
  ignored: z.array(ImportPlanItem),
  warnings: z.array(z.string()),
  history: z.object({
    /** Agents not idle in Paperclip (paused, terminated, …) keep that state; the rest arrive idle. */
    agentStates: z.array(z.object({ slug: Slug, status: z.enum(AGENT_STATUSES), createdAt: When })),
    runs: z.array(PaperclipDbRun),
    activity: z.array(PaperclipDbActivity),
    costEvents: z.array(PaperclipDbCostEvent),
    approvals: z.array(PaperclipDbApproval),
  }),
});
export type PaperclipDbCompany = z.infer<typeof PaperclipDbCompany>;

export const PaperclipDbImportBody = z
  .object({
    source: z.object({ version: z.string().max(100).nullable(), location: z.string().max(1000) }),
    companies: z.array(PaperclipDbCompany).min(1).max(200),
    collisionStrategy: z.enum(["rename", "skip"]).optional(),
  })
  .meta({ id: "PaperclipDbImportBody" });
export type PaperclipDbImportBody = z.infer<typeof PaperclipDbImportBody>;

/** History rows per kind (runs, activity, costEvents, approvals, approvalComments). */
const HistoryCounts = z.record(z.string(), z.number().int());

export const PaperclipDbImportPreview = z
  .object({
    companies: z.array(z.object({ sourceId: z.string(), preview: CompanyImportPreview, history: HistoryCounts })),
  })
  .meta({ id: "PaperclipDbImportPreview" });
export type PaperclipDbImportPreview = z.infer<typeof PaperclipDbImportPreview>;

export const PaperclipDbImportResult = z
  .object({
    companies: z.array(z.object({ sourceId: z.string(), result: CompanyImportResult, history: HistoryCounts })),
  })
  .meta({ id: "PaperclipDbImportResult" });
export type PaperclipDbImportResult = z.infer<typeof PaperclipDbImportResult>;
