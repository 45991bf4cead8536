import { parseEnvEntries, parseSeconds, type EnvEntry } from "@staple/adapter-kit";
/**
 * The `codex_local` adapter's config, parsed from the agent's untyped `adapterConfig`.
 *
 * Invariants: a parsed config has a non-empty command, string extraArgs, env keys that are valid variable
 * names (non-empty, no "=" or NUL), env values without NUL, non-negative finite durations, and model /
 * reasoningEffort / sandbox values that cannot be mistaken for a flag or break the `-c key=value` TOML
 * override. Anything else is reported as a message naming the field, never thrown.
 */

/** Sandbox modes accepted by `codex exec --sandbox` (codex-cli 0.169.0 `exec --help`). */
export const CODEX_SANDBOX_MODES = ["read-only", "workspace-write", "danger-full-access"] as const;
export type CodexSandboxMode = (typeof CODEX_SANDBOX_MODES)[number];

/** The sandbox used whenever the bypass flag is off and no sandbox is configured. */
export const DEFAULT_SAFE_SANDBOX: CodexSandboxMode = "workspace-write";

export const DEFAULT_CODEX_COMMAND = "codex";
export const DEFAULT_GRACE_SEC = 15;

/** An env entry as written in config: a bare string is plain. */
export type CodexEnvValue = string | { type: "plain"; value: string } | { type: "secret"; value: string };

export type CodexEnvEntry = EnvEntry;

export interface CodexAdapterConfig {
  command: string;
  model: string | null;
  reasoningEffort: string | null;
  /** Whether `--dangerously-bypass-approvals-and-sandbox` is passed (before any fallback downgrade). */
  bypassApprovalsAndSandbox: boolean;
  /** `--sandbox` mode used when the bypass flag is off; null = DEFAULT_SAFE_SANDBOX. */
  sandbox: CodexSandboxMode | null;
  /** Extra exec-level arguments, placed before `resume`/`-`. Never put secrets here: argv is world-readable. */
  extraArgs: string[];
  env: Record<string, CodexEnvEntry>;
  /** As configured (may be relative); null when unset. */
  cwd: string | null;
  /** 0 = no timeout. */
  timeoutSec: number;
  graceSec: number;
}

export type ParsedCodexConfig = { ok: true; config: CodexAdapterConfig } | { ok: false; message: string };

/** A model id: no leading "-", no whitespace/control characters, no quotes. */
const MODEL_PATTERN = /^[A-Za-z0-9_.:/@+][A-Za-z0-9_.:/@+-]*$/;
/** A reasoning effort as a bare TOML-safe word (low, medium, high, xhigh, ...). */
const EFFORT_PATTERN = /^[a-z][a-z0-9_-]*$/;

export function parseCodexConfig(raw: Record<string, unknown>): ParsedCodexConfig {
  const {
    command = DEFAULT_CODEX_COMMAND,
    model,
    reasoningEffort,
    bypassApprovalsAndSandbox,
    sandbox,
    extraArgs = [],
    env = {},
    cwd,
    timeoutSec,
    graceSec,
  } = raw;
  if (typeof command !== "string" || command.trim() === "") {
    return { ok: false, message: "adapterConfig.command must be a non-empty string" };
  }
  const parsedModel = optionalString("model", model, MODEL_PATTERN, "a model id such as \"gpt-5.5\"");
  if (typeof parsedModel === "object" && parsedModel !== null) return parsedModel;
  const effort = optionalString("reasoningEffort", reasoningEffort, EFFORT_PATTERN, "a lowercase word such as \"medium\" or \"high\"");
  if (typeof effort === "object" && effort !== null) return effort;
  if (bypassApprovalsAndSandbox !== undefined && bypassApprovalsAndSandbox !== null && typeof bypassApprovalsAndSandbox !== "boolean") {
    return { ok: false, message: "adapterConfig.bypassApprovalsAndSandbox must be a boolean" };
  }
  let sandboxMode: CodexSandboxMode | null = null;
  if (sandbox !== undefined && sandbox !== null) {
    if (typeof sandbox !== "string" || !(CODEX_SANDBOX_MODES as readonly string[]).includes(sandbox)) {
      return { ok: false, message: `adapterConfig.sandbox must be one of ${CODEX_SANDBOX_MODES.join(", ")}` };
    }
    sandboxMode = sandbox as CodexSandboxMode;
  }
  if (bypassApprovalsAndSandbox === true && sandboxMode !== null) {
    return {
      ok: false,
      message: "adapterConfig.sandbox has no effect while adapterConfig.bypassApprovalsAndSandbox is true; set bypassApprovalsAndSandbox to false or remove sandbox",
    };
  }
  // Default: bypass on, unless a sandbox is configured (which only makes sense without it).
  const bypass = typeof bypassApprovalsAndSandbox === "boolean" ? bypassApprovalsAndSandbox : sandboxMode === null;
  if (!Array.isArray(extraArgs) || !extraArgs.every((a): a is string => typeof a === "string" && !a.includes("\0"))) {
    return { ok: false, message: "adapterConfig.extraArgs must be an array of strings" };
  }
  if (cwd !== undefined && cwd !== null && (typeof cwd !== "string" || cwd === "" || cwd.includes("\0"))) {
    return { ok: false, message: "adapterConfig.cwd must be a non-empty string" };
  }
  const parsedEnv = parseEnvEntries(env);
  if (typeof parsedEnv === "string") return { ok: false, message: parsedEnv };
  const timeout = parseSeconds("timeoutSec", timeoutSec, 0);
  if (typeof timeout === "string") return { ok: false, message: timeout };
  const grace = parseSeconds("graceSec", graceSec, DEFAULT_GRACE_SEC);
  if (typeof grace === "string") return { ok: false, message: grace };
  return {
    ok: true,
    config: {
      command,
      model: parsedModel,
      reasoningEffort: effort,
      bypassApprovalsAndSandbox: bypass,
      sandbox: sandboxMode,
      extraArgs,
      env: parsedEnv,
      cwd: typeof cwd === "string" ? cwd : null,
      timeoutSec: timeout,
      graceSec: grace,
    },
  };
}

/** Absent/null/"" -> null; a string matching `pattern` -> itself; else an error result. */
function optionalString(
  field: string,
  value: unknown,
  pattern: RegExp,
  expected: string,
): string | null | { ok: false; message: string } {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string" || !pattern.test(value)) {
    return { ok: false, message: `adapterConfig.${field} must be ${expected}` };
  }
  return value;
}

