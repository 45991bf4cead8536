import type { AdapterModule } from "@staple/adapter-kit";
import { executeClaude } from "./execute.js";
import { listClaudeModels, type ClaudeModelList } from "./models.js";
import { testClaudeEnvironment } from "./test-environment.js";

/** Runs the Claude Code CLI (`claude --print - --output-format stream-json --verbose`) per heartbeat. */
export const claudeAdapter: AdapterModule & { listModels(): Promise<ClaudeModelList> } = {
  type: "claude_local",
  execute: executeClaude,
  testEnvironment: testClaudeEnvironment,
  listModels: listClaudeModels,
};

export { executeClaude } from "./execute.js";
export { testClaudeEnvironment } from "./test-environment.js";
export { listClaudeModels, type ClaudeModelInfo, type ClaudeModelList } from "./models.js";
export { claudeConfigSchema, parseClaudeConfig, DEFAULT_COMMAND, DEFAULT_GRACE_SEC } from "./config.js";
export type { ClaudeAdapterConfig, ClaudeEnvEntry, ParsedClaudeConfig } from "./config.js";
export { buildClaudeArgs, BASE_ARGS, type ClaudeArgsInput } from "./args.js";
export { decideResume, isUuid, type ResumeDecision } from "./session.js";
export { buildChildEnv, billingTypeFor, usesBedrock, type ChildEnv, type ClaudeBillingType } from "./environment.js";
export { ClaudeStreamParser } from "./stream-parser.js";
export type { ClaudeStreamState, ClaudeResultInfo, ClaudeUsage, ClaudeRateLimit, ClaudeApiError } from "./stream-parser.js";
export { NdjsonLineSplitter, type SplitLine } from "./line-splitter.js";
export { salvageOversizedLine } from "./oversized-line.js";
export { classifyClaudeOutcome, isUnknownSessionError, type ClaudeOutcomeInput, type ClaudeFailure } from "./error-classifier.js";
export { parseRetryNotBefore } from "./reset-time.js";
