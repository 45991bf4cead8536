import { z } from "zod";
import {
  AgentSecretList,
  AgentSecretValue,
  CompanySecret,
  CreateSecretBody,
  RotateSecretBody,
  SecretGrantBody,
  UpdateSecretBody,
} from "@staple/contracts";
import { created, defineRoute, ok } from "../route.js";

const board = { tag: "secrets", access: "board" } as const;
const agent = { tag: "secrets", access: "agent" } as const;

/**
 * Company secrets (docs/secrets.md). The board manages them and never reads a value back (mask and
 * fingerprint only); an agent lists and reads the secrets granted to it, each read an activity row.
 */
export const secretRoutes = [
  defineRoute({
    ...board,
    method: "get",
    path: "/api/companies/:companyId/secrets",
    summary: "List the company's secrets (metadata, mask and fingerprint; never values)",
    responses: { 200: { description: "Secrets", schema: z.array(CompanySecret) } },
    handler: async ({ actor, services, company }) => ok(await services.secretStore.list(actor, company.id)),
  }),
  defineRoute({
    ...board,
    method: "post",
    path: "/api/companies/:companyId/secrets",
    summary: "Create a secret (encrypted at rest; the value is never returned); agentIds are granted it",
    body: CreateSecretBody,
    responses: { 201: { description: "Created", schema: CompanySecret }, 409: { description: "A secret with this key exists" } },
    handler: async ({ actor, services, company, body }) => created(await services.secretStore.create(actor, company.id, body)),
  }),
  defineRoute({
    ...board,
    method: "get",
    path: "/api/secrets/:secretId",
    summary: "One secret (metadata, mask and fingerprint)",
    responses: { 200: { description: "Secret", schema: CompanySecret } },
    handler: async ({ actor, services, params }) => ok(await services.secretStore.get(actor, params.secretId!)),
  }),
  defineRoute({
    ...board,
    method: "patch",
    path: "/api/secrets/:secretId",
    summary: "Rename a secret, change its key or description (the value changes only by rotation)",
    body: UpdateSecretBody,
    responses: { 200: { description: "Updated", schema: CompanySecret }, 409: { description: "A secret with this key exists" } },
    handler: async ({ actor, services, params, body }) => ok(await services.secretStore.update(actor, params.secretId!, body)),
  }),
  defineRoute({
    ...board,
    method: "delete",
    path: "/api/secrets/:secretId",
    summary: "Delete a secret with its versions and grants; configs naming it fail their next run",
    responses: { 200: { description: "The deleted secret", schema: CompanySecret } },
    handler: async ({ actor, services, params }) => ok(await services.secretStore.remove(actor, params.secretId!)),
  }),
  defineRoute({
    ...board,
    method: "post",
    path: "/api/secrets/:secretId/rotate",
    summary: "Store a new value as the latest version (runs started afterwards receive it)",
    body: RotateSecretBody,
    responses: { 200: { description: "Rotated", schema: CompanySecret } },
    handler: async ({ actor, services, params, body }) => ok(await services.secretStore.rotate(actor, params.secretId!, body.value)),
  }),
  defineRoute({
    ...board,
    method: "post",
    path: "/api/secrets/:secretId/grants",
    summary: "Grant the secret to an agent of its company (Staple addition)",
    body: SecretGrantBody,
    responses: { 200: { description: "The secret with its grants", schema: CompanySecret } },
    handler: async ({ actor, services, params, body }) => ok(await services.secretStore.grant(actor, params.secretId!, body.agentId)),
  }),
  defineRoute({
    ...board,
    method: "delete",
    path: "/api/secrets/:secretId/grants/:agentId",
    summary: "Revoke an agent's grant (Staple addition); its next run naming the secret fails",
    responses: { 200: { description: "The secret with its grants", schema: CompanySecret } },
    handler: async ({ actor, services, params }) => ok(await services.secretStore.revoke(actor, params.secretId!, params.agentId!)),
  }),
  defineRoute({
    ...agent,
    method: "get",
    path: "/api/agents/me/secrets",
    summary: "The secrets granted to the calling agent (metadata only)",
    responses: { 200: { description: "Granted secrets", schema: AgentSecretList } },
    handler: async ({ actor, services }) => ok(await services.secretStore.listForAgent(actor)),
  }),
  defineRoute({
    ...agent,
    method: "post",
    path: "/api/agents/me/secrets/:key/value",
    summary: "Read the latest value of a secret granted to the calling agent (recorded in the activity trail)",
    responses: { 200: { description: "The value", schema: AgentSecretValue }, 404: { description: "No such secret is granted" } },
    handler: async ({ actor, services, params }) => ok(await services.secretStore.readForAgent(actor, params.key!)),
  }),
];
