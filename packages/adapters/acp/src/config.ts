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
 * The `acp_local` adapter's config (browser-safe: `@staple/adapter-acp/config`): any agent that speaks the
 * Agent Client Protocol over stdio, e.g. `gemini --acp`, `opencode acp`, a Claude Code or Codex ACP bridge.
 *
 * Invariants: `command` is required (there is no default agent); `args` go to the agent's argv and must not
 * hold secrets; a model id cannot be mistaken for a flag; durations in 0..7 days; unknown keys are kept.
 */
export const DEFAULT_ACP_GRACE_SEC = 10;

const MODEL_PATTERN = /^[A-Za-z0-9_.:/@+][A-Za-z0-9_.:/@+-]*$/;

export const acpConfigSchema = z.looseObject({
  command: commandField(),
  /** Arguments that start the agent in ACP mode, e.g. ["--acp"] for Gemini CLI or ["acp"] for OpenCode. */
  args: ArgsField,
  /** Applied through the session's "model" config option when the agent offers one; ignored otherwise. */
  model: z.preprocess(
    (v) => (v === "" ? null : v),
    z.string().regex(MODEL_PATTERN, "must be a model id the agent offers").nullable().default(null),
  ),
  /** Answer the agent's permission requests with an allow option (a headless run cannot ask anyone). Default on. */
  autoApprove: nullAsUnset(z.boolean().default(true)),
  env: EnvField,
  cwd: CwdField,
  timeoutSec: secondsField(0),
  graceSec: secondsField(DEFAULT_ACP_GRACE_SEC),
  /** Read by the server (prompt building): ACP has no system prompt. */
  instructionsFilePath: nullAsUnset(NonBlankText.optional()),
  promptTemplate: z.string().optional(),
});

export type AcpAdapterConfig = z.output<typeof acpConfigSchema>;

export function parseAcpConfig(raw: unknown): ParsedConfig<AcpAdapterConfig> {
  return parseAdapterConfig(acpConfigSchema, raw);
}
