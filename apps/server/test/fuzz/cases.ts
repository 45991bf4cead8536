import { badJsonBodies, badPathIds, BAD_QUERY_VALUES, freeFormValues, NASTY_NUMBERS, NASTY_STRINGS, TYPED_VALUES } from "./nasty-values.js";
import { toJsonText } from "./json-text.js";
import { isFreeForm, typesOf, type JsonSchema, type Operation } from "./operations.js";
import type { FuzzRequest } from "./harness.js";
import { deleteAt, example, fieldsOf, setAt, type IdFor } from "./schema-values.js";

/** What a request is built from before encoding: path values, query pairs, body value or text. */
export interface RequestParts {
  pathValues: Record<string, string>;
  /** Already-encoded `k=v` pairs. */
  query: string[];
  /** Body as a value (JSON-encoded on send) or as raw text; absent: no body. */
  body?: { value: unknown } | { text: string };
}

export function buildRequest(op: Operation, parts: RequestParts, label: string): FuzzRequest {
  let path = op.path.replace(/\{([A-Za-z]+)\}/g, (_m, name: string) => parts.pathValues[name] ?? "");
  if (parts.query.length) path += `?${parts.query.join("&")}`;
  const rawBody = parts.body === undefined ? undefined : "text" in parts.body ? parts.body.text : toJsonText(parts.body.value);
  return { method: op.method, path, rawBody, label };
}

/** A valid query value per declared parameter, so that one bad parameter is the only fault. */
export function validQueryValue(schema: JsonSchema, idFor: IdFor, name: string): string {
  const v = example(schema, idFor, name);
  return encodeURIComponent(String(v));
}

/**
 * The deterministic table for one operation: every bad-JSON shape, every declared field with
 * wrong types / missing / boundary / unicode values, free-form fields with depth and NUL, every
 * path parameter and query parameter with bad values, plus unknown keys and parameters.
 */
export function tableCases(op: Operation, realPath: Record<string, string>, idFor: IdFor, randomUuid: string): FuzzRequest[] {
  const cases: FuzzRequest[] = [];
  const base = (): RequestParts => ({ pathValues: { ...realPath }, query: [], body: op.body ? { value: baseBody } : undefined });
  const baseBody = op.body ? example(op.body.schema, idFor) : undefined;
  const add = (label: string, patch: (p: RequestParts) => void) => {
    const parts = base();
    patch(parts);
    cases.push(buildRequest(op, parts, label));
  };

  add("valid", () => {});

  for (const param of op.pathParams) {
    for (const [name, value] of Object.entries(badPathIds(randomUuid))) add(`path.${param}=${name}`, (p) => (p.pathValues[param] = value));
  }

  for (const q of op.query) {
    for (const [name, value] of Object.entries(BAD_QUERY_VALUES)) add(`query.${q.name}=${name}`, (p) => p.query.push(`${q.name}=${value}`));
    add(`query.${q.name} repeated`, (p) =>
      p.query.push(`${q.name}=${validQueryValue(q.schema, idFor, q.name)}`, `${q.name}=${BAD_QUERY_VALUES.negative}`),
    );
    add(`query.${q.name}[] array form`, (p) => p.query.push(`${q.name}[]=1`, `${q.name}[]=2`));
    add(`query.${q.name} valid`, (p) => p.query.push(`${q.name}=${validQueryValue(q.schema, idFor, q.name)}`));
  }
  add("query unknown param", (p) => p.query.push("unknownParam=1", "__proto__=x"));
  add("query bad percent in name", (p) => p.query.push("%ff=1", "=", "&&"));

  if (!op.body) return cases;
  const schema = op.body.schema;
  const validText = toJsonText(baseBody);

  if (!op.body.required) add("body absent", (p) => (p.body = undefined));
  for (const [name, text] of Object.entries(badJsonBodies(validText))) add(`body=${name}`, (p) => (p.body = { text }));
  add("body unknown key", (p) => (p.body = { value: { ...(baseBody as object), unknownKey: 1 } }));
  add("body unknown nul key", (p) => (p.body = { value: { ...(baseBody as object), "a\u0000b": 1 } }));

  for (const field of fieldsOf(schema)) {
    const key = `body.${field.path.join(".")}`;
    const set = (label: string, value: unknown) => add(`${key}=${label}`, (p) => (p.body = { value: setAt(baseBody, field.path, value) }));
    if (field.required) add(`${key} missing`, (p) => (p.body = { value: deleteAt(baseBody, field.path) }));

    const declared = typesOf(field.schema);
    for (const [type, value] of Object.entries(TYPED_VALUES)) if (!declared.has(type)) set(`wrong type ${type}`, value);

    if (declared.has("string")) {
      for (const [name, value] of Object.entries(NASTY_STRINGS)) set(name, value);
      if (JSON.stringify(field.schema).includes('"format":"uuid"')) {
        set("random uuid", randomUuid);
        set("nil uuid", "00000000-0000-0000-0000-000000000000");
        set("upper real id", (idFor(field.path[field.path.length - 1]!) ?? randomUuid).toUpperCase());
        set("id of another kind", realPath.companyId ?? idFor("projectId")!);
      }
      const max = maxLengthOf(field.schema);
      if (max !== undefined) {
        set(`len ${max}`, "x".repeat(max));
        set(`len ${max + 1}`, "x".repeat(max + 1));
        set(`len ${max} multibyte`, "é".repeat(max));
      } else {
        set("len 1.5M", "x".repeat(1_500_000));
      }
    }
    if (declared.has("number")) for (const [name, value] of Object.entries(NASTY_NUMBERS)) set(name, value);
    if (declared.has("array")) {
      const items = field.schema.items ?? {};
      const item = example(items, idFor, field.path[field.path.length - 1]);
      const max = field.schema.maxItems;
      if (max !== undefined)
        set(
          `${max + 1} items`,
          Array.from({ length: max + 1 }, () => item),
        );
      set(
        "100k items",
        Array.from({ length: 100_000 }, () => item),
      );
      set("nasty items", Object.values(NASTY_STRINGS));
      set("deep item", [[[[[[[[[[[[item]]]]]]]]]]]]);
    }
    const values = field.schema.anyOf ? [] : (field.schema.enum ?? []);
    if (values.length) {
      set("enum upper", String(values[0]).toUpperCase());
      set("enum nul", `${String(values[0])}\u0000`);
    }
    if (isFreeForm(field.schema) || (field.schema.type === "object" && field.schema.additionalProperties !== false)) {
      for (const [name, value] of Object.entries(freeFormValues())) set(name, value);
    }
  }
  return cases;
}

function maxLengthOf(schema: JsonSchema): number | undefined {
  if (schema.maxLength !== undefined) return schema.maxLength;
  for (const b of schema.anyOf ?? []) if (b.maxLength !== undefined) return b.maxLength;
  return undefined;
}
