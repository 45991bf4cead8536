import { z } from "zod";
import { AdapterEnvironmentTest, AdapterModels, JsonObject } from "@staple/contracts";
import { notFound } from "../../errors.js";
import { readSkill } from "../../runs/skill.js";
import { effectiveOutboundAllow } from "../../instance/outbound-allow.js";
import { defineRoute, ok } from "../route.js";

const TestEnvironmentBody = z.strictObject({ adapterConfig: JsonObject.optional() });

export const adapterRoutes = [
  defineRoute({
    method: "get",
    path: "/api/skill",
    summary: "The Staple agent skill (markdown): how an agent works a heartbeat against this API",
    tag: "agents",
    access: "public",
    responses: { 200: { description: "SKILL.md", contentType: "text/markdown" } },
    handler: () => ({ status: 200, body: undefined, rawText: { text: readSkill(), contentType: "text/markdown; charset=utf-8" } }),
  }),
  defineRoute({
    method: "post",
    path: "/api/companies/:companyId/adapters/:type/test-environment",
    summary: "Check an adapter's environment with the launch code a real run uses (binary, version, auth, cwd)",
    tag: "agents",
    access: "board",
    body: TestEnvironmentBody,
    bodyOptional: true,
    responses: {
      200: { description: "The checks; ok is false when any is an error", schema: AdapterEnvironmentTest },
      404: { description: "Unknown adapter type" },
    },
    async handler({ services, params, body }) {
      const adapter = services.engine.resources.adapters[params.type!];
      if (!adapter) throw notFound(`Adapter type not available: ${params.type}`);
      // The same outbound allow-list a run of this adapter would get.
      const outboundAllow = await effectiveOutboundAllow(services.db, services.engine.resources.outboundEnvAllow);
      const checks = adapter.testEnvironment ? await adapter.testEnvironment(body?.adapterConfig ?? {}, { outboundAllow }) : [];
      return ok({ adapterType: params.type, ok: !checks.some((c) => c.level === "error"), checks });
    },
  }),
  defineRoute({
    method: "get",
    path: "/api/companies/:companyId/adapters/:type/models",
    summary: "Models the adapter's CLI can use (empty when it cannot list them)",
    tag: "agents",
    access: "any",
    responses: { 200: { description: "Models", schema: AdapterModels } },
    async handler({ services, params }) {
      const adapter = services.engine.resources.adapters[params.type!] as { listModels?: () => Promise<unknown[]> } | undefined;
      if (!adapter) throw notFound(`Adapter type not available: ${params.type}`);
      return ok(adapter.listModels ? await adapter.listModels() : []);
    },
  }),
];
