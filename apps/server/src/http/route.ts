import type { z } from "zod";
import type { Actor } from "../auth/actor.js";
import type { Services } from "../services.js";
import type { CompanyRow } from "../companies/service.js";

export type Method = "get" | "post" | "put" | "patch" | "delete";

/**
 * Who may call a route. The wrapper enforces the coarse rule; services enforce the fine ones
 * (company scope, ownership), so a non-HTTP caller gets the same checks.
 * - public: no credentials needed, no actor resolved (health, openapi)
 * - any: board or agent
 * - board: board only (agents get 403)
 * - agent: agent only (the board gets 401 "Agent authentication required")
 */
export type Access = "public" | "any" | "board" | "agent";

export interface ServerInfo {
  version: string;
  deploymentMode: string;
  databaseKind: string;
}

/** Request limits the HTTP layer is configured with (settings, not constants). */
export interface HttpLimits {
  /** Largest attachment upload in bytes (STAPLE_ATTACHMENT_MAX_BYTES). */
  attachmentMaxBytes: number;
}

export interface RouteContext<Q, B> {
  actor: Actor;
  params: Record<string, string>;
  query: Q;
  body: B;
  services: Services;
  info: ServerInfo;
  /** Set for routes under /companies/:companyId after the scope check. */
  company: CompanyRow;
  /** Raw request headers (lower-case names). */
  header(name: string): string | undefined;
  /** The peer's address (the socket's, never a forwarded header); "local" for in-process requests. */
  clientIp: string;
  /** The request itself; only `rawBody` routes read its body (the others get `body`). */
  request: Request;
  limits: HttpLimits;
}

export interface Reply {
  status: number;
  body: unknown;
  /** Already-serialized JSON (e.g. built by the database); sent as is instead of `body`. */
  rawJson?: string | Uint8Array<ArrayBuffer>;
  /** A non-JSON document (e.g. markdown) sent as is. */
  rawText?: { text: string; contentType: string };
  /** Bytes streamed as is (e.g. an attachment's content). */
  rawBinary?: { body: ReadableStream<Uint8Array>; contentType: string };
  /** Extra response headers (Set-Cookie, Location). */
  headers?: Record<string, string>;
}

export interface RouteDef<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: Method;
  /** Hono-style path: `/api/issues/:id`. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  query?: Q;
  body?: B;
  /** The body may be absent entirely (e.g. the legacy heartbeat/invoke with no body). */
  bodyOptional?: boolean;
  /** A larger JSON body limit than the default, for board-only bulk imports. */
  maxBodyBytes?: number;
  /** Other request content types the route takes, each read into the JSON-shaped body that `body` then validates. */
  altBodies?: Record<string, { schema: Record<string, unknown>; read(request: Request): Promise<unknown> }>;
  /**
   * The handler reads the body itself from `ctx.request` (a multipart upload): no JSON parsing and
   * no JSON byte limit apply, so the handler must bound what it reads. Describes the body for the
   * OpenAPI document. Exclusive with `body`.
   */
  rawBody?: { contentType: string; schema: Record<string, unknown> };
  /**
   * Every 2xx answer with a body declares it: `schema` for JSON (test/route-contracts.test.ts fails
   * on a JSON success without one), or `contentType` for a body that is not JSON (text, bytes).
   */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  handler(ctx: RouteContext<z.output<Q>, z.output<B>>): Promise<Reply> | Reply;
}

// biome-ignore lint/suspicious/noExplicitAny: the route table holds routes of every query/body type; defineRoute keeps each handler typed.
export type AnyRoute = RouteDef<any, any>;

/** Identity helper that keeps the handler's query/body types tied to the declared schemas. */
export function defineRoute<Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(def: RouteDef<Q, B>): AnyRoute {
  return def as AnyRoute;
}

export const ok = (body: unknown): Reply => ({ status: 200, body });
export const okRaw = (json: string | Uint8Array<ArrayBuffer>): Reply => ({ status: 200, body: undefined, rawJson: json });
export const created = (body: unknown): Reply => ({ status: 201, body });
export const accepted = (body: unknown): Reply => ({ status: 202, body });
