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
}

export interface Reply {
  status: number;
  body: unknown;
  /** Already-serialized JSON (e.g. built by the database); sent as is instead of `body`. */
  rawJson?: string;
  /** A non-JSON document (e.g. markdown) sent as is. */
  rawText?: { text: string; contentType: string };
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
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handler(ctx: RouteContext<z.output<Q>, z.output<B>>): Promise<Reply> | Reply;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDef<any, any>;

/** Identity helper that keeps the handler's query/body types tied to the declared schemas. */
export function defineRoute<Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(def: RouteDef<Q, B>): AnyRoute {
  return def as AnyRoute;
}

export const ok = (body: unknown): Reply => ({ status: 200, body });
export const okRaw = (json: string): Reply => ({ status: 200, body: undefined, rawJson: json });
export const created = (body: unknown): Reply => ({ status: 201, body });
export const accepted = (body: unknown): Reply => ({ status: 202, body });
