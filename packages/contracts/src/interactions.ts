import { z } from "zod";
import { ISSUE_PRIORITIES } from "./enums.js";
import { JsonObject, NullableTimestamp, Timestamp, Uuid } from "./common.js";

/**
 * Issue-thread interactions: typed cards in an issue's thread (a confirmation, a checklist, item
 * verdicts, questions, suggested tasks) that capture one structured response and may wake the
 * issue's assignee. Kinds, statuses, field names and result shapes follow Paperclip's API.
 *
 * The state sets below are declared here (not in enums.ts) because only this module uses them; each
 * is mirrored by a CHECK constraint in migration 0013 and pinned by test/schema.test.ts.
 *
 * Transitions (every one leaves `pending`; the other statuses are final):
 *   pending -> accepted   (accept: request_confirmation, request_checkbox_confirmation, suggest_tasks)
 *   pending -> rejected   (reject: the same three kinds)
 *   pending -> answered   (respond: ask_user_questions; verdicts: request_item_verdicts once every item has one)
 *   pending -> cancelled  (withdraw, skip: any kind; cancel: ask_user_questions)
 *   pending -> expired    (the issue closed, a newer revision of the target document, a board comment)
 * A partial verdict submission keeps the interaction pending and records the items decided so far.
 */

function frozen<const T extends readonly string[]>(values: T): T {
  return Object.freeze(values) as T;
}

export const INTERACTION_KINDS = frozen([
  "suggest_tasks",
  "ask_user_questions",
  "request_confirmation",
  "request_checkbox_confirmation",
  "request_item_verdicts",
]);
export type InteractionKind = (typeof INTERACTION_KINDS)[number];

export const INTERACTION_STATUSES = frozen(["pending", "accepted", "rejected", "answered", "expired", "cancelled"]);
export type InteractionStatus = (typeof INTERACTION_STATUSES)[number];

export const INTERACTION_CONTINUATION_POLICIES = frozen(["none", "wake_assignee", "wake_assignee_on_accept"]);
export type InteractionContinuationPolicy = (typeof INTERACTION_CONTINUATION_POLICIES)[number];

/** Canonical resolver audiences: anyone in the company, anyone but the creator, humans (the board) only. */
export const INTERACTION_RESOLVER_POLICIES = frozen(["anyone", "not_creator", "human_only"]);
export type InteractionResolverPolicy = (typeof INTERACTION_RESOLVER_POLICIES)[number];
/** Deprecated inputs still accepted on create: `board_or_agents` means anyone, `board_only` human_only. */
export const LEGACY_INTERACTION_RESOLVER_POLICIES = frozen(["board_or_agents", "board_only"]);

export const INTERACTION_RESOLVER_PROVENANCES = frozen(["explicit", "inherited"]);
export type InteractionResolverProvenance = (typeof INTERACTION_RESOLVER_PROVENANCES)[number];

export const ITEM_VERDICTS = frozen(["approve", "reject", "defer"]);
export type ItemVerdict = (typeof ITEM_VERDICTS)[number];

/** Kinds that may carry a document `target` (and go stale when it moves on). */
export const TARGET_BOUND_INTERACTION_KINDS = frozen(["request_confirmation", "request_checkbox_confirmation", "request_item_verdicts"]);
/** Kinds whose pending card a later board comment supersedes when `payload.supersedeOnUserComment` is true. */
export const COMMENT_SUPERSEDABLE_INTERACTION_KINDS = frozen([...TARGET_BOUND_INTERACTION_KINDS, "ask_user_questions"]);

/** Continuation policy when the create omits it. */
export const DEFAULT_CONTINUATION_POLICY: Readonly<Record<InteractionKind, InteractionContinuationPolicy>> = Object.freeze({
  suggest_tasks: "wake_assignee",
  ask_user_questions: "wake_assignee",
  request_confirmation: "none",
  request_checkbox_confirmation: "wake_assignee",
  request_item_verdicts: "wake_assignee",
});

const text = (min: number, max: number) => z.string().min(min).max(max);
const optionalText = (min: number, max: number) => text(min, max).nullable().optional();

function uniqueIds(items: readonly { id: string }[], ctx: z.RefinementCtx, path: (string | number)[], what: string) {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (seen.has(item.id)) ctx.addIssue({ code: "custom", message: `Duplicate ${what} id: ${item.id}`, path: [...path, index, "id"] });
    seen.add(item.id);
  });
}

