import { z } from "zod";
import { ISSUE_ORIGIN_KINDS, ISSUE_PRIORITIES, ISSUE_STATUSES } from "./enums.js";
import { JsonObject, NonEmptyTrimmed, NullableTimestamp, QueryInt, Timestamp, Uuid } from "./common.js";
import { IssueLabelFields, IssueLabelIds } from "./labels.js";

export const ISSUE_LIST_LIMIT_DEFAULT = 500;
export const ISSUE_LIST_LIMIT_MAX = 1000;
export const ISSUE_SORT_FIELDS = ["updated", "created", "priority", "status", "title", "identifier"] as const;

/** `PREFIX-N`, matched case-insensitively (`tra-1` finds `TRA-1`). */
export const ISSUE_IDENTIFIER_RE = /^[A-Za-z][A-Za-z0-9]*-\d+$/;

export const Issue = z
  .object({
    id: Uuid,
    companyId: Uuid,
    projectId: Uuid.nullable(),
    projectWorkspaceId: Uuid.nullable(),
    goalId: Uuid.nullable(),
    parentId: Uuid.nullable(),
    title: z.string(),
    description: z.string().nullable(),
    status: z.enum(ISSUE_STATUSES),
    workMode: z.string(),
    priority: z.enum(ISSUE_PRIORITIES),
    assigneeAgentId: Uuid.nullable(),
    assigneeUserId: z.string().nullable(),
    checkoutRunId: Uuid.nullable(),
    executionRunId: Uuid.nullable(),
    executionAgentNameKey: z.string().nullable(),
    executionLockedAt: NullableTimestamp,
    createdByAgentId: Uuid.nullable(),
    createdByUserId: z.string().nullable(),
    issueNumber: z.number().int(),
    identifier: z.string(),
    originKind: z.enum(ISSUE_ORIGIN_KINDS),
    originId: z.string().nullable(),
    originRunId: Uuid.nullable(),
    originFingerprint: z.string(),
    requestDepth: z.number().int(),
    billingCode: z.string().nullable(),
    executionState: JsonObject.nullable(),
    startedAt: NullableTimestamp,
    completedAt: NullableTimestamp,
    cancelledAt: NullableTimestamp,
    hiddenAt: NullableTimestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "Issue" });
export type Issue = z.infer<typeof Issue>;

/** A row of the company issue list: the issue and its labels. */
export const IssueListItem = Issue.extend(IssueLabelFields).meta({ id: "IssueListItem" });

export const IssueRef = z
  .object({
    id: Uuid,
    identifier: z.string(),
    title: z.string(),
    status: z.enum(ISSUE_STATUSES),
    priority: z.enum(ISSUE_PRIORITIES),
    assigneeAgentId: Uuid.nullable(),
  })
  .meta({ id: "IssueRef" });

export const IssueWithRelations = Issue.extend({
  blockedBy: z.array(IssueRef),
  blocks: z.array(IssueRef),
  ...IssueLabelFields,
}).meta({ id: "IssueWithRelations" });

export const IssueDetail = IssueWithRelations.extend({
  ancestors: z.array(IssueRef),
  children: z.array(IssueRef),
  project: z.object({ id: Uuid, name: z.string(), status: z.string() }).nullable(),
  goal: z.object({ id: Uuid, title: z.string(), status: z.string() }).nullable(),
  documents: z.array(
    z.object({ key: z.string(), title: z.string().nullable(), latestRevisionNumber: z.number().int(), updatedAt: Timestamp }),
  ),
  workProducts: z.array(JsonObject),
}).meta({ id: "IssueDetail" });

const issueFields = {
  title: NonEmptyTrimmed.max(500),
  description: z.string().max(200_000).nullable().optional(),
  status: z.enum(ISSUE_STATUSES).optional(),
  priority: z.enum(ISSUE_PRIORITIES).optional(),
  parentId: Uuid.nullable().optional(),
  goalId: Uuid.nullable().optional(),
  projectId: Uuid.nullable().optional(),
  projectWorkspaceId: Uuid.nullable().optional(),
  assigneeAgentId: Uuid.nullable().optional(),
  assigneeUserId: z.string().min(1).max(200).nullable().optional(),
  blockedByIssueIds: z.array(Uuid).max(100).optional(),
  labelIds: IssueLabelIds.optional(),
  billingCode: z.string().max(200).nullable().optional(),
};

export const CreateIssueBody = z.strictObject({
  ...issueFields,
  /**
   * Paperclip's duplicate guard: `false` answers an open issue with the same title and parent created
   * in the last 48 hours (200, `deduplicated: true`) instead of creating another. Absent or `true`: always create.
   */
  allowDuplicate: z.boolean().optional(),
});
export type CreateIssueBody = z.infer<typeof CreateIssueBody>;

export const UpdateIssueBody = z.strictObject({
  ...issueFields,
  title: issueFields.title.optional(),
  /** A comment posted together with the change (same transaction). */
  comment: z.string().trim().min(1).max(100_000).optional(),
  /** Board only: `true` hides the issue from lists (it stays reachable by id), `false` shows it again. */
  hidden: z.boolean().optional(),
});
export type UpdateIssueBody = z.infer<typeof UpdateIssueBody>;

