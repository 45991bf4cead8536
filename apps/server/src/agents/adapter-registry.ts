import type { AdapterType } from "@staple/contracts";
import { configIssues, describeConfigIssues } from "@staple/adapter-kit";
import { processConfigSchema } from "@staple/adapter-process";
import { httpConfigSchema } from "@staple/adapter-http";
import { claudeConfigSchema } from "@staple/adapter-claude";
import { codexConfigSchema } from "@staple/adapter-codex";
import { geminiConfigSchema } from "@staple/adapter-gemini/config";
import { opencodeConfigSchema } from "@staple/adapter-opencode/config";
import { cursorConfigSchema } from "@staple/adapter-cursor/config";
import { acpConfigSchema } from "@staple/adapter-acp/config";
import type { z } from "zod";
import { validationError } from "../errors.js";

/**
 * adapterType -> the adapter package's own config schema: the same schema the adapter parses with
 * when a run starts, so a config accepted here is one a run can start with (and the reverse).
 *
 * Invariants:
 * - Every write of `adapterConfig` (create, patch, hire, approval of a hire, config rollback,
 *   instructions path) is checked here, after masked secret env entries were replaced by the stored
 *   values they stand for: the check sees exactly what a run will read.
 * - The config is stored as written, not as parsed: defaults are filled at run start, so a changed
 *   default applies to existing agents, and a read returns what the board saved.
 */
export const ADAPTER_CONFIG_SCHEMAS: Record<AdapterType, z.ZodType> = {
  process: processConfigSchema,
  http: httpConfigSchema,
  claude_local: claudeConfigSchema,
  codex_local: codexConfigSchema,
  gemini_local: geminiConfigSchema,
  opencode_local: opencodeConfigSchema,
  cursor: cursorConfigSchema,
  acp_local: acpConfigSchema,
};

/**
 * Throws a 400 naming each bad field (`details[].path` = ["adapterConfig", ...]) unless `config` is
 * valid for `adapterType`. `context` replaces the default message's opening words.
 */
export function assertAdapterConfig(adapterType: AdapterType, config: unknown, context?: string): void {
  const result = ADAPTER_CONFIG_SCHEMAS[adapterType].safeParse(config);
  if (result.success) return;
  const issues = configIssues(result.error);
  throw validationError(
    `${context ?? `adapterConfig is not valid for adapter type ${adapterType}`}: ${describeConfigIssues(issues)}`,
    issues.map((issue) => ({ ...issue, path: ["adapterConfig", ...issue.path] })),
  );
}