/** A link rendered in the board: root-relative, a fragment, or http(s); never `javascript:` and the like. */
const SafeHref = text(1, 2000).refine((href) => /^(\/(?!\/)|#|https?:\/\/)/i.test(href), {
  message: "href must be root-relative, a fragment, or an http(s) URL",
});

// --- targets ----------------------------------------------------------------------------------

export const IssueDocumentTarget = z.strictObject({
  type: z.literal("issue_document"),
  label: optionalText(1, 120),
  href: SafeHref.nullable().optional(),
  /** The issue owning the document; the interaction's own issue when omitted. */
  issueId: Uuid.nullable().optional(),
  documentId: Uuid.nullable().optional(),
  key: text(1, 64),
  revisionId: Uuid,
  revisionNumber: z.number().int().min(0).nullable().optional(),
});
export const CustomTarget = z.strictObject({
  type: z.literal("custom"),
  label: optionalText(1, 120),
  href: SafeHref.nullable().optional(),
  key: text(1, 120),
  revisionId: optionalText(1, 255),
  revisionNumber: z.number().int().min(0).nullable().optional(),
});
export const InteractionTarget = z.discriminatedUnion("type", [IssueDocumentTarget, CustomTarget]);
export type InteractionTarget = z.infer<typeof InteractionTarget>;

// --- payloads ---------------------------------------------------------------------------------

export const MAX_SUGGESTED_TASKS = 100;

export const SuggestedTask = z.strictObject({
  clientKey: text(1, 120),
  parentClientKey: optionalText(1, 120),
  parentId: Uuid.nullable().optional(),
  title: text(1, 240),
  description: z.string().max(100_000).nullable().optional(),
  priority: z.enum(ISSUE_PRIORITIES).nullable().optional(),
  workMode: z.enum(["standard", "ask", "planning", "skill_test"]).nullable().optional(),
  assigneeAgentId: Uuid.nullable().optional(),
  assigneeUserId: z.string().min(1).max(200).nullable().optional(),
  projectId: Uuid.nullable().optional(),
  goalId: Uuid.nullable().optional(),
  billingCode: z.string().max(120).nullable().optional(),
  labels: z.array(text(1, 48)).max(50).optional(),
  hiddenInPreview: z.boolean().optional(),
});
export type SuggestedTask = z.infer<typeof SuggestedTask>;

export const SuggestTasksPayload = z
  .strictObject({
    version: z.literal(1),
    defaultParentId: Uuid.nullable().optional(),
    tasks: z.array(SuggestedTask).min(1).max(MAX_SUGGESTED_TASKS),
  })
  .superRefine((payload, ctx) => {
    const keys = new Map(payload.tasks.map((task) => [task.clientKey, task]));
    if (keys.size !== payload.tasks.length) {
      payload.tasks.forEach((task, i) => {
        if (payload.tasks.findIndex((other) => other.clientKey === task.clientKey) !== i) {
          ctx.addIssue({ code: "custom", message: `Duplicate clientKey: ${task.clientKey}`, path: ["tasks", i, "clientKey"] });
        }
      });
    }
    payload.tasks.forEach((task, i) => {
      if (!task.parentClientKey) return;
      if (!keys.has(task.parentClientKey)) {
        ctx.addIssue({
          code: "custom",
          message: `Unknown parentClientKey: ${task.parentClientKey}`,
          path: ["tasks", i, "parentClientKey"],
        });
        return;
      }
      // Walk up at most tasks.length steps: a longer chain is a cycle.
      let cursor: string | null | undefined = task.parentClientKey;
      for (let steps = 0; cursor && steps <= payload.tasks.length; steps++) {
        if (cursor === task.clientKey) {
          ctx.addIssue({
            code: "custom",
            message: "Suggested tasks contain a parentClientKey cycle",
            path: ["tasks", i, "parentClientKey"],
          });
          return;
        }
        cursor = keys.get(cursor)?.parentClientKey;
      }
    });
  });
export type SuggestTasksPayload = z.infer<typeof SuggestTasksPayload>;

export const QuestionOption = z.strictObject({
  id: text(1, 160),
  label: text(1, 1000),
  description: z.string().max(4000).nullable().optional(),
  freeText: z.boolean().optional(),
});
export const Question = z
  .strictObject({
    id: text(1, 160),
    prompt: text(1, 4000),
    helpText: z.string().max(4000).nullable().optional(),
    selectionMode: z.enum(["single", "multi"]),
    required: z.boolean().optional(),
    allowOther: z.boolean().optional(),
    options: z.array(QuestionOption).min(1).max(200),
  })
  .superRefine((question, ctx) => uniqueIds(question.options, ctx, ["options"], "option"));
