import path from "node:path";
import type { AdapterRuntime } from "@staple/adapter-kit";
import { isResumableSessionId } from "./args.js";
import { DEFAULT_SAFE_SANDBOX, type CodexAdapterConfig, type CodexSandboxMode } from "./config.js";

/**
 * How one heartbeat invokes codex: resume or fresh, bypass or sandboxed, and the exact stdin prompt.
 *
 * The Codex fallback ladder (docs/runs.md#transient-retry) arrives as
 * `context.codexTransientFallbackMode` on bounded retries after a transient upstream failure:
 *   same_session                    resume as usual
 *   safer_invocation                resume, but without the bypass flag (sandboxed flags instead)
 *   fresh_session                   do not resume; the prompt starts with a handoff note
 *   fresh_session_safer_invocation  both
 * Absent (or unknown) means a normal invocation.
 *
 * Invariants: a session is resumed only when its id is resumable and the saved session cwd is empty or
 * equal to the current cwd; the prompt is the engine's prompt, optionally preceded by the handoff note,
 * and never gains anything else (no secrets, no config values).
 */
export const CODEX_FALLBACK_MODES = ["same_session", "safer_invocation", "fresh_session", "fresh_session_safer_invocation"] as const;
export type CodexFallbackMode = (typeof CODEX_FALLBACK_MODES)[number];

export function parseFallbackMode(value: unknown): CodexFallbackMode | null {
  return typeof value === "string" && (CODEX_FALLBACK_MODES as readonly string[]).includes(value) ? (value as CodexFallbackMode) : null;
}

export function isFreshFallback(mode: CodexFallbackMode | null): boolean {
  return mode === "fresh_session" || mode === "fresh_session_safer_invocation";
}

export function isSaferFallback(mode: CodexFallbackMode | null): boolean {
  return mode === "safer_invocation" || mode === "fresh_session_safer_invocation";
}

/** The session the run would resume, from the runtime (sessionParams win over the bare sessionId). */
export interface SavedSession {
  sessionId: string | null;
  cwd: string | null;
}

export function savedSession(runtime: AdapterRuntime): SavedSession {
  const params = runtime.sessionParams ?? {};
  const fromParams = typeof params.sessionId === "string" && params.sessionId !== "" ? params.sessionId : null;
  const sessionId = fromParams ?? (runtime.sessionId && runtime.sessionId !== "" ? runtime.sessionId : null);
  const cwd = typeof params.cwd === "string" && params.cwd !== "" ? params.cwd : null;
  return { sessionId, cwd };
}

/** Why a saved session is not resumed (null when it is, or when there is none). */
export type ResumeSkipReason = "cwd_mismatch" | "invalid_session_id" | "fallback_fresh_session" | null;

export interface InvocationPlan {
  resumeSessionId: string | null;
  bypassApprovalsAndSandbox: boolean;
  sandbox: CodexSandboxMode | null;
  prompt: string;
  fallbackMode: CodexFallbackMode | null;
  /** The saved session that was not resumed, and why. */
  skippedSessionId: string | null;
  skipReason: ResumeSkipReason;
  handoffNote: boolean;
}

export interface PlanInput {
  config: Pick<CodexAdapterConfig, "bypassApprovalsAndSandbox" | "sandbox">;
  runtime: AdapterRuntime;
  context: Record<string, unknown>;
  cwd: string;
  prompt: string;
}

export function planInvocation(input: PlanInput): InvocationPlan {
  const fallbackMode = parseFallbackMode(input.context.codexTransientFallbackMode);
  const saved = savedSession(input.runtime);
  let resumeSessionId: string | null = null;
  let skipReason: ResumeSkipReason = null;
  if (saved.sessionId !== null) {
    if (isFreshFallback(fallbackMode)) skipReason = "fallback_fresh_session";
    else if (!isResumableSessionId(saved.sessionId)) skipReason = "invalid_session_id";
    else if (saved.cwd !== null && path.resolve(saved.cwd) !== path.resolve(input.cwd)) skipReason = "cwd_mismatch";
    else resumeSessionId = saved.sessionId;
  }

  let bypass = input.config.bypassApprovalsAndSandbox;
  let sandbox = input.config.sandbox;
  if (isSaferFallback(fallbackMode)) {
    bypass = false;
    // "Safer" never means full access: downgrade an explicit danger-full-access too.
    sandbox = sandbox === null || sandbox === "danger-full-access" ? DEFAULT_SAFE_SANDBOX : sandbox;
  }

  const handoffNote = isFreshFallback(fallbackMode);
  const prompt = handoffNote ? withHandoffNote(input.prompt, input.context, "transient_failure") : input.prompt;
  return {
    resumeSessionId,
    bypassApprovalsAndSandbox: bypass,
    sandbox: bypass ? null : (sandbox ?? DEFAULT_SAFE_SANDBOX),
    prompt,
    fallbackMode,
    skippedSessionId: resumeSessionId === null ? saved.sessionId : null,
    skipReason,
    handoffNote,
  };
}

/** Marker that starts the handoff note (tests and log readers can look for it). */
export const HANDOFF_NOTE_HEADING = "[Session handoff]";

export type HandoffReason = "transient_failure" | "session_not_found";

export function buildHandoffNote(context: Record<string, unknown>, reason: HandoffReason = "transient_failure"): string {
  const attempt = context.scheduledRetryAttempt;
  const attemptText = typeof attempt === "number" && Number.isFinite(attempt) ? ` (bounded retry ${attempt})` : "";
  const cause =
    reason === "transient_failure"
      ? `was lost after a transient upstream failure${attemptText}`
      : "could not be resumed (Codex no longer has it)";
  return [
    `${HANDOFF_NOTE_HEADING} Your previous Codex session for this work ${cause}, so this is a fresh session with no memory of earlier turns.`,
    "Before continuing, re-read the task below and check the current state of the workspace (files, git status, recent comments); do not redo work that is already done.",
  ].join(" ");
}

/** The prompt with the handoff note in front. */
export function withHandoffNote(prompt: string, context: Record<string, unknown>, reason: HandoffReason): string {
  return `${buildHandoffNote(context, reason)}\n\n${prompt}`;
}
