/**
 * Secret redaction for log chunks and result JSON.
 *
 * Invariants:
 * - Every occurrence of every secret of at least MIN_SECRET_LENGTH characters becomes "[REDACTED]".
 *   Shorter values are ignored: redacting "abc" or "true" everywhere would destroy logs and protect nothing.
 * - Longer secrets win: when one secret contains another, the whole longer value is replaced, not just the
 *   shorter part of it (alternatives are tried longest first at each position, in a single pass).
 * - Replacement text is never rescanned, so "[REDACTED]" cannot itself be partly redacted.
 */

export const REDACTED = "[REDACTED]";
export const MIN_SECRET_LENGTH = 6;

export type Redactor = (text: string) => string;

export function createRedactor(secrets: readonly string[]): Redactor {
  const unique = [...new Set(secrets.filter((s) => typeof s === "string" && s.length >= MIN_SECRET_LENGTH))];
  if (unique.length === 0) return (text) => text;
  unique.sort((a, b) => b.length - a.length);
  const pattern = new RegExp(unique.map(escapeRegExp).join("|"), "g");
  return (text) => text.replace(pattern, REDACTED);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Applies `redactor` to every string inside a JSON-ish value (objects, arrays, strings), keys included.
 * Returns a copy and leaves the input untouched; shared and circular references stay shared in the copy.
 * Non-plain objects (Date, Map, class instances) and other primitives are returned as they are.
 */
export function redactDeep<T>(value: T, redactor: Redactor): T {
  return redactValue(value, redactor, new Map()) as T;
}

function redactValue(value: unknown, redactor: Redactor, copies: Map<object, unknown>): unknown {
  if (typeof value === "string") return redactor(value);
  if (typeof value !== "object" || value === null) return value;
  const seen = copies.get(value);
  if (seen !== undefined) return seen;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    copies.set(value, out);
    for (const item of value) out.push(redactValue(item, redactor, copies));
    return out;
  }
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  copies.set(value, out);
  for (const [key, item] of Object.entries(value)) out[redactor(key)] = redactValue(item, redactor, copies);
  return out;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