export type Question = z.infer<typeof Question>;

export const AskUserQuestionsPayload = z
  .strictObject({
    version: z.literal(1),
    title: z.string().max(240).nullable().optional(),
    submitLabel: z.string().max(120).nullable().optional(),
    supersedeOnUserComment: z.boolean().optional(),
    questions: z.array(Question).min(1).max(50),
    runtimeRequestId: optionalText(1, 255),
  })
  .superRefine((payload, ctx) => uniqueIds(payload.questions, ctx, ["questions"], "question"));
export type AskUserQuestionsPayload = z.infer<typeof AskUserQuestionsPayload>;

const confirmationButtons = {
  acceptLabel: optionalText(1, 80),
  rejectLabel: optionalText(1, 80),
  rejectRequiresReason: z.boolean().optional(),
  rejectReasonLabel: optionalText(1, 160),
  allowDeclineReason: z.boolean().optional(),
  declineReasonPlaceholder: optionalText(1, 240),
  supersedeOnUserComment: z.boolean().optional(),
  target: InteractionTarget.nullable().optional(),
};

export const RequestConfirmationPayload = z.strictObject({
  version: z.literal(1),
  prompt: text(1, 1000),
  detailsMarkdown: z.string().max(20_000).nullable().optional(),
  ...confirmationButtons,
});
export type RequestConfirmationPayload = z.infer<typeof RequestConfirmationPayload>;

export const CheckboxOption = z.strictObject({
  id: text(1, 120),
  label: text(1, 120),
  description: z.string().max(500).nullable().optional(),
});

export const RequestCheckboxConfirmationPayload = z
  .strictObject({
    version: z.literal(1),
    prompt: text(1, 1000),
    detailsMarkdown: z.string().max(20_000).nullable().optional(),
    options: z.array(CheckboxOption).min(1).max(200),
    defaultSelectedOptionIds: z.array(text(1, 120)).max(200).optional(),
    minSelected: z.number().int().min(0).optional(),
    maxSelected: z.number().int().min(0).nullable().optional(),
    ...confirmationButtons,
  })
  .superRefine((p, ctx) => {
    uniqueIds(p.options, ctx, ["options"], "option");
    const ids = new Set(p.options.map((o) => o.id));
    (p.defaultSelectedOptionIds ?? []).forEach((id, i) => {
      if (!ids.has(id)) ctx.addIssue({ code: "custom", message: `Unknown option id: ${id}`, path: ["defaultSelectedOptionIds", i] });
    });
    const min = p.minSelected ?? 0;
    if (min > p.options.length)
      ctx.addIssue({ code: "custom", message: "minSelected cannot exceed the number of options", path: ["minSelected"] });
    if (p.maxSelected != null) {
      if (p.maxSelected < min) ctx.addIssue({ code: "custom", message: "maxSelected must be at least minSelected", path: ["maxSelected"] });
      if (p.maxSelected > p.options.length)
        ctx.addIssue({ code: "custom", message: "maxSelected cannot exceed the number of options", path: ["maxSelected"] });
      if ((p.defaultSelectedOptionIds?.length ?? 0) > p.maxSelected) {
        ctx.addIssue({ code: "custom", message: "defaultSelectedOptionIds exceeds maxSelected", path: ["defaultSelectedOptionIds"] });
      }
    }
  });
export type RequestCheckboxConfirmationPayload = z.infer<typeof RequestCheckboxConfirmationPayload>;

export const VerdictItem = z.strictObject({
  id: text(1, 120),
  label: text(1, 120),
  description: z.string().max(500).nullable().optional(),
  previewMarkdown: z.string().max(20_000).nullable().optional(),
  href: SafeHref.nullable().optional(),
  attachmentId: Uuid.nullable().optional(),
});

