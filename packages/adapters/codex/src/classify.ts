import type { ErrorFamily } from "@staple/adapter-kit";
import { parseRetryNotBefore } from "./retry-time.js";

/**
 * Classifies why a codex run failed, from its error text (turn.failed / error events, stderr, stray stdout).
 *
 * Order (first match wins): auth -> transient upstream -> unknown session -> none.
 * - auth (`codex_auth_required`): 401 / Unauthorized, "not logged in", "please log in", "sign in again",
 *   invalid or incorrect API key, a refresh token that could not be used.
 * - transient (`codex_transient_upstream`, family `transient_upstream`): high demand, rate limit, 429 / Too Many
 *   Requests, overloaded, "try again", usage limit, 502/503 / service unavailable, "stream disconnected before
 *   completion". `retryNotBefore` comes from "try again at …" / "try again in …" when present.
 * - unknown session: `codex exec resume <id>` for a thread codex does not have ("no rollout found for thread
 *   id …", verified with codex-cli 0.169.0) — the caller retries once with a fresh session.
 * Auth wins over transient because an expired login retried later fails the same way.
 */
export type CodexFailureKind = "auth" | "transient" | "unknown_session" | null;

export const CODEX_TRANSIENT_ERROR_CODE = "codex_transient_upstream";
export const CODEX_AUTH_ERROR_CODE = "codex_auth_required";

const AUTH_PATTERNS: RegExp[] = [
  /\b401\b/,
  /\bunauthori[sz]ed\b/i,
  /\bnot (?:logged|signed) in\b/i,
  /\bplease (?:log ?in|login|sign ?in)\b/i,
  /\b(?:log|sign) (?:out and (?:log|sign) )?in again\b/i,
  /\b(?:invalid|incorrect|missing|expired) (?:openai )?api[ _-]?key\b/i,
  /\binvalid_api_key\b/i,
  /\brefresh token\b/i,
  /\bcodex login\b/i,
];

const TRANSIENT_PATTERNS: RegExp[] = [
  /\bhigh demand\b/i,
  /\brate[ _-]?limit/i,
  /\b429\b/,
  /\btoo many requests\b/i,
  /\boverloaded\b/i,
  /\btry again\b/i,
  /\busage limit\b/i,
  /\b50[23]\b/,
  /\bservice unavailable\b/i,
  /\bbad gateway\b/i,
  /\btemporarily unavailable\b/i,
  /\bstream disconnected before completion\b/i,
];

const UNKNOWN_SESSION_PATTERNS: RegExp[] = [/\bno rollout found\b/i, /\bthread not found\b/i, /\bsession not found\b/i];

export function classifyCodexFailureKind(text: string): CodexFailureKind {
  if (AUTH_PATTERNS.some((p) => p.test(text))) return "auth";
  if (TRANSIENT_PATTERNS.some((p) => p.test(text))) return "transient";
  if (UNKNOWN_SESSION_PATTERNS.some((p) => p.test(text))) return "unknown_session";
  return null;
}

export function isUnknownSessionError(text: string): boolean {
  return UNKNOWN_SESSION_PATTERNS.some((p) => p.test(text));
}

export interface CodexFailureClassification {
  errorCode: string;
  errorFamily: ErrorFamily | null;
  retryNotBefore: string | null;
}

/** Auth and transient failures get their codes; anything else is null (the caller reports adapter_failed). */
export function classifyCodexFailure(text: string, now: Date = new Date()): CodexFailureClassification | null {
  const kind = classifyCodexFailureKind(text);
  if (kind === "auth") return { errorCode: CODEX_AUTH_ERROR_CODE, errorFamily: null, retryNotBefore: null };
  if (kind === "transient") {
    return { errorCode: CODEX_TRANSIENT_ERROR_CODE, errorFamily: "transient_upstream", retryNotBefore: parseRetryNotBefore(text, now) };
  }
  return null;
}
