import { z } from "zod";
import { INBOX_ITEM_KINDS, ISSUE_STATUSES } from "./enums.js";
import { NullableTimestamp, Timestamp, Uuid } from "./common.js";

/**
 * The board inbox: what needs a person, computed from the company's data on every read, with each
 * person's read and archive state kept per item key. Keys follow the `approval:` / `run:` /
 * `attention:` prefixes of Paperclip's inbox dismissals:
 * `run:<issueId>`, `approval:<id>`, `attention:blocked:<issueId>`, `attention:interaction:<id>`,
 * `attention:mention:<commentId>`.
 */
export const INBOX_ITEM_KEY_RE = /^(approval|run|attention):[a-z_:]{0,24}[0-9a-f-]{36}$/;

export const InboxItemKey = z
  .string()
  .trim()
  .toLowerCase()
  .regex(INBOX_ITEM_KEY_RE, "An inbox item key looks like run:<issueId>, approval:<id> or attention:<kind>:<id>");

export const InboxView = z.enum(["active", "archived", "all"]);
export const InboxQuery = z.strictObject({ view: InboxView.default("active") });

export const InboxIssueRef = z.object({ id: Uuid, identifier: z.string().nullable(), title: z.string(), status: z.enum(ISSUE_STATUSES) });

export const InboxItem = z
  .object({
    key: z.string(),
    kind: z.enum(INBOX_ITEM_KINDS),
    title: z.string(),
    /** A line of context: the run's error, the approval's subject, the comment's opening words. */
    detail: z.string().nullable(),
    /** When the item last asked for attention (the latest failure, the approval's last change, …). */
    createdAt: Timestamp,
    unread: z.boolean(),
    archived: z.boolean(),
    readAt: NullableTimestamp,
    archivedAt: NullableTimestamp,
    issue: InboxIssueRef.nullable(),
    /** The failed run (run_failed) and its agent, which a retry wakes. */
    runId: Uuid.nullable(),
    agentId: Uuid.nullable(),
    approvalId: Uuid.nullable(),
    interactionId: Uuid.nullable(),
    commentId: Uuid.nullable(),
    /** Board paths relative to the company (`/issues/ACM-3`, `/runs/<id>`, `/approvals/<id>`). */
    links: z.object({ issue: z.string().optional(), run: z.string().optional(), approval: z.string().optional() }),
  })
  .meta({ id: "InboxItem" });
export type InboxItem = z.output<typeof InboxItem>;

export const InboxList = z
  .object({ items: z.array(InboxItem), unread: z.number().int(), total: z.number().int() })
  .meta({ id: "InboxList" });
export const InboxCount = z.object({ unread: z.number().int(), total: z.number().int() }).meta({ id: "InboxCount" });

export const InboxKeysBody = z.strictObject({ itemKeys: z.array(InboxItemKey).min(1, "itemKeys must name at least one item").max(200) });
export const InboxMarkResult = z.object({ updated: z.array(z.string()), unread: z.number().int(), total: z.number().int() });

/** Paperclip's inbox dismissals: a dismissal is an archive; snoozing is not offered (400). */
export const InboxDismissalBody = z.strictObject({
  itemKey: InboxItemKey,
  kind: z.enum(["dismiss", "snooze"]).default("dismiss"),
  snoozedUntil: Timestamp.optional(),
});
export const InboxDismissal = z
  .object({
    itemKey: z.string(),
    kind: z.literal("dismiss"),
    /** Whether the item is archived now (false after a restore). */
    dismissed: z.boolean(),
    dismissedAt: NullableTimestamp,
    snoozedUntil: z.null(),
  })
  .meta({ id: "InboxDismissal" });
export const InboxDismissalList = z.object({ dismissals: z.array(InboxDismissal) }).meta({ id: "InboxDismissalList" });
