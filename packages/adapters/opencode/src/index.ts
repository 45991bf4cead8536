import { checkCliEnvironment, runCliAgent, type AdapterModule } from "@staple/adapter-kit";
import { opencodeEnvironmentSpec, opencodeSpec, OPENCODE_ADAPTER_TYPE } from "./adapter-spec.js";
import { listOpenCodeModels, type OpenCodeModel } from "./models.js";

/** Runs OpenCode (`opencode run --format json`, prompt on stdin) once per heartbeat. */
export const opencodeAdapter: AdapterModule & { listModels(): Promise<OpenCodeModel[]> } = {
  type: OPENCODE_ADAPTER_TYPE,
  codingAgent: true,
  execute: (ctx, signal) => runCliAgent(opencodeSpec, ctx, signal),
  testEnvironment: (config) => checkCliEnvironment(opencodeEnvironmentSpec, config),
  listModels: listOpenCodeModels,
};

export {
  OPENCODE_ADAPTER_TYPE,
  OPENCODE_FAILURES,
  OPENCODE_PROVIDER_KEYS,
  buildOpenCodeArgs,
  checkOpenCodeAuth,
  opencodeSpec,
} from "./adapter-spec.js";
export { OpenCodeStreamParser } from "./stream.js";
export { OPENCODE_MODELS, listOpenCodeModels, type OpenCodeModel } from "./models.js";
export { opencodeConfigSchema, parseOpenCodeConfig, DEFAULT_OPENCODE_COMMAND, type OpenCodeAdapterConfig } from "./config.js";
