import { z } from "zod";
import {
  InboxArchive,
  InboxArchiveBody,
  InboxCount,
  InboxDismissal,
  InboxDismissalBody,
  InboxDismissalList,
  InboxItemKey,
  InboxKeysBody,
  InboxList,
  InboxLiteItem,
  InboxMarkResult,
  InboxQuery,
  InboxUnarchiveResult,
  MineInboxItem,
  MineInboxQuery,
} from "@staple/contracts";
import type { AgentActor } from "../../auth/actor.js";
import { validationError } from "../../errors.js";
import { created, defineRoute, ok } from "../route.js";

const base = { tag: "inbox" } as const;

const boardInboxMarks = (["read", "unread", "archive", "unarchive"] as const).map((op) =>
  defineRoute({
    ...base,
    method: "post",
    path: `/api/companies/:companyId/inbox/${op}`,
    summary: {
      read: "Mark board inbox items read for the calling person",
      unread: "Mark board inbox items unread again",
      archive: "Archive board inbox items: hidden until the item changes again (a new failure, a resubmitted approval)",
      unarchive: "Undo an archive: the items show in the inbox again",
    }[op],
    access: "board",
    body: InboxKeysBody,
    responses: {
      200: { description: "The keys changed and the new counts", schema: InboxMarkResult },
      404: { description: "A key that is not an item of this inbox" },
    },
    handler: async ({ actor, services, company, body }) => {
      const inbox = services.boardInbox;
      const run = { read: inbox.markRead, unread: inbox.markUnread, archive: inbox.archive, unarchive: inbox.unarchive }[op];
      return ok(await run(actor, company.id, body.itemKeys));
    },
  }),
);

export const inboxRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/inbox",
    summary:
      "What needs the calling person, newest first: failed runs by issue, blocked issues, pending approvals, open interactions, mentions of the board (view=active|archived|all)",
    access: "board",
    query: InboxQuery,
    responses: { 200: { description: "Inbox items and counts", schema: InboxList } },
    handler: async ({ actor, services, company, query }) => ok(await services.boardInbox.list(actor, company.id, query.view)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/inbox/count",
    summary: "Unread and total items of the calling person's inbox (archived items not counted)",
    access: "board",
    responses: { 200: { description: "Counts", schema: InboxCount } },
    handler: async ({ actor, services, company }) => ok(await services.boardInbox.count(actor, company.id)),
  }),
  ...boardInboxMarks,
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/inbox-dismissals",
    summary: "Paperclip-compatible: the calling person's dismissed (archived) inbox items",
    access: "board",
    responses: { 200: { description: "Dismissals", schema: InboxDismissalList } },
    handler: async ({ actor, services, company }) => ok(await services.boardInbox.dismissals(actor, company.id)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/companies/:companyId/inbox-dismissals",
    summary: "Paperclip-compatible: dismiss an inbox item (an archive: it shows again when the item changes); snoozing is refused",
    access: "board",
    body: InboxDismissalBody,
    responses: {
      201: { description: "The dismissal", schema: InboxDismissal },
      400: { description: "Snoozing is not offered" },
      404: { description: "A key that is not an item of this inbox" },
    },
    handler: async ({ actor, services, company, body }) => {
      if (body.kind === "snooze") {
        throw validationError("Snoozing inbox items is not supported; dismiss the item instead (it returns when it changes)", {
          kind: "snooze",
        });
      }
      return created(await services.boardInbox.dismiss(actor, company.id, body.itemKey));
    },
  }),
  defineRoute({
    ...base,
    method: "delete",
    path: "/api/companies/:companyId/inbox-dismissals/:itemKey",
    summary: "Paperclip-compatible: restore a dismissed inbox item",
    access: "board",
    responses: {
      200: { description: "The item's dismissal state after the restore", schema: InboxDismissal },
      404: { description: "A key that is not an item of this inbox" },
    },
    handler: async ({ actor, services, company, params }) => {
      const itemKey = InboxItemKey.safeParse(params.itemKey);
      if (!itemKey.success) throw validationError(itemKey.error.issues[0]?.message ?? "Invalid item key", { itemKey: params.itemKey });
      return ok(await services.boardInbox.restore(actor, company.id, itemKey.data));
    },
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/agents/me/inbox-lite",
    summary: "The calling agent's open assignments (todo, in_progress, blocked) as compact rows with blocker readiness",
    access: "agent",
    responses: { 200: { description: "Inbox rows", schema: z.array(InboxLiteItem) } },
    handler: async ({ actor, services }) => ok(await services.inbox.lite(actor as AgentActor)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/agents/me/inbox/mine",
    summary: "A board user's Mine tab in the agent's company: issues they touched, minus the ones archived from their inbox",
    access: "agent",
    query: MineInboxQuery,
    responses: { 200: { description: "Issues with the user's read context", schema: z.array(MineInboxItem) } },
    handler: async ({ actor, services, query }) => ok(await services.inbox.mine(actor as AgentActor, query.userId, query.status)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/issues/:id/inbox-archive",
    summary: "Archive the issue from a user's inbox (the caller's, or for an agent its responsible user's); agents need a run id",
    access: "any",
    body: InboxArchiveBody,
    bodyOptional: true,
    responses: { 200: { description: "The archive", schema: InboxArchive }, 403: { description: "Another user's inbox" } },
    handler: async ({ actor, services, params, body }) => ok(await services.inbox.archive(actor, params.id!, body?.userId)),
  }),
  defineRoute({
    ...base,
    method: "delete",
    path: "/api/issues/:id/inbox-archive",
    summary: "Undo an inbox archive (same target rules); the removed archive, or {ok, userId} when there was none",
    access: "any",
    body: InboxArchiveBody,
    bodyOptional: true,
    responses: {
      200: { description: "The removed archive or {ok, userId}", schema: InboxUnarchiveResult },
      403: { description: "Another user's inbox" },
    },
    handler: async ({ actor, services, params, body }) => ok(await services.inbox.unarchive(actor, params.id!, body?.userId)),
  }),
];