export const RequestItemVerdictsPayload = z
  .strictObject({
    version: z.literal(1),
    prompt: text(1, 1000),
    detailsMarkdown: z.string().max(20_000).nullable().optional(),
    items: z.array(VerdictItem).min(1).max(200),
    verdicts: z.array(z.enum(ITEM_VERDICTS)).min(2).max(3).optional(),
    requireReasonOn: z.array(z.enum(ITEM_VERDICTS)).max(3).optional(),
    reasonLabel: optionalText(1, 160),
    allowBulkApprove: z.boolean().optional(),
    supersedeOnUserComment: z.boolean().optional(),
    target: InteractionTarget.nullable().optional(),
  })
  .superRefine((p, ctx) => {
    uniqueIds(p.items, ctx, ["items"], "item");
    const enabled = new Set(p.verdicts ?? ["approve", "reject"]);
    if (p.verdicts && (!enabled.has("approve") || !enabled.has("reject"))) {
      ctx.addIssue({ code: "custom", message: "verdicts must include approve and reject", path: ["verdicts"] });
    }
    (p.requireReasonOn ?? []).forEach((v, i) => {
      if (!enabled.has(v))
        ctx.addIssue({
          code: "custom",
          message: `requireReasonOn names a verdict that is not enabled: ${v}`,
          path: ["requireReasonOn", i],
        });
    });
  });
export type RequestItemVerdictsPayload = z.infer<typeof RequestItemVerdictsPayload>;

export const INTERACTION_PAYLOADS = {
  suggest_tasks: SuggestTasksPayload,
  ask_user_questions: AskUserQuestionsPayload,
  request_confirmation: RequestConfirmationPayload,
  request_checkbox_confirmation: RequestCheckboxConfirmationPayload,
  request_item_verdicts: RequestItemVerdictsPayload,
} as const;

// --- create -----------------------------------------------------------------------------------

const envelope = {
  resolverPolicy: z.enum([...INTERACTION_RESOLVER_POLICIES, ...LEGACY_INTERACTION_RESOLVER_POLICIES]).optional(),
  addresseeAgentId: Uuid.nullable().optional(),
  addresseeUserId: z.string().min(1).max(200).nullable().optional(),
  idempotencyKey: z.string().min(1).max(255).nullable().optional(),
  sourceCommentId: Uuid.nullable().optional(),
  sourceRunId: Uuid.nullable().optional(),
  title: z.string().max(240).nullable().optional(),
  summary: z.string().max(1000).nullable().optional(),
  continuationPolicy: z.enum(INTERACTION_CONTINUATION_POLICIES).optional(),
};

export const CreateInteractionBody = z
  .discriminatedUnion("kind", [
    z.strictObject({ ...envelope, kind: z.literal("suggest_tasks"), payload: SuggestTasksPayload }),
    z.strictObject({ ...envelope, kind: z.literal("ask_user_questions"), payload: AskUserQuestionsPayload }),
    z.strictObject({ ...envelope, kind: z.literal("request_confirmation"), payload: RequestConfirmationPayload }),
    z.strictObject({ ...envelope, kind: z.literal("request_checkbox_confirmation"), payload: RequestCheckboxConfirmationPayload }),
    z.strictObject({ ...envelope, kind: z.literal("request_item_verdicts"), payload: RequestItemVerdictsPayload }),
  ])
  .meta({ id: "CreateInteractionBody" });
export type CreateInteractionBody = z.infer<typeof CreateInteractionBody>;

// --- actions ----------------------------------------------------------------------------------

export const AcceptInteractionBody = z.strictObject({
  /** Tool reviews only (not modelled by Staple): `true` is a 422. */
  rememberAction: z.boolean().optional(),
  /** suggest_tasks: the tasks to create (all when omitted). */
  selectedClientKeys: z.array(text(1, 120)).max(MAX_SUGGESTED_TASKS).optional(),
  /** request_checkbox_confirmation: the options chosen (the payload's defaults when omitted). */
  selectedOptionIds: z.array(text(1, 120)).max(200).optional(),
});
export type AcceptInteractionBody = z.infer<typeof AcceptInteractionBody>;

/** reject, withdraw, cancel and skip take an optional reason. */
export const InteractionReasonBody = z.strictObject({ reason: z.string().max(4000).optional() });
export type InteractionReasonBody = z.infer<typeof InteractionReasonBody>;

export const RespondInteractionBody = z.strictObject({
  answers: z
    .array(
      z.strictObject({
        questionId: text(1, 160),
        optionIds: z.array(text(1, 160)).max(200),
        otherText: z.string().max(20_000).nullable().optional(),
      }),
    )
    .max(50),
  summaryMarkdown: z.string().max(20_000).nullable().optional(),
});
export type RespondInteractionBody = z.infer<typeof RespondInteractionBody>;

