import fc from "fast-check";
import { isFreeForm, type JsonSchema } from "./operations.js";

/** Names a uuid field's real target (see world.ts); undefined means any well-formed uuid. */
export type IdFor = (field: string) => string | undefined;

const UUID_RE = /^\^\[0-9a-f\]\{8\}|0-9a-fA-F\]\{8\}/;
const isUuid = (s: JsonSchema) => s.format === "uuid" || (s.pattern !== undefined && UUID_RE.test(s.pattern));
const FALLBACK_UUID = "8f3c2a1e-4b5d-4c6e-9f70-1a2b3c4d5e6f";

/** The non-null branch of a nullable anyOf, or the schema itself. */
function main(schema: JsonSchema): JsonSchema {
  const branches = schema.anyOf ?? schema.oneOf;
  if (!branches) return schema;
  return branches.find((b) => b.type !== "null" && !(b.enum && b.enum.length === 1 && b.enum[0] === "null")) ?? branches[0]!;
}

function exampleString(schema: JsonSchema, field: string, idFor: IdFor): string {
  if (isUuid(schema)) return idFor(field) ?? FALLBACK_UUID;
  if (schema.format === "date-time") return "2026-01-15T10:00:00.000Z";
  if (schema.format === "date") return "2026-01-15";
  if (schema.format === "uri") return "http://127.0.0.1:9/fuzz";
  if (schema.pattern) return fc.sample(fc.stringMatching(new RegExp(schema.pattern)), { numRuns: 1, seed: 1 })[0]!;
  const min = schema.minLength ?? 1;
  return "fuzz".padEnd(Math.min(Math.max(min, 4), schema.maxLength ?? 4), "z");
}

/** A minimal valid value: required properties only, first enum value, smallest in-range number. */
export function example(schema: JsonSchema, idFor: IdFor, field = ""): unknown {
  const s = main(schema);
  if (s.enum) return s.enum[0];
  switch (s.type) {
    case "string":
      return exampleString(s, field, idFor);
    case "integer":
    case "number":
      return Math.max(s.minimum ?? 1, Math.min(1, s.maximum ?? 1));
    case "boolean":
      return false;
    case "array":
      return Array.from({ length: s.minItems ?? 0 }, () => example(s.items ?? {}, idFor, field));
    case "object": {
      if (!s.properties) return {};
      const out: Record<string, unknown> = {};
      for (const name of s.required ?? []) out[name] = example(s.properties[name] ?? {}, idFor, name);
      return out;
    }
    default:
      return {};
  }
}

/** A field reachable in a body: its path from the root and its schema. Descends into declared objects. */
export interface FieldRef {
  path: string[];
  schema: JsonSchema;
  required: boolean;
}

export function fieldsOf(schema: JsonSchema, prefix: string[] = [], depth = 0): FieldRef[] {
  const s = main(schema);
  if (s.type !== "object" || !s.properties || depth > 4) return [];
  const out: FieldRef[] = [];
  for (const [name, child] of Object.entries(s.properties)) {
    const path = [...prefix, name];
    out.push({ path, schema: child, required: s.required?.includes(name) ?? false });
    out.push(...fieldsOf(child, path, depth + 1));
  }
  return out;
}

/** Sets `value` at `path` in a copy of `body`, creating the declared parents it needs. */
export function setAt(body: unknown, path: string[], value: unknown): unknown {
  const root: Record<string, unknown> =
    body && typeof body === "object" && !Array.isArray(body) ? { ...(body as Record<string, unknown>) } : {};
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node[key] = next && typeof next === "object" && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
  return root;
}

export function deleteAt(body: unknown, path: string[]): unknown {
  const copy = JSON.parse(JSON.stringify(body ?? {})) as Record<string, unknown>;
  let node: Record<string, unknown> | undefined = copy;
  for (const key of path.slice(0, -1)) node = node?.[key] as Record<string, unknown> | undefined;
  if (node) delete node[path[path.length - 1]!];
  return copy;
}

/** Strings: mostly printable, sometimes any code point (including NUL and controls). */
const textArb = (minLength: number, maxLength: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength, maxLength, unit: "grapheme-ascii" }) },
    { weight: 1, arbitrary: fc.string({ minLength, maxLength, unit: "binary" }) },
    { weight: 1, arbitrary: fc.string({ minLength, maxLength, unit: "grapheme" }) },
  );

/** Free-form JSON: small random documents, with odd keys now and then. */
const freeFormArb = fc.dictionary(textArb(0, 8), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });

const BIG_INTS = [2147483647, 2147483648, -2147483649, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];

/**
 * Values the schema accepts, with the ranges explored (including int4-crossing integers that the
 * schema allows) and optional properties present or not. Uuids lean towards the real objects.
 */
export function validArb(schema: JsonSchema, idFor: IdFor, field = "", depth = 0): fc.Arbitrary<unknown> {
  const s = main(schema);
  const branches = schema.anyOf ?? schema.oneOf;
  const nullable = schema.nullable || s.nullable || (branches?.some((b) => b.type === "null") ?? false);
  const arb = validArbOf(s, idFor, field, depth);
  return nullable ? fc.oneof({ weight: 5, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(null) }) : arb;
}

function validArbOf(s: JsonSchema, idFor: IdFor, field: string, depth: number): fc.Arbitrary<unknown> {
  if (s.enum) return fc.constantFrom(...s.enum);
  if (isFreeForm(s) && s.type !== "string") return freeFormArb;
  switch (s.type) {
    case "string": {
      if (isUuid(s)) {
        const real = idFor(field);
        return real
          ? fc.oneof({ weight: 4, arbitrary: fc.constant(real) }, { weight: 1, arbitrary: fc.uuid({ version: 4 }) })
          : fc.uuid({ version: 4 });
      }
      if (s.format === "date-time")
        return fc.date({ min: new Date("1970-01-01"), max: new Date("2200-01-01"), noInvalidDate: true }).map((d) => d.toISOString());
      if (s.format === "date")
        return fc
          .date({ min: new Date("1970-01-01"), max: new Date("9999-12-31"), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10));
      if (s.format === "uri") return fc.constantFrom("http://127.0.0.1:9/x", "https://localhost/a?b=c#d", "mailto:a@localhost");
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern));
      const min = s.minLength ?? 0;
      return textArb(min, Math.max(min, Math.min(s.maxLength ?? 60, 60)));
    }
    case "integer": {
      const lo = s.minimum ?? -Number.MAX_SAFE_INTEGER;
      const hi = s.maximum ?? Number.MAX_SAFE_INTEGER;
      const inRange = BIG_INTS.filter((n) => n >= lo && n <= hi);
      return fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: Math.max(lo, -1000), max: Math.min(hi, 1000) }) },
        { weight: 1, arbitrary: fc.constantFrom(lo, hi, ...inRange) },
        { weight: 1, arbitrary: fc.integer({ min: Math.max(lo, -(2 ** 31)), max: Math.min(hi, 2 ** 31 - 1) }) },
      );
    }
    case "number":
      return fc.double({ min: s.minimum ?? -1e15, max: s.maximum ?? 1e15, noNaN: true, noDefaultInfinity: true });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(validArb(s.items ?? {}, idFor, field, depth + 1), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 4, 4),
      });
    case "object": {
      if (!s.properties || depth > 4) return freeFormArb;
      const props = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, validArb(v, idFor, k, depth + 1)]));
      return fc.record(props, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}
