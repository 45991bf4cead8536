import type { ErrorFamily } from "@staple/adapter-kit";
import { parseRetryNotBefore } from "./reset-time.js";
import type { ClaudeApiError, ClaudeRateLimit, ClaudeResultInfo } from "./stream-parser.js";

/**
 * Decides how a finished `claude` process ended. Pure: everything it reads is in the input.
 *
 * Order, first match wins: success (exit 0 with a non-error result) -> max turns (result subtype
 * error_max_turns) -> auth required -> transient upstream -> a failed result -> killed by a signal ->
 * non-zero exit -> exit 0 without a result. Spawn errors, timeouts and cancellation are decided before
 * this (they need no output). Only error-bearing text is searched: the result text of an error result,
 * its `errors`, API error messages, stderr and non-JSON stdout; never the agent's ordinary output, which
 * may well mention "429" or "login".
 */

export interface ClaudeOutcomeInput {
  exitCode: number | null;
  signal: string | null;
  result: ClaudeResultInfo | null;
  apiErrors: ClaudeApiError[];
  rateLimit: ClaudeRateLimit | null;
  stderr: string;
  nonJsonStdout: string;
  maxTurns: number | null;
  now: Date;
  timeZone?: string;
}

export interface ClaudeFailure {
  errorCode: string;
  errorMessage: string;
  errorFamily?: ErrorFamily;
  retryNotBefore?: string;
}

export const AUTH_RE =
  /invalid api key|please run \/login|not logged in|\blogin required|authenticat(?:e|ion)|invalid (?:auth|authentication|bearer) token|oauth token (?:has )?(?:expired|been revoked|revoked)|\b401\b|unauthorized/i;
export const TRANSIENT_RE =
  /rate[ _-]?limit|too many requests|\b429\b|overloaded|\b529\b|\b503\b|service unavailable|bad gateway|gateway time-?out|internal server error|api error:?\s*5\d\d\b|\bstatus(?: code)?:?\s*5\d\d\b|\bhttp\s*5\d\d\b|usage limit reached|limit reached\|\d+|you['’]ve hit your (?:[\w-]+ )*limit|out of (?:extra )?usage/i;
export const UNKNOWN_SESSION_RE = /no conversation found with session id|(?:unknown|expired) session/i;

const AUTH_CODES = new Set(["authentication_failed", "oauth_org_not_allowed", "cloud_credential_error"]);
const TRANSIENT_CODES = new Set(["rate_limit", "overloaded", "server_error"]);
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504, 529]);

export function classifyClaudeOutcome(input: ClaudeOutcomeInput): ClaudeFailure | null {
  const { result } = input;
  if (input.exitCode === 0 && input.signal === null && result !== null && !result.isError && !result.subtype?.startsWith("error"))
    return null;

  if (result?.subtype === "error_max_turns") {
    const limit = input.maxTurns !== null ? ` (${input.maxTurns})` : "";
    return { errorCode: "max_turns_exhausted", errorMessage: `Claude stopped at the max turns limit${limit} before finishing` };
  }
  const haystack = errorHaystack(input);
  const detail = firstLine(haystack);
  const codes = input.apiErrors.map((e) => e.code);
  if (codes.some((c) => c !== null && AUTH_CODES.has(c)) || result?.apiErrorStatus === 401 || AUTH_RE.test(haystack)) {
    return {
      errorCode: "claude_auth_required",
      errorMessage:
        `Claude authentication required${detail ? `: ${detail}` : ""}. Fix: run "claude login" as the server's user ` +
        "(subscription), or set adapterConfig.env.ANTHROPIC_API_KEY as a secret.",
    };
  }
  const rejected = input.rateLimit !== null && input.rateLimit.status === "rejected";
  const status = result?.apiErrorStatus ?? null;
  if (
    rejected ||
    codes.some((c) => c !== null && TRANSIENT_CODES.has(c)) ||
    (status !== null && TRANSIENT_STATUSES.has(status)) ||
    TRANSIENT_RE.test(haystack)
  ) {
    const retryAt = retryNotBefore(input, haystack);
    return {
      errorCode: "claude_transient_upstream",
      errorFamily: "transient_upstream",
      errorMessage: `Claude upstream is temporarily unavailable${detail ? `: ${detail}` : ""}`,
      ...(retryAt ? { retryNotBefore: retryAt.toISOString() } : {}),
    };
  }
  if (result?.isError || result?.subtype?.startsWith("error")) {
    return { errorCode: "adapter_failed", errorMessage: `Claude run failed (${result.subtype ?? "error"})${detail ? `: ${detail}` : ""}` };
  }
  if (input.signal !== null) return { errorCode: "adapter_failed", errorMessage: `claude was killed by signal ${input.signal}` };
  if (input.exitCode !== 0) {
    return { errorCode: "adapter_failed", errorMessage: `claude exited with code ${input.exitCode}${detail ? `: ${detail}` : ""}` };
  }
  return { errorCode: "adapter_failed", errorMessage: "claude exited with code 0 without a result (the output stream ended early)" };
}

/** True when the CLI says the session passed to --resume does not exist (or no longer does). */
export function isUnknownSessionError(input: { result: ClaudeResultInfo | null; stderr: string }): boolean {
  const texts = [...(input.result?.errors ?? []), input.result?.isError ? (input.result.text ?? "") : "", input.stderr];
  return texts.some((t) => UNKNOWN_SESSION_RE.test(t));
}

function errorHaystack(input: ClaudeOutcomeInput): string {
  const result = input.result;
  return [
    result?.isError ? (result.text ?? "") : "",
    ...(result?.errors ?? []),
    ...input.apiErrors.map((e) => e.text),
    input.stderr,
    input.nonJsonStdout,
  ]
    .map((t) => t.trim())
    .filter((t) => t !== "")
    .join("\n");
}

function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "") ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line.trim();
}

/** The structured reset time of a rejected rate limit wins; else one parsed from the error text. */
function retryNotBefore(input: ClaudeOutcomeInput, haystack: string): Date | null {
  const resetsAt = input.rateLimit?.status === "rejected" ? input.rateLimit.resetsAt : null;
  if (resetsAt !== null) {
    const at = new Date(resetsAt > 1e12 ? resetsAt : resetsAt * 1000);
    if (at.getTime() > input.now.getTime()) return at;
  }
  return parseRetryNotBefore(haystack, input.now, input.timeZone);
}
