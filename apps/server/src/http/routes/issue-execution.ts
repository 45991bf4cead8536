import { CheckoutIssueBody, ForceReleaseQuery, Issue } from "@staple/contracts";
import { z } from "zod";
import { defineRoute, ok } from "../route.js";

const base = { tag: "issues" } as const;

export const issueExecutionRoutes = [
  defineRoute({
    ...base,
    method: "post",
    path: "/api/issues/:id/checkout",
    summary: "Check an issue out for an agent's run (agents: as themselves, with X-Paperclip-Run-Id); never retry a 409",
    access: "any",
    body: CheckoutIssueBody,
    responses: {
      200: { description: "Checked out", schema: Issue },
      409: { description: "Issue checkout conflict" },
      422: { description: "Unresolved blockers" },
    },
    handler: async ({ actor, services, params, body }) => ok(await services.issueExecution.checkout(actor, params.id!, body)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/issues/:id/release",
    summary: "Release an issue: back to todo, unassigned, unlocked",
    access: "any",
    responses: { 200: { description: "Released", schema: Issue }, 409: { description: "Owned by another agent or a live run" } },
    handler: async ({ actor, services, params }) => ok(await services.issueExecution.release(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/issues/:id/admin/force-release",
    summary: "Board recovery: clear a stuck execution lock (and the agent assignee with clearAssignee=true)",
    access: "board",
    query: ForceReleaseQuery,
    responses: {
      200: { description: "Released", schema: z.object({ issue: Issue, previous: z.object({ checkoutRunId: z.string().nullable(), executionRunId: z.string().nullable() }) }) },
    },
    handler: async ({ actor, services, params, query }) => ok(await services.issueExecution.forceRelease(actor, params.id!, query.clearAssignee === "true")),
  }),
];
