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
 * The `gemini_local` adapter's config: the one schema the API checks at save time, the board's form
 * validates with, and `execute`/`testEnvironment` parse with at run start (browser-safe:
 * `@staple/adapter-gemini/config`, zod and the kit's field schemas only).
 *
 * Invariants: a parsed config has a non-blank command, NUL-free extraArgs, portable env names, durations in
 * 0..7 days, and a model that cannot be mistaken for a flag. Unknown keys are kept.
 */

/** `--approval-mode` choices of Gemini CLI 0.61 (`gemini --help`). */
export const GEMINI_APPROVAL_MODES = ["default", "auto_edit", "yolo", "plan"] as const;
export type GeminiApprovalMode = (typeof GEMINI_APPROVAL_MODES)[number];

export const DEFAULT_GEMINI_COMMAND = "gemini";
export const DEFAULT_GEMINI_GRACE_SEC = 15;

const MODEL_PATTERN = /^[A-Za-z0-9_.:/@+][A-Za-z0-9_.:/@+-]*$/;

export const geminiConfigSchema = z.looseObject({
  command: commandField(DEFAULT_GEMINI_COMMAND),
  model: z.preprocess(
    (v) => (v === "" ? null : v),
    z.string().regex(MODEL_PATTERN, 'must be a model id such as "gemini-2.5-pro"').nullable().default(null),
  ),
  /** Headless runs cannot answer approval prompts: "yolo" (the default) approves every tool call. */
  approvalMode: nullAsUnset(z.enum(GEMINI_APPROVAL_MODES).default("yolo")),
  /**
   * Trust the run's directory (GEMINI_CLI_TRUST_WORKSPACE=true). Gemini CLI treats a folder it has not
   * been told to trust as untrusted and then forces approval mode "default", which a headless run cannot
   * answer; every new issue worktree is such a folder. Default on.
   */
  trustWorkspace: nullAsUnset(z.boolean().default(true)),
  /** Extra arguments placed after the adapter's own. Never put secrets here: argv is world-readable. */
  extraArgs: ArgsField,
  env: EnvField,
  cwd: CwdField,
  /** 0 = no timeout. */
  timeoutSec: secondsField(0),
  graceSec: secondsField(DEFAULT_GEMINI_GRACE_SEC),
  /** Read by the server (prompt building): Gemini CLI has no system-prompt flag. */
  instructionsFilePath: nullAsUnset(NonBlankText.optional()),
  promptTemplate: z.string().optional(),
});

export type GeminiAdapterConfig = z.output<typeof geminiConfigSchema>;

export function parseGeminiConfig(raw: unknown): ParsedConfig<GeminiAdapterConfig> {
  return parseAdapterConfig(geminiConfigSchema, raw);
}
