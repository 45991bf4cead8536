import type { AdapterModule } from "@staple/adapter-kit";
import { CODEX_ADAPTER_TYPE, executeCodex } from "./execute.js";
import { listCodexModels, type CodexModel } from "./models.js";
import { testCodexEnvironment } from "./test-environment.js";

/** Runs the OpenAI Codex CLI (`codex exec --json`) once per heartbeat. */
export const codexAdapter: AdapterModule & { listModels(): Promise<CodexModel[]> } = {
  type: CODEX_ADAPTER_TYPE,
  execute: executeCodex,
  testEnvironment: testCodexEnvironment,
  listModels: listCodexModels,
};

export { executeCodex, CODEX_ADAPTER_TYPE, RESULT_TAIL_BYTES } from "./execute.js";
export { testCodexEnvironment } from "./test-environment.js";
export { listCodexModels, CODEX_MODELS, CODEX_REASONING_EFFORTS, type CodexModel } from "./models.js";
export {
  codexConfigSchema,
  parseCodexConfig,
  CODEX_SANDBOX_MODES,
  DEFAULT_SAFE_SANDBOX,
  DEFAULT_CODEX_COMMAND,
  DEFAULT_GRACE_SEC,
  type CodexAdapterConfig,
  type CodexEnvEntry,
  type CodexEnvValue,
  type CodexSandboxMode,
  type ParsedCodexConfig,
} from "./config.js";
export { buildCodexArgs, isResumableSessionId, BYPASS_FLAG, type CodexArgsOptions } from "./args.js";
export {
  parseCodexLine,
  LineSplitter,
  CodexRunAccumulator,
  reduceCodexOutput,
  parseUsage,
  emptyRunState,
  TOOL_ITEM_TYPES,
  type CodexRunState,
  type ParsedLine,
} from "./jsonl.js";
export {
  classifyCodexFailure,
  classifyCodexFailureKind,
  isUnknownSessionError,
  CODEX_AUTH_ERROR_CODE,
  CODEX_TRANSIENT_ERROR_CODE,
  type CodexFailureClassification,
  type CodexFailureKind,
} from "./classify.js";
export { parseRetryNotBefore, parseDurationMs } from "./retry-time.js";
export {
  planInvocation,
  parseFallbackMode,
  savedSession,
  buildHandoffNote,
  withHandoffNote,
  HANDOFF_NOTE_HEADING,
  CODEX_FALLBACK_MODES,
  type CodexFallbackMode,
  type InvocationPlan,
  type HandoffReason,
} from "./plan.js";
export { buildCodexEnv, billingTypeFor, INHERITED_ENV_KEYS, CREDENTIAL_ENV_KEYS } from "./environment.js";
