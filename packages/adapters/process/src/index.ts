import type { AdapterModule } from "@staple/adapter-kit";
import { executeProcess } from "./execute.js";
import { testProcessEnvironment } from "./test-environment.js";
import { DEFAULT_TIMEOUT_SEC } from "./config.js";

/** Runs `adapterConfig.command` as a child process per heartbeat. */
export const processAdapter: AdapterModule = {
  type: "process",
  execute: executeProcess,
  testEnvironment: testProcessEnvironment,
  defaultTimeoutSec: DEFAULT_TIMEOUT_SEC,
};

export { executeProcess } from "./execute.js";
export { testProcessEnvironment } from "./test-environment.js";
export { processConfigSchema, parseProcessConfig, DEFAULT_GRACE_SEC, DEFAULT_TIMEOUT_SEC } from "./config.js";
export type { ProcessAdapterConfig, ProcessEnvEntry, ProcessEnvValue, ParsedConfig } from "./config.js";
