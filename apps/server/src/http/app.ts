import { Hono, type Context } from "hono";
import { requestId as requestIdMiddleware } from "hono/request-id";
import type { Actor } from "../auth/actor.js";
import { assertAgent, assertBoard, assertCompanyAccess } from "../auth/access.js";
import { gateAgentRequest, gateMemberRequest } from "../auth/member-gate.js";
import type { Authenticate } from "../auth/authenticate.js";
import type { Logger } from "../logger.js";
import type { Services } from "../services.js";
import type { CompanyRow } from "../companies/service.js";
import { errorToResponse } from "./error-funnel.js";
import { readBodyText } from "./body-reader.js";
import { parseJsonBody } from "./json-body.js";
import { compatBody, compatQuery } from "./paperclip-compat.js";
import { buildOpenApi } from "./openapi.js";
import type { AnyRoute, HttpLimits, RouteContext, ServerInfo } from "./route.js";
import { ATTACHMENT_MAX_BYTES_DEFAULT } from "@staple/contracts";
import { allRoutes } from "./routes/index.js";
import { mountLiveSse } from "./live-stream.js";
import { mountUiStatic } from "./ui-static.js";

/** Largest request body, in bytes (counted while it streams in, chunked or not). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface AppDeps {
  services: Services;
  authenticate: Authenticate;
  logger: Logger;
  info: ServerInfo;
  /** Extra routes (the run engine mounts its own). */
  extraRoutes?: readonly AnyRoute[];
  /** The built board UI served at `/` (default: apps/ui/dist). */
  uiDir?: string;
  /** Largest attachment upload in bytes (default 25 MB). */
  attachmentMaxBytes?: number;
}

/** The request body as JSON: byte limit enforced while streaming, then the shared JSON rules. */
async function readJsonBody(c: Context, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  return parseJsonBody(await readBodyText(c.req.raw, maxBytes));
}

/** Mounts every route of the table on a Hono app, with one error funnel and one auth step. */
export function createApp(deps: AppDeps) {
  const { services, authenticate, logger, info } = deps;
  const routes = [...allRoutes, ...(deps.extraRoutes ?? [])];
  const limits: HttpLimits = { attachmentMaxBytes: deps.attachmentMaxBytes ?? ATTACHMENT_MAX_BYTES_DEFAULT };
  const app = new Hono();
  // X-Request-Id on every answer: the caller's own (when short and plain) or a new uuid.
  app.use(requestIdMiddleware());
  let openApiCache: unknown;

  mountLiveSse(app, { services, authenticate, logger });
  app.get("/api/openapi.json", (c) => c.json((openApiCache ??= buildOpenApi(routes, info.version))));

  for (const route of routes) {
    app.on(route.method.toUpperCase(), route.path, async (c) => {
      const started = performance.now();
      const requestId = c.get("requestId");
      let actor: Actor | undefined;
      try {
        if (route.access !== "public") {
          actor = await authenticate({
            authorization: c.req.header("authorization"),
            runIdHeader: c.req.header("x-paperclip-run-id"),
            cookie: c.req.header("cookie"),
            method: c.req.method,
            origin: c.req.header("origin"),
            host: c.req.header("host"),
            secFetchSite: c.req.header("sec-fetch-site"),
          });
          if (route.access === "board") assertBoard(actor);
          if (route.access === "agent") assertAgent(actor);
        }
        const params = c.req.param() as Record<string, string>;
        if (actor?.kind === "board" && actor.roles) await gateMemberRequest(services.db, actor, route, params);
        if (actor?.kind === "agent") await gateAgentRequest(services.db, actor, route, params);
        let company: CompanyRow | undefined;
        if (params.companyId !== undefined && actor) {
          // Scope first (an agent learns nothing about other companies), then existence.
          assertCompanyAccess(actor, params.companyId);
          company = await services.companies.require(params.companyId);
        }
        // Paperclip-known fields the route does not model are dropped and named (paperclip-compat.ts).
        const sentQuery = compatQuery(c, route, c.req.query());
        const query = route.query ? route.query.parse(sentQuery) : undefined;
        let body: unknown;
        if (route.body) {
          const alt = route.altBodies?.[(c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase()];
          const raw = alt ? await alt.read(c.req.raw) : await readJsonBody(c, route.maxBodyBytes);
          body = raw === undefined && route.bodyOptional ? undefined : route.body.parse(compatBody(c, route, raw) ?? undefined);
        }
        const ctx: RouteContext<unknown, unknown> = {
          actor: actor!,
          params,
          query,
          body,
          services,
          info,
          company: company!,
          header: (name) => c.req.header(name),
          request: c.req.raw,
          clientIp:
            (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? "local",
          limits,
        };
        const reply = await route.handler(ctx);
        for (const [name, value] of Object.entries(reply.headers ?? {}))
          c.header(name, value, { append: name.toLowerCase() === "set-cookie" });
        logger.debug("request", {
          requestId,
          method: route.method,
          path: c.req.path,
          status: reply.status,
          ms: Math.round(performance.now() - started),
        });
        if (reply.rawBinary) return c.body(reply.rawBinary.body, reply.status as 200, { "content-type": reply.rawBinary.contentType });
        if (reply.rawText) return c.body(reply.rawText.text, reply.status as 200, { "content-type": reply.rawText.contentType });
        if (reply.rawJson !== undefined)
          return c.body(reply.rawJson, reply.status as 200, { "content-type": "application/json; charset=UTF-8" });
        return c.json(reply.body as object, reply.status as 200);
      } catch (error) {
        const { status, body } = errorToResponse(error, logger, { requestId, method: route.method, path: c.req.path });
        logger.debug("request", { requestId, method: route.method, path: c.req.path, status, ms: Math.round(performance.now() - started) });
        return c.json(body, status as 400);
      }
    });
  }

  mountUiStatic(app, deps.uiDir);

  app.notFound((c) => c.json({ error: c.req.path.startsWith("/api") ? "API route not found" : "Not found" }, 404));
  app.onError((error, c) => {
    const { status, body } = errorToResponse(error, logger, { path: c.req.path });
    return c.json(body, status as 500);
  });
  return app;
}
export type App = ReturnType<typeof createApp>;