export const SubmitVerdictsBody = z.strictObject({
  verdicts: z
    .array(z.strictObject({ id: text(1, 120), verdict: z.enum(ITEM_VERDICTS), reason: z.string().max(4000).nullable().optional() }))
    .min(1)
    .max(200),
});
export type SubmitVerdictsBody = z.infer<typeof SubmitVerdictsBody>;

// --- results (the `result` column, by kind) ---------------------------------------------------

export const CreatedSuggestedTask = z.object({
  clientKey: z.string(),
  issueId: Uuid,
  identifier: z.string().nullable(),
  title: z.string(),
  parentIssueId: Uuid,
  parentIdentifier: z.string().nullable(),
});
export const SuggestTasksResult = z.object({
  version: z.literal(1),
  outcome: z.string().optional(),
  reason: z.string().nullable().optional(),
  createdTasks: z.array(CreatedSuggestedTask).optional(),
  skippedClientKeys: z.array(z.string()).optional(),
  rejectionReason: z.string().nullable().optional(),
});
export const QuestionAnswer = z.object({ questionId: z.string(), optionIds: z.array(z.string()), otherText: z.string().optional() });
export const AskUserQuestionsResult = z.object({
  version: z.literal(1),
  answers: z.array(QuestionAnswer),
  summaryMarkdown: z.string().nullable(),
  outcome: z.string().optional(),
  reason: z.string().nullable().optional(),
  cancelled: z.boolean().optional(),
  cancellationReason: z.string().nullable().optional(),
  expirationReason: z.string().optional(),
  commentId: z.string().optional(),
});
export const ConfirmationResult = z.object({
  version: z.literal(1),
  outcome: z.enum(["accepted", "rejected", "superseded_by_comment", "stale_target", "withdrawn", "issue_closed", "skipped"]),
  reason: z.string().nullable().optional(),
  selectedOptionIds: z.array(z.string()).optional(),
  commentId: z.string().optional(),
  staleTarget: JsonObject.optional(),
});
export const ResolvedVerdictItem = z.object({
  id: z.string(),
  verdict: z.enum(ITEM_VERDICTS),
  reason: z.string().optional(),
  resolvedByUserId: z.string().optional(),
  resolvedByAgentId: z.string().optional(),
  resolvedByRunId: z.string().optional(),
  resolvedAt: Timestamp,
});
export type ResolvedVerdictItem = z.infer<typeof ResolvedVerdictItem>;
export const ItemVerdictsResult = z.object({
  version: z.literal(1),
  outcome: z.string(),
  complete: z.boolean(),
  items: z.array(ResolvedVerdictItem),
  reason: z.string().nullable().optional(),
  commentId: z.string().optional(),
  staleTarget: JsonObject.optional(),
});

// --- the interaction ---------------------------------------------------------------------------

export const IssueInteraction = z
  .object({
    id: Uuid,
    companyId: Uuid,
    issueId: Uuid,
    kind: z.enum(INTERACTION_KINDS),
    status: z.enum(INTERACTION_STATUSES),
    continuationPolicy: z.enum(INTERACTION_CONTINUATION_POLICIES),
    /** Same as requestedResolverPolicy (Paperclip keeps both names). */
    resolverPolicy: z.enum(INTERACTION_RESOLVER_POLICIES),
    requestedResolverPolicy: z.enum(INTERACTION_RESOLVER_POLICIES),
    effectiveResolverPolicy: z.enum(INTERACTION_RESOLVER_POLICIES),
    resolverPolicyProvenance: z.enum(INTERACTION_RESOLVER_PROVENANCES),
    effectiveResolverPolicySource: z.literal("requested"),
    legacyResolverPolicyAliases: z.object({ requested: z.string().nullable(), effective: z.string().nullable() }),
    idempotencyKey: z.string().nullable(),
    sourceCommentId: Uuid.nullable(),
    sourceRunId: Uuid.nullable(),
    title: z.string().nullable(),
    summary: z.string().nullable(),
    createdByAgentId: Uuid.nullable(),
    createdByUserId: z.string().nullable(),
    addresseeAgentId: Uuid.nullable(),
    addresseeUserId: z.string().nullable(),
    payload: JsonObject,
    result: JsonObject.nullable(),
    resolvedByAgentId: Uuid.nullable(),
    resolvedByRunId: Uuid.nullable(),
    resolvedByUserId: z.string().nullable(),
    resolvedAt: NullableTimestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "IssueInteraction" });
export type IssueInteraction = z.infer<typeof IssueInteraction>;
