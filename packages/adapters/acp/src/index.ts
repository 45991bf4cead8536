import type { AdapterModule } from "@staple/adapter-kit";
import { ACP_ADAPTER_TYPE, executeAcp } from "./execute.js";
import { listAcpModels, type AcpModel } from "./models.js";
import { testAcpEnvironment } from "./test-environment.js";

/** Runs any agent that speaks the Agent Client Protocol over stdio: one prompt turn per heartbeat. */
export const acpAdapter: AdapterModule & { listModels(): Promise<AcpModel[]> } = {
  type: ACP_ADAPTER_TYPE,
  codingAgent: true,
  execute: executeAcp,
  testEnvironment: testAcpEnvironment,
  listModels: listAcpModels,
};

export { ACP_ADAPTER_TYPE, ACP_FAILURES, executeAcp, runWithAgent } from "./execute.js";
export { runAcpTurn, probeAcpAgent, ACP_AUTH_REQUIRED, ACP_RESOURCE_NOT_FOUND, type AcpTurnOutcome, type AcpProbe } from "./session.js";
export { testAcpEnvironment } from "./test-environment.js";
export { listAcpModels, type AcpModel } from "./models.js";
export { acpConfigSchema, parseAcpConfig, DEFAULT_ACP_GRACE_SEC, type AcpAdapterConfig } from "./config.js";
