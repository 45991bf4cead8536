import { z } from "zod";
import { DomainError, type DomainErrorKind } from "../errors.js";
import { pgErrorCode } from "../db/database.js";
import type { Logger } from "../logger.js";

const STATUS: Record<DomainErrorKind, number> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rule_violation: 422,
};

export class MalformedBodyError extends Error {}
export class BodyTooLargeError extends Error {}

/**
 * The one place where errors become HTTP answers `{error, code?, details?}`. Anything unexpected
 * is logged with its stack and answered with a generic 500 (no internals leak to the client).
 */
export function errorToResponse(
  error: unknown,
  logger: Logger,
  context: Record<string, unknown>,
): { status: number; body: Record<string, unknown> } {
  if (error instanceof DomainError) {
    const body: Record<string, unknown> = { error: error.message };
    if (error.code) body.code = error.code;
    if (error.details !== undefined) body.details = error.details;
    return { status: STATUS[error.kind], body };
  }
  if (error instanceof z.ZodError) {
    return { status: 400, body: { error: "Validation error", details: error.issues.map(({ input: _i, ...issue }) => issue) } };
  }
  if (error instanceof MalformedBodyError) return { status: 400, body: { error: `Malformed JSON body: ${error.message}` } };
  if (error instanceof BodyTooLargeError) return { status: 413, body: { error: error.message } };
  // Safety nets for database rule violations that input validation should already have caught.
  switch (pgErrorCode(error)) {
    case "22P02":
    case "22021": // a NUL character in a text value (Postgres text cannot hold it)
    case "22P05": // a NUL or lone surrogate escape inside json/jsonb
    case "22007":
    case "22008":
      return { status: 400, body: { error: "Invalid value in request" } };
    case "22003": // a number outside its column's range (e.g. an accumulated int4 counter)
      return { status: 422, body: { error: "A number is out of range for its field" } };
    case "23505":
      return { status: 409, body: { error: "Conflicts with an existing record" } };
    case "23503":
      return { status: 422, body: { error: "Refers to a record that does not exist" } };
    case "23514":
      return { status: 422, body: { error: "Violates a data rule" } };
  }
  logger.error("request failed", { ...context, err: error, detail: (error as { detail?: string }).detail });
  return { status: 500, body: { error: "Internal server error" } };
}
