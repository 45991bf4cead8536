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
  type ParsedConfig,
} from "@staple/adapter-kit/config";

/**
 * The `cursor` adapter's config (browser-safe: `@staple/adapter-cursor/config`), the one schema the API,
 * the board's form and the run parse with.
 *
 * Invariants: the model cannot be mistaken for a flag; durations in 0..7 days; unknown keys are kept.
 */
export const DEFAULT_CURSOR_COMMAND = "cursor-agent";
export const DEFAULT_CURSOR_GRACE_SEC = 15;
/** `--mode` choices besides the default agent mode. */
export const CURSOR_MODES = ["plan", "ask"] as const;

const MODEL_PATTERN = /^[A-Za-z0-9_.:/@+][A-Za-z0-9_.:/@+-]*$/;

export const cursorConfigSchema = z.looseObject({
  command: commandField(DEFAULT_CURSOR_COMMAND),
  model: z.preprocess(
    (v) => (v === "" ? null : v),
    z.string().regex(MODEL_PATTERN, 'must be a model id such as "auto" or "sonnet-4.5"').nullable().default(null),
  ),
  /** `--mode plan|ask`; null = the default agent mode, which edits files and runs commands. */
  mode: z.preprocess((v) => (v === "" ? null : v), nullAsUnset(z.enum(CURSOR_MODES).nullable().default(null))),
  /** `--force`: run commands without asking (a headless run cannot answer). Default on. */
  force: nullAsUnset(z.boolean().default(true)),
  extraArgs: ArgsField,
  env: EnvField,
  cwd: CwdField,
  timeoutSec: secondsField(0),
  graceSec: secondsField(DEFAULT_CURSOR_GRACE_SEC),
  /** Read by the server (prompt building): cursor-agent has no system-prompt flag. */
  instructionsFilePath: nullAsUnset(NonBlankText.optional()),
  promptTemplate: z.string().optional(),
});

export type CursorAdapterConfig = z.output<typeof cursorConfigSchema>;

export function parseCursorConfig(raw: unknown): ParsedConfig<CursorAdapterConfig> {
  return parseAdapterConfig(cursorConfigSchema, raw);
}
