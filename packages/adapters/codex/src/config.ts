import { z } from "zod";
import {
  ArgsField,
  CwdField,
  EnvField,
  NonBlankText,
  commandField,
  nullAsUnset,
  parseAdapterConfig,
  secondsField,
  type EnvEntry,
  type ParsedConfig,
} from "@staple/adapter-kit/config";
/**
 * The `codex_local` adapter's config: the one schema the API checks at save time, the board's form
 * validates with, and `execute`/`testEnvironment` parse with at run start (browser-safe:
 * `@staple/adapter-codex/config`, imports zod and the kit's field schemas only).
 *
 * Invariants: a parsed config has a non-blank command, NUL-free extraArgs, portable env names with
 * NUL-free values, durations in 0..7 days, and model / reasoningEffort / sandbox values that cannot be
 * mistaken for a flag or break the `-c key=value` TOML override. A sandbox together with an explicit
 * bypass is refused (the sandbox would have no effect). Unknown keys are kept.
 */

/** Sandbox modes accepted by `codex exec --sandbox` (codex-cli 0.169.0 `exec --help`). */
export const CODEX_SANDBOX_MODES = ["read-only", "workspace-write", "danger-full-access"] as const;
export type CodexSandboxMode = (typeof CODEX_SANDBOX_MODES)[number];

/** The sandbox used whenever the bypass flag is off and no sandbox is configured. */
export const DEFAULT_SAFE_SANDBOX: CodexSandboxMode = "workspace-write";

export const DEFAULT_CODEX_COMMAND = "codex";
export const DEFAULT_GRACE_SEC = 15;

/** A model id: no leading "-", no whitespace/control characters, no quotes. */
const MODEL_PATTERN = /^[A-Za-z0-9_.:/@+][A-Za-z0-9_.:/@+-]*$/;
/** A reasoning effort as a bare TOML-safe word (low, medium, high, xhigh, ...). */
const EFFORT_PATTERN = /^[a-z][a-z0-9_-]*$/;

/** Absent, null or "" -> null; otherwise must match `pattern`. */
const optionalWord = (pattern: RegExp, expected: string) =>
  z.preprocess((v) => (v === "" ? null : v), z.string().regex(pattern, `must be ${expected}`).nullable().default(null));

export const codexConfigSchema = z
  .looseObject({
    command: commandField(DEFAULT_CODEX_COMMAND),
    model: optionalWord(MODEL_PATTERN, 'a model id such as "gpt-5.5"'),
    reasoningEffort: optionalWord(EFFORT_PATTERN, 'a lowercase word such as "medium" or "high"'),
    /** Unset: on, unless a sandbox is configured (which only makes sense without it). */
    bypassApprovalsAndSandbox: z.boolean().nullable().default(null),
    /** `--sandbox` mode used when the bypass flag is off; null = DEFAULT_SAFE_SANDBOX. */
    sandbox: nullAsUnset(z.enum(CODEX_SANDBOX_MODES).nullable().default(null)),
    /** Extra exec-level arguments, placed before `resume`/`-`. Never put secrets here: argv is world-readable. */
    extraArgs: ArgsField,
    env: EnvField,
    /** As configured (may be relative); null when unset. */
    cwd: CwdField,
    /** 0 = no timeout. */
    timeoutSec: secondsField(0),
    graceSec: secondsField(DEFAULT_GRACE_SEC),
    /** Read by the server (prompt building) for CLIs without a system-prompt flag; not used here. */
    instructionsFilePath: nullAsUnset(NonBlankText.optional()),
    /** Replaces the server's bootstrap prompt. */
    promptTemplate: z.string().optional(),
  })
  .superRefine((config, ctx) => {
    if (config.bypassApprovalsAndSandbox === true && config.sandbox !== null) {
      ctx.addIssue({
        code: "custom",
        path: ["sandbox"],
        message:
          "has no effect while adapterConfig.bypassApprovalsAndSandbox is true; set bypassApprovalsAndSandbox to false or remove sandbox",
      });
    }
  })
  .transform((config) => ({ ...config, bypassApprovalsAndSandbox: config.bypassApprovalsAndSandbox ?? config.sandbox === null }));

/** An env entry as written in config: a bare string is plain. */
export type CodexEnvValue = string | { type: "plain"; value: string } | { type: "secret"; value: string };
export type CodexEnvEntry = EnvEntry;
export type CodexAdapterConfig = z.output<typeof codexConfigSchema>;
export type ParsedCodexConfig = ParsedConfig<CodexAdapterConfig>;

export function parseCodexConfig(raw: unknown): ParsedCodexConfig {
  return parseAdapterConfig(codexConfigSchema, raw);
}
