import type { AdapterModule } from "@staple/adapter-kit";
import { executeHttp } from "./execute.js";
import { testHttpEnvironment } from "./test-environment.js";

/** Sends one HTTP request per heartbeat to `adapterConfig.url`. */
export const httpAdapter: AdapterModule = {
  type: "http",
  execute: executeHttp,
  testEnvironment: testHttpEnvironment,
};

export { executeHttp, MAX_BODY_BYTES } from "./execute.js";
export { testHttpEnvironment } from "./test-environment.js";
export { httpConfigSchema, parseHttpConfig, DEFAULT_METHOD, DEFAULT_TIMEOUT_MS, HTTP_METHODS, MAX_TIMEOUT_MS } from "./config.js";
export type { HttpAdapterConfig, HttpConfig, ParsedHttpConfig } from "./config.js";
export { readCappedBody } from "./read-body.js";
