import { z } from "zod";
import { APPROVAL_STATUSES, APPROVAL_TYPES } from "./enums.js";
import { JsonObject, NonEmptyTrimmed, NullableTimestamp, Timestamp, Uuid } from "./common.js";
import { Agent, CreateAgentBody } from "./agents.js";

/**
 * Approvals: requests the board decides (hire an agent, a CEO strategy, a budget override, any
 * other board decision). Field names and statuses follow Paperclip's API.
 *
 * Transitions: pending -> approved | rejected | revision_requested; revision_requested -> pending
 * (resubmit) | approved | rejected. approved, rejected and cancelled are final.
 */
export const Approval = z
  .object({
    id: Uuid,
    companyId: Uuid,
    type: z.enum(APPROVAL_TYPES),
    requestedByAgentId: Uuid.nullable(),
    requestedByUserId: z.string().nullable(),
    status: z.enum(APPROVAL_STATUSES),
    payload: JsonObject,
    decisionNote: z.string().nullable(),
    decidedByUserId: z.string().nullable(),
    decidedAt: NullableTimestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "Approval" });
export type Approval = z.infer<typeof Approval>;

export const ApprovalComment = z
  .object({
    id: Uuid,
    companyId: Uuid,
    approvalId: Uuid,
    authorAgentId: Uuid.nullable(),
    authorUserId: z.string().nullable(),
    body: z.string(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "ApprovalComment" });
export type ApprovalComment = z.infer<typeof ApprovalComment>;

export const ListApprovalsQuery = z.strictObject({ status: z.enum(APPROVAL_STATUSES).optional() });

/** Issues linked to one approval at most; more is a 400, not a slow request. */
export const MAX_APPROVAL_ISSUE_LINKS = 100;
/** Serialized payloads larger than this are refused (they ride in prompts and list answers). */
export const MAX_APPROVAL_PAYLOAD_CHARS = 64_000;

const ApprovalPayload = JsonObject.refine((p) => JSON.stringify(p).length <= MAX_APPROVAL_PAYLOAD_CHARS, {
  message: `payload must serialize to at most ${MAX_APPROVAL_PAYLOAD_CHARS} characters`,
});

export const CreateApprovalBody = z.strictObject({
  type: z.enum(APPROVAL_TYPES),
  /** An agent may name only itself (or leave it out); the board may name any agent of the company. */
  requestedByAgentId: Uuid.nullable().optional(),
  payload: ApprovalPayload,
  issueIds: z.array(Uuid).max(MAX_APPROVAL_ISSUE_LINKS).optional(),
});
export type CreateApprovalBody = z.infer<typeof CreateApprovalBody>;

export const DecideApprovalBody = z.strictObject({ decisionNote: z.string().max(10_000).nullable().optional() });
export type DecideApprovalBody = z.infer<typeof DecideApprovalBody>;

export const ResubmitApprovalBody = z.strictObject({ payload: ApprovalPayload.optional() });
export type ResubmitApprovalBody = z.infer<typeof ResubmitApprovalBody>;

export const AddApprovalCommentBody = z.strictObject({ body: NonEmptyTrimmed.max(20_000) });
export type AddApprovalCommentBody = z.infer<typeof AddApprovalCommentBody>;

export const LinkIssueApprovalBody = z.strictObject({ approvalId: Uuid });
export type LinkIssueApprovalBody = z.infer<typeof LinkIssueApprovalBody>;

/**
 * POST /companies/:companyId/agent-hires: the agent fields of a direct create (CreateAgentBody, whose
 * adapterConfig check the server applies), plus what only a hire carries. `sourceIssueId(s)` are
 * linked to the hire's approval; `desiredSkills` and `instructionsBundle` are recorded in the
 * approval payload (Staple has no skill registry or instructions bundles; the board sees what was
 * asked for).
 */
export const AgentHireBody = z.strictObject({
  ...CreateAgentBody.shape,
  sourceIssueId: Uuid.optional(),
  sourceIssueIds: z.array(Uuid).max(MAX_APPROVAL_ISSUE_LINKS).optional(),
  desiredSkills: z
    .array(z.union([NonEmptyTrimmed.max(200), z.looseObject({ key: NonEmptyTrimmed.max(200) })]))
    .max(100)
    .optional(),
  instructionsBundle: z
    .looseObject({ entryFile: NonEmptyTrimmed.max(500).optional(), files: z.record(z.string().max(500), z.string().max(64_000)) })
    .optional(),
});
export type AgentHireBody = z.infer<typeof AgentHireBody>;

export const AgentHireResult = z.object({ agent: Agent, approval: Approval.nullable() }).meta({ id: "AgentHireResult" });
