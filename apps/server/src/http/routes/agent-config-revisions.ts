import { z } from "zod";
import { Agent, AgentConfigRevision } from "@staple/contracts";
import { defineRoute, ok } from "../route.js";

const base = { tag: "agents" } as const;

export const agentConfigRevisionRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/agents/:id/config-revisions",
    summary: "An agent's configuration revisions, newest first (secret env values masked)",
    access: "any",
    responses: { 200: { description: "Revisions", schema: z.array(AgentConfigRevision) } },
    handler: async ({ actor, services, params }) => ok(await services.agentConfigRevisions.list(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/agents/:id/config-revisions/:revisionId",
    summary: "One configuration revision",
    access: "any",
    responses: { 200: { description: "Revision", schema: AgentConfigRevision }, 404: { description: "Agent or revision not found" } },
    handler: async ({ actor, services, params }) => ok(await services.agentConfigRevisions.get(actor, params.id!, params.revisionId!)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/agents/:id/config-revisions/:revisionId/rollback",
    summary: "Restore the configuration a revision recorded (writes a new `rollback` revision)",
    access: "board",
    responses: {
      200: { description: "The agent after the rollback", schema: Agent },
      422: { description: "The revision no longer validates" },
    },
    handler: async ({ actor, services, params }) => ok(await services.agentConfigRevisions.rollback(actor, params.id!, params.revisionId!)),
  }),
];
