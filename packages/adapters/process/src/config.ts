import { parseEnvEntries, parseSeconds, type EnvEntry } from "@staple/adapter-kit";
/**
 * The `process` adapter's config, parsed from the agent's untyped `adapterConfig`.
 *
 * Invariants: a parsed config has a non-empty command, string args, env keys that are valid variable
 * names for the OS (non-empty, no "=" or NUL), env values without NUL, and non-negative finite durations.
 * An unset timeoutSec is DEFAULT_TIMEOUT_SEC; only an explicit 0 means no timeout (see the README).
 * Anything else is reported as a message naming the field, never thrown.
 */

/** An env entry as written in config: a bare string is plain. */
export type ProcessEnvValue = string | { type: "plain"; value: string } | { type: "secret"; value: string };

export type ProcessEnvEntry = EnvEntry;

export interface ProcessAdapterConfig {
  command: string;
  args: string[];
  /** As configured (may be relative); null when unset. */
  cwd: string | null;
  env: Record<string, ProcessEnvEntry>;
  /** Unset in config = DEFAULT_TIMEOUT_SEC; an explicit 0 = no timeout. */
  timeoutSec: number;
  graceSec: number;
}

export const DEFAULT_GRACE_SEC = 15;
/**
 * A run without a configured timeout is stopped after one hour: a process that never exits (a loop, a
 * hung network call) would otherwise hold its agent's run slot and keep writing output for ever.
 */
export const DEFAULT_TIMEOUT_SEC = 3600;

export type ParsedConfig = { ok: true; config: ProcessAdapterConfig } | { ok: false; message: string };

export function parseProcessConfig(raw: Record<string, unknown>): ParsedConfig {
  const { command, args = [], cwd, env = {}, timeoutSec, graceSec } = raw;
  if (typeof command !== "string" || command.trim() === "") {
    return { ok: false, message: "adapterConfig.command must be a non-empty string" };
  }
  if (!Array.isArray(args) || !args.every((a): a is string => typeof a === "string")) {
    return { ok: false, message: "adapterConfig.args must be an array of strings" };
  }
  if (cwd !== undefined && cwd !== null && (typeof cwd !== "string" || cwd === "")) {
    return { ok: false, message: "adapterConfig.cwd must be a non-empty string" };
  }
  const parsedEnv = parseEnvEntries(env);
  if (typeof parsedEnv === "string") return { ok: false, message: parsedEnv };
  const timeout = parseSeconds("timeoutSec", timeoutSec, DEFAULT_TIMEOUT_SEC);
  if (typeof timeout === "string") return { ok: false, message: timeout };
  const grace = parseSeconds("graceSec", graceSec, DEFAULT_GRACE_SEC);
  if (typeof grace === "string") return { ok: false, message: grace };
  return {
    ok: true,
    config: { command, args, cwd: typeof cwd === "string" ? cwd : null, env: parsedEnv, timeoutSec: timeout, graceSec: grace },
  };
}

