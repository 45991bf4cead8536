import { z } from "zod";
import { ErrorBody, LIVE_EVENT_TYPES, LiveStreamMessage } from "@staple/contracts";
import type { AnyRoute } from "./route.js";

type JsonSchema = Record<string, unknown>;

/**
 * Generates the OpenAPI document from the route table: the same zod schemas that validate
 * requests describe them here, so the document cannot drift from the code.
 */
export function buildOpenApi(routes: readonly AnyRoute[], version: string): JsonSchema {
  const components: Record<string, JsonSchema> = {};

  const convert = (schema: z.ZodType, io: "input" | "output"): JsonSchema => {
    const json = z.toJSONSchema(schema, { target: "openapi-3.0", io, unrepresentable: "any" }) as JsonSchema;
    const defs = (json.definitions ?? {}) as Record<string, JsonSchema>;
    delete json.definitions;
    delete json.$schema;
    const rewrite = (value: JsonSchema) =>
      JSON.parse(JSON.stringify(value).replaceAll('"#/definitions/', '"#/components/schemas/')) as JsonSchema;
    for (const [name, def] of Object.entries(defs)) components[name] ??= rewrite(def);
    return rewrite(json);
  };

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const openPath = route.path.replace(/:([A-Za-z]+)/g, "{$1}");
    const parameters: unknown[] = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    if (route.query) {
      const q = convert(route.query, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        parameters.push({ name, in: "query", required: q.required?.includes(name) ?? false, schema });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      responses[status] = spec.schema
        ? { description: spec.description, content: { "application/json": { schema: convert(spec.schema, "output") } } }
        : spec.contentType
          ? {
              description: spec.description,
              content: {
                [spec.contentType]: {
                  schema: spec.contentType.startsWith("text/") ? { type: "string" } : { type: "string", format: "binary" },
                },
              },
            }
          : { description: spec.description };
    }
    for (const [status, description] of [
      ["400", "Invalid request"],
      ...(route.access === "public"
        ? []
        : [
            ["401", "Unauthenticated"],
            ["403", "Forbidden"],
          ]),
    ] as const) {
      responses[status] ??= { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
    }
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method}${openPath.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`,
      parameters,
      responses,
      "x-staple-access": route.access,
    };
    if (route.access !== "public") operation.security = [{ LocalBoard: [] }, { AgentBearer: [] }];
    if (route.body) {
      const content: Record<string, unknown> = { "application/json": { schema: convert(route.body, "input") } };
      for (const [type, alt] of Object.entries(route.altBodies ?? {})) content[type] = { schema: alt.schema };
      operation.requestBody = { required: !route.bodyOptional, content };
    }
    if (route.rawBody) {
      operation.requestBody = { required: true, content: { [route.rawBody.contentType]: { schema: route.rawBody.schema } } };
    }
    (paths[openPath] ??= {})[route.method] = operation;
  }
  // Converted before the assignment: ErrorBody carries the id "Error", so convert() registers the
  // definition itself and returns a $ref, which must not overwrite it (a self-referencing pointer).
  const errorSchema = convert(ErrorBody, "output");
  components.Error ??= errorSchema;

  // Live events travel over SSE/WebSocket, not as operations: their schemas are named components
  // (LiveEvent, one LiveEvent_<type> per type) and `x-live-events` maps each type to its schema.
  const liveMessage = convert(LiveStreamMessage, "output");
  const liveEvents = {
    streams: ["/api/companies/{companyId}/events", "/api/companies/{companyId}/events/ws"],
    message: liveMessage,
    types: Object.fromEntries(
      LIVE_EVENT_TYPES.map((type) => [type, { $ref: `#/components/schemas/LiveEvent_${type.replaceAll(".", "_")}` }]),
    ),
  };

  return {
    openapi: "3.0.3",
    info: {
      title: "Staple API",
      version,
      description: "Control plane for companies run by AI agents. Compatible with Paperclip's core API.",
    },
    servers: [{ url: "/" }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        LocalBoard: {
          type: "apiKey",
          in: "header",
          name: "X-Staple-Local-Board",
          description: "local_trusted: requests without credentials act as the board",
        },
        AgentBearer: { type: "http", scheme: "bearer", description: "Agent API key (pcp_…) or run-scoped agent JWT" },
      },
    },
    "x-live-events": liveEvents,
  };
}
