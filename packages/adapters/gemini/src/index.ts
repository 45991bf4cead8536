import { checkCliEnvironment, runCliAgent, type AdapterModule } from "@staple/adapter-kit";
import { geminiEnvironmentSpec, geminiSpec, GEMINI_ADAPTER_TYPE } from "./adapter-spec.js";
import { listGeminiModels, type GeminiModel } from "./models.js";

/** Runs the Gemini CLI (`gemini --output-format stream-json`, prompt on stdin) once per heartbeat. */
export const geminiAdapter: AdapterModule & { listModels(): Promise<GeminiModel[]> } = {
  type: GEMINI_ADAPTER_TYPE,
  codingAgent: true,
  execute: (ctx, signal) => runCliAgent(geminiSpec, ctx, signal),
  testEnvironment: (config) => checkCliEnvironment(geminiEnvironmentSpec, config),
  listModels: listGeminiModels,
};

export {
  GEMINI_ADAPTER_TYPE,
  GEMINI_FAILURES,
  GEMINI_INHERITED_ENV_KEYS,
  buildGeminiArgs,
  checkGeminiAuth,
  geminiSpec,
} from "./adapter-spec.js";
export { GeminiStreamParser } from "./stream.js";
export { GEMINI_MODELS, listGeminiModels, type GeminiModel } from "./models.js";
export {
  geminiConfigSchema,
  parseGeminiConfig,
  GEMINI_APPROVAL_MODES,
  DEFAULT_GEMINI_COMMAND,
  type GeminiAdapterConfig,
  type GeminiApprovalMode,
} from "./config.js";
