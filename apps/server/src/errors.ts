/**
 * Domain errors. Services throw these; only http/error-funnel.ts knows their HTTP status codes,
 * so a scheduler pass or a CLI caller gets a typed error, not a status code.
 */
export type DomainErrorKind =
  | "validation" // the input is malformed (400)
  | "unauthenticated" // no or bad credentials (401)
  | "forbidden" // the actor may not do this (403)
  | "not_found" // the resource does not exist or is not visible (404)
  | "conflict" // the current state forbids it; retrying later may work (409)
  | "rule_violation"; // a domain rule forbids it (422)

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly details?: unknown,
    /** A stable machine-readable code for clients, e.g. `agent_jwt_run_id_mismatch`. */
    readonly code?: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const validationError = (message: string, details?: unknown) => new DomainError("validation", message, details);
export const unauthenticated = (message: string, code?: string) => new DomainError("unauthenticated", message, undefined, code);
export const forbidden = (message: string, code?: string) => new DomainError("forbidden", message, undefined, code);
export const notFound = (message: string) => new DomainError("not_found", message);
export const conflict = (message: string, details?: unknown, code?: string) => new DomainError("conflict", message, details, code);
export const ruleViolation = (message: string, details?: unknown, code?: string) =>
  new DomainError("rule_violation", message, details, code);