export const ListIssuesQuery = z.strictObject({
  status: z.string().optional(),
  assigneeAgentId: z.union([z.literal("null"), Uuid]).optional(),
  assigneeUserId: z.string().min(1).optional(),
  projectId: Uuid.optional(),
  parentId: z.union([z.literal("null"), Uuid]).optional(),
  goalId: Uuid.optional(),
  /** Issues carrying this label (one id, as Paperclip takes it). */
  labelId: Uuid.optional(),
  originKind: z.enum(ISSUE_ORIGIN_KINDS).optional(),
  originId: z.string().optional(),
  q: z.string().max(500).optional(),
  limit: QueryInt.pipe(z.number().int().min(1, "limit must be at least 1")).optional(),
  offset: QueryInt.optional(),
  sortField: z.enum(ISSUE_SORT_FIELDS).optional(),
  sortDir: z.enum(["asc", "desc"]).optional(),
});
export type ListIssuesQuery = z.infer<typeof ListIssuesQuery>;

export const CheckoutIssueBody = z.strictObject({
  agentId: Uuid,
  expectedStatuses: z.array(z.enum(ISSUE_STATUSES)).min(1, "expectedStatuses needs at least one status"),
});
export const ForceReleaseQuery = z.strictObject({ clearAssignee: z.enum(["true", "false"]).optional() });

/** A run of an issue while it is queued or running (null once it has finished). */
export const IssueActiveRunRef = z
  .object({
    id: Uuid,
    status: z.string(),
    agentId: Uuid,
    invocationSource: z.string(),
    triggerDetail: z.string().nullable(),
    startedAt: NullableTimestamp,
    finishedAt: NullableTimestamp,
    createdAt: Timestamp,
  })
  .meta({ id: "IssueActiveRunRef" });

/** One row of `GET /agents/me/inbox-lite`: what an agent needs to pick its next task. */
export const InboxLiteItem = z
  .object({
    id: Uuid,
    identifier: z.string(),
    title: z.string(),
    status: z.enum(ISSUE_STATUSES),
    priority: z.enum(ISSUE_PRIORITIES),
    projectId: Uuid.nullable(),
    goalId: Uuid.nullable(),
    parentId: Uuid.nullable(),
    updatedAt: Timestamp,
    activeRun: IssueActiveRunRef.nullable(),
    dependencyReady: z.boolean(),
    unresolvedBlockerCount: z.number().int(),
    unresolvedBlockerIssueIds: z.array(Uuid),
  })
  .meta({ id: "InboxLiteItem" });

export const MineInboxQuery = z.strictObject({
  userId: z.string().trim().min(1, "userId is required").max(200),
  status: z.string().optional(),
});

/** A Mine-tab row: the issue plus the user's read context. */
export const MineInboxItem = Issue.extend({
  myLastTouchAt: NullableTimestamp,
  lastExternalCommentAt: NullableTimestamp,
  isUnreadForMe: z.boolean(),
}).meta({ id: "MineInboxItem" });

/** `userId` names the user whose inbox is changed; omitted, it is the caller's (or its responsible) user. */
export const InboxArchiveBody = z.strictObject({ userId: z.string().trim().min(1).max(200).optional() });

export const InboxArchive = z
  .object({
    id: Uuid,
    companyId: Uuid,
    issueId: Uuid,
    userId: z.string(),
    archivedByActorType: z.enum(["user", "agent", "system"]),
    archivedByAgentId: Uuid.nullable(),
    archivedByRunId: Uuid.nullable(),
    archivedAt: Timestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "InboxArchive" });

export const HeartbeatContextQuery = z.strictObject({ wakeCommentId: Uuid.optional() });

const IssueSummaryRef = z.object({
  id: Uuid,
  identifier: z.string(),
  title: z.string(),
  status: z.enum(ISSUE_STATUSES),
  priority: z.enum(ISSUE_PRIORITIES),
});

/** `GET /issues/:id/heartbeat-context`: the compact state an agent reads at the start of a heartbeat. */
export const HeartbeatContext = z
  .object({
    issue: z.object({
      id: Uuid,
      identifier: z.string(),
      title: z.string(),
      description: z.string().nullable(),
      status: z.enum(ISSUE_STATUSES),
      workMode: z.string(),
      priority: z.enum(ISSUE_PRIORITIES),
      projectId: Uuid.nullable(),
      goalId: Uuid.nullable(),
      parentId: Uuid.nullable(),
      blockedBy: z.array(IssueRef),
      blocks: z.array(IssueRef),
      assigneeAgentId: Uuid.nullable(),
      assigneeUserId: z.string().nullable(),
      originKind: z.enum(ISSUE_ORIGIN_KINDS),
      originId: z.string().nullable(),
      updatedAt: Timestamp,
    }),
    ancestors: z.array(IssueSummaryRef),
    project: z.object({ id: Uuid, name: z.string(), status: z.string(), targetDate: z.string().nullable() }).nullable(),
    goal: z.object({ id: Uuid, title: z.string(), status: z.string(), level: z.string(), parentId: Uuid.nullable() }).nullable(),
    commentCursor: z.object({ totalComments: z.number().int(), latestCommentId: Uuid.nullable(), latestCommentAt: NullableTimestamp }),
    wakeComment: JsonObject.nullable(),
    attachments: z.array(
      z.object({
        id: Uuid,
        filename: z.string(),
        contentType: z.string(),
        byteSize: z.number().int(),
        contentPath: z.string(),
        createdAt: Timestamp,
      }),
    ),
  })
  .meta({ id: "HeartbeatContext" });

/** `DELETE /issues/:id/inbox-archive`: the removed archive, or `{ok, userId}` when there was none. */
export const InboxUnarchiveResult = z
  .union([InboxArchive, z.object({ ok: z.literal(true), userId: z.string() })])
  .meta({ id: "InboxUnarchiveResult" });
