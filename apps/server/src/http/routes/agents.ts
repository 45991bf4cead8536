import { z } from "zod";
import {
  Agent,
  AgentConfiguration,
  AgentKey,
  AgentMe,
  CreateAgentBody,
  CreateAgentKeyBody,
  CreatedAgentKey,
  InstructionsPathBody,
  InstructionsPathResult,
  ListAgentsQuery,
  OkBody,
  OrgNodeSchema,
  UpdateAgentBody,
} from "@staple/contracts";
import { created, defineRoute, ok } from "../route.js";
import { parseCommaList } from "./query-lists.js";
import { setInstructionsPath } from "../../agents/instructions-path.js";
import { resolveAgentReference } from "../../agents/reference.js";

/** `companyId` scopes a url-key reference (Paperclip's CLI sends it with `agent wake <key> -C`). */
const AgentReferenceQuery = z.strictObject({ companyId: z.string().max(200).optional() });

const base = { tag: "agents" } as const;

export const agentRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/agents",
    summary: "List the company's agents",
    access: "any",
    query: ListAgentsQuery,
    responses: { 200: { description: "Agents", schema: z.array(Agent) } },
    handler: async ({ actor, services, company, query }) =>
      ok(
        await services.agents.list(actor, company.id, {
          status: parseCommaList(query.status, "status"),
          includeTerminated: query.includeTerminated === undefined ? undefined : query.includeTerminated === "true",
        }),
      ),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/companies/:companyId/agents",
    summary: "Hire (create) an agent",
    access: "any",
    body: CreateAgentBody,
    responses: { 201: { description: "Created", schema: Agent } },
    handler: async ({ actor, services, company, body }) => created(await services.agents.create(actor, company.id, body)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/org",
    summary: "The reporting tree (roots first)",
    access: "any",
    responses: { 200: { description: "Org chart", schema: z.array(OrgNodeSchema) } },
    handler: async ({ actor, services, company }) => ok(await services.agents.org(actor, company.id)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/agents/me",
    summary: "The calling agent, with its chain of command",
    access: "agent",
    responses: { 200: { description: "Agent", schema: AgentMe } },
    async handler({ actor, services }) {
      const agent = await services.agents.get(actor, (actor as { agentId: string }).agentId);
      return ok({ ...agent, chainOfCommand: await services.agents.chainOfCommand(agent) });
    },
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/agents/:id",
    summary: "Get an agent by id, or by url key with ?companyId= (an agent's own company by default)",
    access: "any",
    query: AgentReferenceQuery,
    responses: { 200: { description: "Agent", schema: Agent }, 422: { description: "A url key without a company" } },
    handler: async ({ actor, services, params, query }) =>
      ok(await services.agents.get(actor, await resolveAgentReference(services.agents, actor, params.id!, query.companyId))),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/agents/:id/configuration",
    summary: "An agent's adapter and runtime configuration",
    access: "any",
    responses: { 200: { description: "Configuration", schema: AgentConfiguration } },
    async handler({ actor, services, params }) {
      const a = await services.agents.get(actor, params.id!);
      const { id, companyId, name, role, title, status, reportsTo, adapterType, adapterConfig, runtimeConfig, permissions, updatedAt } = a;
      return ok({ id, companyId, name, role, title, status, reportsTo, adapterType, adapterConfig, runtimeConfig, permissions, updatedAt });
    },
  }),
  defineRoute({
    ...base,
    method: "patch",
    path: "/api/agents/:id",
    summary: "Update an agent",
    access: "board",
    body: UpdateAgentBody,
    responses: { 200: { description: "Updated", schema: Agent } },
    handler: async ({ actor, services, params, body }) => ok(await services.agents.update(actor, params.id!, body)),
  }),
  defineRoute({
    ...base,
    method: "patch",
    path: "/api/agents/:id/instructions-path",
    summary: "Set or clear the agent's instructions file path (relative paths resolve against adapterConfig.cwd)",
    access: "board",
    body: InstructionsPathBody,
    responses: {
      200: { description: "The stored path", schema: InstructionsPathResult },
      422: { description: "No default key, or a relative path without an absolute cwd" },
    },
    handler: async ({ actor, services, params, body }) => ok(await setInstructionsPath(services.agents, actor, params.id!, body)),
  }),
  ...(["pause", "resume", "terminate"] as const).map((action) =>
    defineRoute({
      ...base,
      method: "post",
      path: `/api/agents/:id/${action}`,
      summary: `${action[0]!.toUpperCase()}${action.slice(1)} an agent`,
      access: "board",
      responses: {
        200: { description: "Agent after the transition", schema: Agent },
        409: { description: "Not allowed from the current status" },
      },
      handler: async ({ actor, services, params }) => ok(await services.agentLifecycle[action](actor, params.id!)),
    }),
  ),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/agents/:id/keys",
    summary: "List an agent's API keys (never the secrets)",
    access: "board",
    responses: { 200: { description: "Keys", schema: z.array(AgentKey) } },
    handler: async ({ actor, services, params }) => ok(await services.agentKeys.list(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/agents/:id/keys",
    summary: "Create an agent API key; the token is shown only in this answer",
    access: "board",
    body: CreateAgentKeyBody,
    bodyOptional: true,
    responses: { 201: { description: "Created", schema: CreatedAgentKey } },
    handler: async ({ actor, services, params, body }) =>
      created(await services.agentKeys.create(actor, params.id!, body?.name ?? "default")),
  }),
  defineRoute({
    ...base,
    method: "delete",
    path: "/api/agents/:id/keys/:keyId",
    summary: "Revoke an agent API key",
    access: "board",
    responses: { 200: { description: "Revoked", schema: OkBody } },
    handler: async ({ actor, services, params }) => ok(await services.agentKeys.revoke(actor, params.id!, params.keyId!)),
  }),
];
