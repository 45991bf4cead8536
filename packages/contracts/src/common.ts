import { z } from "zod";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A uuid (any version; Postgres accepts them all), normalized to lower case as Postgres prints it.
 * toLowerCase() keeps it a string schema (a transform() would make its output type unknown in the
 * generated OpenAPI document and client types).
 */
export const Uuid = z.string().regex(UUID_RE, "Invalid uuid").toLowerCase().meta({ format: "uuid" });
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

export const Timestamp = z.string().meta({ format: "date-time" });
export const NullableTimestamp = Timestamp.nullable();
export const JsonObject = z.record(z.string(), z.unknown());

/** Every error answer: `{error, details?}`. */
export const ErrorBody = z
  .object({ error: z.string(), code: z.string().optional(), details: z.unknown().optional() })
  .meta({ id: "Error" });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Query-string integers: digits only, so `?limit=abc` or `?limit=1.5` is a 400, not NaN. */
export const QueryInt = z
  .string()
  .regex(/^\d+$/, "Expected a non-negative integer")
  .transform((value) => Number(value));

export const OkBody = z.object({ ok: z.literal(true) });

/**
 * Largest value of a Postgres `integer` (int4) column. Every request field stored in one carries
 * this bound in its schema, so an oversized number is a 400 naming the field, never a database error.
 */
export const INT4_MAX = 2_147_483_647;
/** A count or amount stored in an int4 column that may not be negative (cents, budgets). */
export const NonNegativeInt4 = z.number().int().min(0).max(INT4_MAX);

export const NonEmptyTrimmed = z.string().trim().min(1);
