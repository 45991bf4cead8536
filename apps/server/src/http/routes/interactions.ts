import { z } from "zod";
import {
  AcceptInteractionBody,
  CreateInteractionBody,
  InteractionReasonBody,
  IssueInteraction,
  RespondInteractionBody,
  SubmitVerdictsBody,
} from "@staple/contracts";
import type { InteractionService } from "../../interactions/service.js";
import type { Actor } from "../../auth/actor.js";
import { created, defineRoute, ok, type Access } from "../route.js";

const base = { tag: "interactions" } as const;

const refusals = {
  403: {
    description:
      "Not in the card's resolver audience (codes interaction_human_only, interaction_creator_excluded, interaction_addressee_mismatch)",
  },
  404: { description: "Issue or interaction not found (code interaction_not_found)" },
  409: {
    description:
      "The card already ended or the issue is closed (codes interaction_already_resolved, interaction_superseded, interaction_stale_target, interaction_issue_closed)",
  },
  422: {
    description:
      "The action does not fit the card's kind, or the response does not fit the card (codes interaction_kind_mismatch, interaction_response_invalid, …)",
  },
};

const actionRoute = <B extends z.ZodType>(
  action: "accept" | "reject" | "respond" | "verdicts" | "withdraw" | "cancel" | "skip",
  body: B,
  access: Access,
  summary: string,
  call: (svc: InteractionService, ctx: { actor: Actor; issue: string; id: string; body: z.output<B> }) => Promise<unknown>,
) =>
  defineRoute({
    ...base,
    method: "post",
    path: `/api/issues/:id/interactions/:interactionId/${action}`,
    summary,
    access,
    body,
    bodyOptional: true,
    responses: { 200: { description: "The interaction after the action", schema: IssueInteraction }, ...refusals },
    handler: async ({ actor, services, params, body: sent }) =>
      ok(await call(services.interactions, { actor, issue: params.id!, id: params.interactionId!, body: (sent ?? {}) as z.output<B> })),
  });

/** Issue-thread interactions (Paperclip's `/api/issues/{id}/interactions*` routes). */
export const interactionRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/interactions",
    summary: "The issue's interaction cards, oldest first (a closed issue's leftover pending cards are expired first)",
    access: "any",
    responses: { 200: { description: "Interactions", schema: z.array(IssueInteraction) }, 404: { description: "Issue not found" } },
    handler: async ({ actor, services, params }) => ok(await services.interactions.list(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/issues/:id/interactions",
    summary:
      "Create an interaction card (an agent creates from a run). A repeated idempotencyKey with the same request returns the existing card; with a different request it is a 409",
    access: "any",
    body: CreateInteractionBody,
    responses: {
      201: { description: "Created (or the existing card for a repeated idempotencyKey)", schema: IssueInteraction },
      400: { description: "The body or the kind's payload is malformed (details name the field)" },
      401: { description: "An agent without a run (code agent_run_id_required)" },
      404: { description: "Issue not found" },
      409: { description: "The issue is closed, or the idempotencyKey was used for a different request" },
      422: { description: "The target is not the document's current revision, or an addressee/source is invalid" },
    },
    handler: async ({ actor, services, params, body }) =>
      created((await services.interactions.create(actor, params.id!, body)).interaction),
  }),
  actionRoute(
    "accept",
    AcceptInteractionBody,
    "any",
    "Accept a confirmation, checkbox confirmation (selectedOptionIds) or suggested tasks (selectedClientKeys; they become sub-issues)",
    (s, c) => s.accept(c.actor, c.issue, c.id, c.body),
  ),
  actionRoute(
    "reject",
    InteractionReasonBody,
    "any",
    "Reject a confirmation, checkbox confirmation or suggested tasks (reason required when the card says so)",
    (s, c) => s.reject(c.actor, c.issue, c.id, c.body),
  ),
  actionRoute("respond", RespondInteractionBody, "any", "Answer an ask_user_questions card", (s, c) =>
    s.respond(c.actor, c.issue, c.id, c.body),
  ),
  actionRoute("verdicts", SubmitVerdictsBody, "any", "Submit item verdicts; the card stays pending until every item has one", (s, c) =>
    s.verdicts(c.actor, c.issue, c.id, c.body),
  ),
  actionRoute(
    "withdraw",
    InteractionReasonBody,
    "any",
    "Withdraw a pending card (its creator agent, the issue's assignee agent, or the board)",
    (s, c) => s.withdraw(c.actor, c.issue, c.id, c.body),
  ),
  actionRoute("cancel", InteractionReasonBody, "board", "Cancel a pending ask_user_questions card (board)", (s, c) =>
    s.cancel(c.actor, c.issue, c.id, c.body),
  ),
  actionRoute("skip", InteractionReasonBody, "board", "Skip a pending card without answering it (board; wakes nobody)", (s, c) =>
    s.skip(c.actor, c.issue, c.id, c.body),
  ),
];
