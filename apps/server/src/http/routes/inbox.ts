import { z } from "zod";
import { InboxArchive, InboxArchiveBody, InboxUnarchiveResult, InboxLiteItem, MineInboxItem, MineInboxQuery } from "@staple/contracts";
import type { AgentActor } from "../../auth/actor.js";
import { defineRoute, ok } from "../route.js";

const base = { tag: "inbox" } as const;

export const inboxRoutes = [
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
