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
 * The `opencode_local` adapter's config (browser-safe: `@staple/adapter-opencode/config`), the one schema
 * the API, the board's form and the run parse with.
 *
 * Invariants: a model is `provider/model` (OpenCode's `--model` format) and cannot be mistaken for a flag;
 * a variant is a bare word; durations in 0..7 days; unknown keys are kept.
 */
export const DEFAULT_OPENCODE_COMMAND = "opencode";
export const DEFAULT_OPENCODE_GRACE_SEC = 15;

const MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@:+-]*\/[A-Za-z0-9_.@:/+-]+$/;
const VARIANT_PATTERN = /^[a-z][a-z0-9_-]*$/;
const blankAsNull = (v: unknown) => (v === "" ? null : v);

export const opencodeConfigSchema = z.looseObject({
  command: commandField(DEFAULT_OPENCODE_COMMAND),
  model: z.preprocess(
    blankAsNull,
    z.string().regex(MODEL_PATTERN, 'must be "provider/model", e.g. "anthropic/claude-sonnet-4-5"').nullable().default(null),
  ),
  /** `--variant`: provider-specific reasoning effort (high, max, minimal, …). */
  variant: z.preprocess(blankAsNull, z.string().regex(VARIANT_PATTERN, 'must be a lowercase word such as "high"').nullable().default(null)),
  /** `--agent`: an OpenCode agent name (build, plan, or one of yours). */
  agent: z.preprocess(blankAsNull, z.string().regex(VARIANT_PATTERN, 'must be an agent name such as "build"').nullable().default(null)),
  /** `--auto`: approve permission requests not explicitly denied (a headless run cannot answer them). Default on. */
  autoApprove: nullAsUnset(z.boolean().default(true)),
  extraArgs: ArgsField,
  env: EnvField,
  cwd: CwdField,
  timeoutSec: secondsField(0),
  graceSec: secondsField(DEFAULT_OPENCODE_GRACE_SEC),
  /** Read by the server (prompt building): `opencode run` has no system-prompt flag. */
  instructionsFilePath: nullAsUnset(NonBlankText.optional()),
  promptTemplate: z.string().optional(),
});

export type OpenCodeAdapterConfig = z.output<typeof opencodeConfigSchema>;

export function parseOpenCodeConfig(raw: unknown): ParsedConfig<OpenCodeAdapterConfig> {
  return parseAdapterConfig(opencodeConfigSchema, raw);
}
