import { parseEnvEntries, parseSeconds, type EnvEntry } from "@staple/adapter-kit";
/**
 * The `claude_local` adapter's config, parsed from the agent's untyped `adapterConfig`.
 *
 * Invariants: a parsed config has a non-empty command, optional non-empty model/effort/permissionMode/
 * instructionsFilePath strings, a positive integer maxTurns (or none), string extraArgs, env keys that are
 * valid variable names (non-empty, no "=" or NUL) with NUL-free values, and non-negative finite durations.
 * Anything else is reported as a message naming the field, never thrown.
 */

export type ClaudeEnvEntry = EnvEntry;

export interface ClaudeAdapterConfig {
  command: string;
  model: string | null;
  effort: string | null;
  maxTurns: number | null;
  /** null = `--dangerously-skip-permissions`; otherwise passed as `--permission-mode <mode>`. */
  permissionMode: string | null;
  extraArgs: string[];
  env: Record<string, ClaudeEnvEntry>;
  /** As configured (may be relative); null when unset. */
  cwd: string | null;
  /** 0 = no timeout. */
  timeoutSec: number;
  graceSec: number;
  /** As configured (may be relative to the run's cwd); null when unset. */
  instructionsFilePath: string | null;
}

export const DEFAULT_COMMAND = "claude";
export const DEFAULT_GRACE_SEC = 15;

export type ParsedClaudeConfig = { ok: true; config: ClaudeAdapterConfig } | { ok: false; message: string };

export function parseClaudeConfig(raw: Record<string, unknown>): ParsedClaudeConfig {
  const command = raw.command ?? DEFAULT_COMMAND;
  if (typeof command !== "string" || command.trim() === "") {
    return { ok: false, message: "adapterConfig.command must be a non-empty string" };
  }
  const strings: Record<string, string | null> = {};
  for (const field of ["model", "effort", "permissionMode", "cwd", "instructionsFilePath"] as const) {
    const value = optionalString(field, raw[field]);
    if (value instanceof Error) return { ok: false, message: value.message };
    strings[field] = value;
  }
  const maxTurns = raw.maxTurns;
  if (maxTurns !== undefined && maxTurns !== null && !(typeof maxTurns === "number" && Number.isInteger(maxTurns) && maxTurns > 0)) {
    return { ok: false, message: "adapterConfig.maxTurns must be a positive integer" };
  }
  const extraArgs = raw.extraArgs ?? [];
  if (!Array.isArray(extraArgs) || !extraArgs.every((a): a is string => typeof a === "string")) {
    return { ok: false, message: "adapterConfig.extraArgs must be an array of strings" };
  }
  const env = parseEnvEntries(raw.env ?? {});
  if (typeof env === "string") return { ok: false, message: env };
  const timeoutSec = parseSeconds("timeoutSec", raw.timeoutSec, 0);
  if (typeof timeoutSec === "string") return { ok: false, message: timeoutSec };
  const graceSec = parseSeconds("graceSec", raw.graceSec, DEFAULT_GRACE_SEC);
  if (typeof graceSec === "string") return { ok: false, message: graceSec };
  return {
    ok: true,
    config: {
      command,
      model: strings.model ?? null,
      effort: strings.effort ?? null,
      maxTurns: typeof maxTurns === "number" ? maxTurns : null,
      permissionMode: strings.permissionMode ?? null,
      extraArgs,
      env,
      cwd: strings.cwd ?? null,
      timeoutSec,
      graceSec,
      instructionsFilePath: strings.instructionsFilePath ?? null,
    },
  };
}

/** Absent/null -> null; a non-empty string -> itself; anything else -> an Error naming the field. */
function optionalString(field: string, value: unknown): string | null | Error {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.trim() === "") return new Error(`adapterConfig.${field} must be a non-empty string`);
  return value;
}

