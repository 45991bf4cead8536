import { CheckoutIssueBody, CreatedTreeHold, ForceReleaseQuery, Issue, TreeHold } from "@staple/contracts";
import { z } from "zod";
import { defineRoute, ok } from "../route.js";

const base = { tag: "issues" } as const;

const TreeHoldBody = z.strictObject({
  mode: z.enum(["pause", "cancel"]).default("pause"),
  reason: z.string().trim().min(1).max(2000).nullable().optional(),
});
const ReleaseHoldBody = z.strictObject({ reason: z.string().trim().min(1).max(2000).nullable().optional() });

export const issueExecutionRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/tree-holds",
    summary: "Holds placed on this issue's subtree",
    access: "any",
    responses: { 200: { description: "Holds", schema: z.array(TreeHold) } },
    handler: async ({ actor, services, params }) => ok(await services.treeHolds.list(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/issues/:id/tree-holds",
    summary: "Pause (or cancel) an issue and its whole subtree: its runs stop, no new work starts until released",
    access: "board",
    body: TreeHoldBody,
    bodyOptional: true,
    responses: {
      201: { description: "The hold, with member and cancelled-run counts", schema: CreatedTreeHold },
      409: { description: "Already paused" },
    },
    handler: async ({ actor, services, params, body }) => ({
      status: 201,
      body: await services.treeHolds.create(actor, params.id!, body ?? { mode: "pause" }),
    }),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/issues/:id/tree-holds/:holdId/release",
    summary: "Release a hold: work on the subtree may start again",
    access: "board",
    body: ReleaseHoldBody,
    bodyOptional: true,
    responses: { 200: { description: "The released hold", schema: TreeHold } },
    handler: async ({ actor, services, params, body }) =>
      ok(await services.treeHolds.release(actor, params.id!, params.holdId!, body?.reason)),
  }),
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
      200: {
        description: "Released",
        schema: z.object({
          issue: Issue,
          previous: z.object({ checkoutRunId: z.string().nullable(), executionRunId: z.string().nullable() }),
        }),
      },
    },
    handler: async ({ actor, services, params, query }) =>
      ok(await services.issueExecution.forceRelease(actor, params.id!, query.clearAssignee === "true")),
  }),
];
