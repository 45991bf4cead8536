import fc from "fast-check";
import { badPathIds, BAD_QUERY_VALUES, freeFormValues, NASTY_NUMBERS, NASTY_STRINGS, TYPED_VALUES } from "./nasty-values.js";
import { raw, toJsonText } from "./json-text.js";
import type { Operation } from "./operations.js";
import { buildRequest, validQueryValue } from "./cases.js";
import type { FuzzRequest } from "./harness.js";
import { fieldsOf, setAt, validArb, type IdFor } from "./schema-values.js";

/** Any value a mutation may put into a field: nasty constants, wrong types, random JSON, random text. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...Object.values(NASTY_STRINGS)),
  fc.constantFrom(...Object.values(NASTY_NUMBERS)),
  fc.constantFrom(...Object.values(TYPED_VALUES)),
  fc.constantFrom(...Object.values(freeFormValues()).filter((v) => (JSON.stringify(v) ?? "").length < 100_000)),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.double(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => ({ __raw: n.toString() })),
);

/**
 * One random request: real ids most of the time (so handlers reach their queries), a valid-ish body
 * generated from the schema with up to three fields replaced by hostile values, and now and then a
 * bad path id, bad query value or unknown key.
 */
export function requestArb(op: Operation, realPath: Record<string, string>, idFor: IdFor): fc.Arbitrary<FuzzRequest> {
  const pathArb = fc.record(
    Object.fromEntries(
      op.pathParams.map((name) => [
        name,
        fc.oneof(
          { weight: 8, arbitrary: fc.constant(realPath[name]!) },
          { weight: 1, arbitrary: fc.uuid({ version: 4 }).chain((u) => fc.constantFrom(...Object.values(badPathIds(u)))) },
          { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 30 }).map(encodeURIComponentLenient) },
        ),
      ]),
    ),
  ) as fc.Arbitrary<Record<string, string>>;

  const queryArb = fc
    .tuple(
      ...op.query.map((q) =>
        fc.option(
          fc
            .oneof(
              { weight: 3, arbitrary: fc.constant(validQueryValue(q.schema, idFor, q.name)) },
              { weight: 2, arbitrary: validArb(q.schema, idFor, q.name).map((v) => encodeURIComponent(String(v))) },
              { weight: 1, arbitrary: fc.constantFrom(...Object.values(BAD_QUERY_VALUES)) },
              { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 30 }).map(encodeURIComponentLenient) },
            )
            .map((v) => `${q.name}=${v}`),
          { freq: 2 },
        ),
      ),
    )
    .map((pairs) => pairs.filter((p): p is string => p !== null));

  const fields = op.body ? fieldsOf(op.body.schema) : [];
  const bodyArb: fc.Arbitrary<{ value: unknown } | { text: string } | undefined> = !op.body
    ? fc.constant(undefined)
    : fc.oneof(
        {
          weight: 8,
          arbitrary: fc
            .tuple(
              validArb(op.body.schema, idFor),
              fields.length ? fc.array(fc.tuple(fc.constantFrom(...fields), anyValue), { maxLength: 3 }) : fc.constant([]),
              fc.option(fc.tuple(fc.string({ unit: "binary", maxLength: 12 }), anyValue), { freq: 6 }),
            )
            .map(([body, mutations, extra]) => {
              let out = body;
              for (const [field, value] of mutations) out = setAt(out, field.path, toRaw(value));
              if (extra && out && typeof out === "object") out = { ...(out as object), [extra[0]]: toRaw(extra[1]) };
              return { value: out };
            }),
        },
        { weight: 1, arbitrary: validArb(op.body.schema, idFor).map((v) => ({ text: mangleText(toJsonText(v)) })) },
        { weight: op.body.required ? 0 : 1, arbitrary: fc.constant(undefined) },
      );

  return fc.record({ pathValues: pathArb, query: queryArb, body: bodyArb }).map((parts) => buildRequest(op, parts, "property"));
}

/** `{__raw}` markers from the bigint generator become JSON numerals beyond double precision. */
function toRaw(value: unknown): unknown {
  return value && typeof value === "object" && "__raw" in value ? raw((value as { __raw: string }).__raw) : value;
}

/** Truncates or appends garbage, chosen from the text's own length (deterministic per input). */
function mangleText(text: string): string {
  const cut = text.length % 3;
  if (cut === 0) return text.slice(0, Math.floor(text.length / 2));
  if (cut === 1) return `${text},`;
  return `\ufeff${text}`;
}

/** encodeURIComponent throws on lone surrogates; those become raw `%ed%a0%80`-style bytes instead. */
function encodeURIComponentLenient(s: string): string {
  let out = "";
  for (const ch of s) {
    try {
      out += encodeURIComponent(ch);
    } catch {
      out += "%ed%a0%80";
    }
  }
  return out;
}
