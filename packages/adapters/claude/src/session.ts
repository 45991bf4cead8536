import path from "node:path";
import type { AdapterRuntime } from "@staple/adapter-kit";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID_RE.test(value);
}

export type ResumeDecision =
  | { resume: true; sessionId: string }
  | { resume: false; reason: "no_session" | "invalid_session_id" | "cwd_mismatch"; savedSessionId: string | null };

/**
 * Whether the saved session can be resumed in `cwd`. The CLI keeps sessions per working directory, so a
 * session is resumed only when its id is a UUID and the cwd saved with it equals `cwd` (both resolved);
 * a session saved without a cwd is not resumed.
 */
export function decideResume(runtime: AdapterRuntime, cwd: string): ResumeDecision {
  const params = runtime.sessionParams ?? {};
  const saved = runtime.sessionId ?? (typeof params.sessionId === "string" ? params.sessionId : null);
  if (saved === null || saved === "") return { resume: false, reason: "no_session", savedSessionId: null };
  if (!isUuid(saved)) return { resume: false, reason: "invalid_session_id", savedSessionId: saved };
  const savedCwd = typeof params.cwd === "string" && params.cwd !== "" ? path.resolve(params.cwd) : null;
  if (savedCwd === null || savedCwd !== path.resolve(cwd)) return { resume: false, reason: "cwd_mismatch", savedSessionId: saved };
  return { resume: true, sessionId: saved };
}
