import type { Context } from "hono";
import { z } from "zod";
import type { AnyRoute } from "./route.js";
import knownFields from "./paperclip-known-fields.json" with { type: "json" };

/**
 * Paperclip compatibility step of the request pipeline.
 *
 * Paperclip clients (its CLI, its agent skill) send fields Staple does not model, e.g. `workMode`
 * and `requestDepth` when creating an issue. For each route, a top-level body field or query
 * parameter that Paperclip's published schema defines for the same method + path, and that the
 * route's own schema does not name, is removed before strict parsing and named in the response
 * header `Staple-Ignored-Fields` (comma-separated), so nothing is dropped silently.
 *
 * Invariants:
 * - A field the route's schema models is never touched (it is stored and returned as before).
 * - A field in neither schema is left in place, so the strict schema still answers 400 naming it.
 * - Only top-level keys of a JSON object body are considered; nested objects are the schema's.
 * - The table is data generated from the OpenAPI documents
 *   (scripts/generate-paperclip-known-fields.mjs), not a list kept by hand per route.
 */
export const IGNORED_FIELDS_HEADER = "Staple-Ignored-Fields";

interface KnownEntry {
  body?: readonly string[];
  query?: readonly string[];
}
const TABLE = (knownFields as { routes: Record<string, KnownEntry> }).routes;

/**
 * Paperclip fields that are never ignored, because a 2xx that skipped them would do more, or less,
 * than the caller asked in a way that matters: a key `scope` narrows what the new credential may do
 * (ignoring it would hand out a full agent key), and `status` on an agent or company is a state
 * transition (pause, archive) that Staple makes through its own routes. They stay unknown keys:
 * the strict schema answers 400 naming them.
 */
const NEVER_IGNORED: Readonly<Record<string, readonly string[]>> = {
  "post /api/agents/{}/keys": ["scope"],
  "patch /api/agents/{}": ["status"],
  "patch /api/companies/{}": ["status"],
};

/** `/api/issues/:id/comments` and `/api/issues/{issueId}/comments` share one key. */
export function routeKey(method: string, path: string): string {
  return `${method.toLowerCase()} ${path.replace(/\{[^}]+\}/g, "{}").replace(/:[A-Za-z0-9_]+/g, "{}")}`;
}

/**
 * The top-level keys a schema names, through optional/nullable/default/pipe/union wrappers; `null`
 * when it is not an object schema with a fixed key set (then nothing is stripped).
 */
export function modelledKeys(schema: z.ZodType | undefined, depth = 0): Set<string> | null {
  if (!schema || depth > 10) return null;
  if (schema instanceof z.ZodObject) return new Set(Object.keys(schema.shape));
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) {
    return modelledKeys(schema.unwrap() as z.ZodType, depth + 1);
  }
  if (schema instanceof z.ZodPipe) return modelledKeys(schema.in as z.ZodType, depth + 1);
  if (schema instanceof z.ZodUnion) {
    const keys = new Set<string>();
    for (const option of schema.options as readonly z.ZodType[]) {
      const inner = modelledKeys(option, depth + 1);
      if (!inner) return null;
      for (const k of inner) keys.add(k);
    }
    return keys;
  }
  return null;
}

interface RouteCompat {
  /** Paperclip-known body keys this route does not model. */
  body: ReadonlySet<string>;
  /** Paperclip-known query names this route does not model. */
  query: ReadonlySet<string>;
}

const NONE: RouteCompat = { body: new Set(), query: new Set() };
const cache = new WeakMap<AnyRoute, RouteCompat>();

function compatFor(route: AnyRoute): RouteCompat {
  let found = cache.get(route);
  if (found) return found;
  const key = routeKey(route.method, route.path);
  const known = TABLE[key];
  if (!known) found = NONE;
  else {
    const unmodelled = (names: readonly string[] | undefined, schema: z.ZodType | undefined, hasSchema: boolean) => {
      const modelled = hasSchema ? modelledKeys(schema) : new Set<string>();
      // A schema whose keys cannot be read is left alone entirely.
      if (!modelled) return new Set<string>();
      const refused = NEVER_IGNORED[key] ?? [];
      return new Set((names ?? []).filter((n) => !modelled.has(n) && !refused.includes(n)));
    };
    found = {
      body: route.body ? unmodelled(known.body, route.body, true) : new Set(),
      query: unmodelled(known.query, route.query, route.query !== undefined),
    };
  }
  cache.set(route, found);
  return found;
}

function announce(c: Context, names: string[]) {
  if (names.length) c.header(IGNORED_FIELDS_HEADER, names.join(", "), { append: true });
}

/** The query without the Paperclip-known parameters the route ignores (named in the header). */
export function compatQuery(c: Context, route: AnyRoute, query: Record<string, string>): Record<string, string> {
  const { query: ignorable } = compatFor(route);
  if (ignorable.size === 0) return query;
  const kept: Record<string, string> = {};
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (ignorable.has(name)) ignored.push(name);
    else kept[name] = value;
  }
  announce(c, ignored);
  return kept;
}

/** The parsed JSON body without the Paperclip-known fields the route ignores (named in the header). */
export function compatBody(c: Context, route: AnyRoute, body: unknown): unknown {
  const { body: ignorable } = compatFor(route);
  if (ignorable.size === 0 || typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const kept: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(body)) {
    if (ignorable.has(name)) ignored.push(name);
    else kept[name] = value;
  }
  announce(c, ignored);
  return kept;
}
