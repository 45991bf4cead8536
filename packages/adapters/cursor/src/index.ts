import { checkCliEnvironment, runCliAgent, type AdapterModule } from "@staple/adapter-kit";
import { cursorEnvironmentSpec, cursorSpec, CURSOR_ADAPTER_TYPE } from "./adapter-spec.js";
import { listCursorModels, type CursorModel } from "./models.js";

/** Runs Cursor's agent CLI (`cursor-agent -p --output-format stream-json`, prompt on stdin) once per heartbeat. */
export const cursorAdapter: AdapterModule & { listModels(): Promise<CursorModel[]> } = {
  type: CURSOR_ADAPTER_TYPE,
  codingAgent: true,
  execute: (ctx, signal) => runCliAgent(cursorSpec, ctx, signal),
  testEnvironment: (config) => checkCliEnvironment(cursorEnvironmentSpec, config),
  listModels: listCursorModels,
};

export { CURSOR_ADAPTER_TYPE, CURSOR_FAILURES, buildCursorArgs, checkCursorAuth, cursorSpec } from "./adapter-spec.js";
export { CursorStreamParser } from "./stream.js";
export { CURSOR_MODELS, listCursorModels, type CursorModel } from "./models.js";
export { cursorConfigSchema, parseCursorConfig, CURSOR_MODES, DEFAULT_CURSOR_COMMAND, type CursorAdapterConfig } from "./config.js";
