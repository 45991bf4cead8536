/**
 * Bounded transient retry policy (docs/runs.md#transient-retry) as pure functions: given how a run
 * failed and which attempt it was, decide whether and when to retry. The clock and the random
 * source are parameters, so the schedule is tested by tables.
 */
export const TRANSIENT_RETRY_DELAYS_MS: readonly number[] = Object.freeze([2 * 60_000, 10 * 60_000, 30 * 60_000, 2 * 60 * 60_000]);
export const TRANSIENT_RETRY_MAX_ATTEMPTS = TRANSIENT_RETRY_DELAYS_MS.length;
export const TRANSIENT_RETRY_JITTER = 0.25;
export const TRANSIENT_RETRY_MIN_DELAY_MS = 1_000;

/** Codex fallback ladder: how each successive retry is invoked. */
export const CODEX_FALLBACK_MODES = Object.freeze([
  "same_session",
  "safer_invocation",
  "fresh_session",
  "fresh_session_safer_invocation",
] as const);
export type CodexFallbackMode = (typeof CODEX_FALLBACK_MODES)[number];

const TRANSIENT_ERROR_CODES = new Set(["codex_transient_upstream", "claude_transient_upstream"]);

/** A failed run is eligible when the adapter classified it as a transient upstream failure. */
export function isTransientFailure(run: { status: string; errorCode: string | null; resultJson: Record<string, unknown> | null }): boolean {
  if (run.status !== "failed") return false;
  return run.resultJson?.errorFamily === "transient_upstream" || (run.errorCode !== null && TRANSIENT_ERROR_CODES.has(run.errorCode));
}

export function codexFallbackMode(attempt: number): CodexFallbackMode {
  return CODEX_FALLBACK_MODES[Math.min(Math.max(attempt, 1), CODEX_FALLBACK_MODES.length) - 1]!;
}

export type RetryDecision =
  | { outcome: "retry_exhausted"; attempt: number; maxAttempts: number }
  | { outcome: "scheduled"; attempt: number; maxAttempts: number; dueAt: Date; delayMs: number; fallbackMode: CodexFallbackMode | null };

/**
 * `previousAttempt` is the failed run's own scheduled_retry_attempt (0 for a first failure).
 * delay = round(base × (1 + (2r − 1) × 0.25)), at least 1 s (r = 0.5 gives exactly the base);
 * a later retryNotBefore from the adapter replaces the due time.
 */
export function decideTransientRetry(input: {
  previousAttempt: number;
  adapterType: string;
  retryNotBefore: string | null | undefined;
  now: Date;
  random: () => number;
}): RetryDecision {
  const attempt = input.previousAttempt + 1;
  if (attempt > TRANSIENT_RETRY_MAX_ATTEMPTS) return { outcome: "retry_exhausted", attempt, maxAttempts: TRANSIENT_RETRY_MAX_ATTEMPTS };
  const base = TRANSIENT_RETRY_DELAYS_MS[attempt - 1]!;
  const jittered = Math.max(TRANSIENT_RETRY_MIN_DELAY_MS, Math.round(base * (1 + (2 * input.random() - 1) * TRANSIENT_RETRY_JITTER)));
  let dueAt = new Date(input.now.getTime() + jittered);
  const hint = input.retryNotBefore ? new Date(input.retryNotBefore) : null;
  if (hint && Number.isFinite(hint.getTime()) && hint.getTime() > dueAt.getTime()) dueAt = hint;
  return {
    outcome: "scheduled",
    attempt,
    maxAttempts: TRANSIENT_RETRY_MAX_ATTEMPTS,
    dueAt,
    delayMs: dueAt.getTime() - input.now.getTime(),
    fallbackMode: input.adapterType === "codex_local" ? codexFallbackMode(attempt) : null,
  };
}
