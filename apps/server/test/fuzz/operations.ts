/** The operations of the generated OpenAPI document, in the shape the fuzzer needs. */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  nullable?: boolean;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  enum?: unknown[];
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  $ref?: string;
}

export interface QueryParam {
  name: string;
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  /** `POST /api/companies/{companyId}/issues` */
  name: string;
  method: string;
  /** OpenAPI path template. */
  path: string;
  access: string;
  pathParams: string[];
  query: QueryParam[];
  body?: { schema: JsonSchema; required: boolean };
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string; required?: boolean; schema: JsonSchema }[];
        requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
        "x-staple-access"?: string;
      }
    >
  >;
  components?: { schemas?: Record<string, JsonSchema> };
}

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      const jsonBody = op.requestBody?.content["application/json"];
      ops.push({
        name: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        access: op["x-staple-access"] ?? "any",
        pathParams: params.filter((p) => p.in === "path").map((p) => p.name),
        query: params.filter((p) => p.in === "query").map((p) => ({ name: p.name, required: p.required ?? false, schema: p.schema })),
        body: jsonBody ? { schema: resolveRefs(jsonBody.schema, doc), required: op.requestBody?.required ?? false } : undefined,
      });
    }
  }
  return ops;
}

/** Inlines `#/components/schemas/X` references (bounded: a cycle stops at depth 20 as "any"). */
function resolveRefs(schema: JsonSchema, doc: OpenApiDoc, depth = 0): JsonSchema {
  if (depth > 20) return {};
  if (schema.$ref) {
    const name = schema.$ref.replace("#/components/schemas/", "");
    return resolveRefs(doc.components?.schemas?.[name] ?? {}, doc, depth + 1);
  }
  const out: JsonSchema = { ...schema };
  if (schema.properties)
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, resolveRefs(v, doc, depth + 1)]));
  if (schema.items) out.items = resolveRefs(schema.items, doc, depth + 1);
  if (schema.anyOf) out.anyOf = schema.anyOf.map((s) => resolveRefs(s, doc, depth + 1));
  if (schema.oneOf) out.oneOf = schema.oneOf.map((s) => resolveRefs(s, doc, depth + 1));
  if (typeof schema.additionalProperties === "object") out.additionalProperties = resolveRefs(schema.additionalProperties, doc, depth + 1);
  return out;
}

/** A free-form JSON field: an object whose values may be anything (no declared properties to respect). */
export function isFreeForm(schema: JsonSchema): boolean {
  if (schema.type === undefined && !schema.anyOf && !schema.oneOf && !schema.enum) return true;
  return (
    schema.type === "object" && typeof schema.additionalProperties === "object" && Object.keys(schema.additionalProperties).length === 0
  );
}

/** The declared JSON types of a schema (anyOf flattened; `nullable` adds "null"). */
export function typesOf(schema: JsonSchema): Set<string> {
  const types = new Set<string>();
  const add = (s: JsonSchema) => {
    if (s.anyOf || s.oneOf) (s.anyOf ?? s.oneOf)!.forEach(add);
    if (s.type) types.add(s.type);
    if (s.type === "integer") types.add("number");
    if (s.nullable) types.add("null");
  };
  add(schema);
  return types;
}
