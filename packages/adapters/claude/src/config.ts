import { z } from "zod";
import {
  ArgsField,
  CwdField,
  EnvField,
  OptionalText,
  commandField,
  parseAdapterConfig,
  secondsField,
  type EnvEntry,
  type ParsedConfig,
} from "@staple/adapter-kit/config";
/**
 * The `claude_local` adapter's config: the one schema the API checks at save time, the board's form
 * validates with, and `execute`/`testEnvironment` parse with at run start (browser-safe:
 * `@staple/adapter-claude/config`, imports zod and the kit's field schemas only).
 *
 * Invariants: a parsed config has a non-blank command; model/effort/permissionMode/cwd/
 * instructionsFilePath are non-blank strings or null; maxTurns is a positive integer or null (the CLI
 * refuses `--max-turns 0`); extraArgs are NUL-free; env names are portable and values NUL-free;
 * durations are in 0..7 days. Unknown keys are kept (e.g. promptTemplate, read by the server).
 */

export const DEFAULT_COMMAND = "claude";
export const DEFAULT_GRACE_SEC = 15;

export const claudeConfigSchema = z.looseObject({
  command: commandField(DEFAULT_COMMAND),
  model: OptionalText,
  effort: OptionalText,
  maxTurns: z
    .number({ error: "must be a positive integer" })
    .int("must be a positive integer")
    .positive("must be a positive integer")
    .nullable()
    .default(null),
  /** null = `--dangerously-skip-permissions`; otherwise passed as `--permission-mode <mode>`. */
  permissionMode: OptionalText,
  extraArgs: ArgsField,
  env: EnvField,
  /** As configured (may be relative); null when unset. */
  cwd: CwdField,
  /** 0 = no timeout. */
  timeoutSec: secondsField(0),
  graceSec: secondsField(DEFAULT_GRACE_SEC),
  /** As configured (may be relative to the run's cwd); null when unset. */
  instructionsFilePath: OptionalText,
  /** Replaces the server's bootstrap prompt. */
  promptTemplate: z.string().optional(),
});

export type ClaudeEnvEntry = EnvEntry;
export type ClaudeAdapterConfig = z.output<typeof claudeConfigSchema>;
export type ParsedClaudeConfig = ParsedConfig<ClaudeAdapterConfig>;

export function parseClaudeConfig(raw: unknown): ParsedClaudeConfig {
  return parseAdapterConfig(claudeConfigSchema, raw);
}
