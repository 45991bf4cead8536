import os from "node:os";
import path from "node:path";
import { checkCliEnvironment, type EnvironmentCheck } from "@staple/adapter-kit";
import { parseAcpConfig, type AcpAdapterConfig } from "./config.js";
import { ACP_CREDENTIAL_ENV_KEYS, ACP_INHERITED_ENV_KEYS, acpResultSpec, runWithAgent } from "./execute.js";
import { probeAcpAgent } from "./session.js";

const PROBE_TIMEOUT_SEC = 20;

/**
 * The acp_local environment check: config, binary (`acp_binary_missing`), cwd, and instead of a version
 * flag (agents differ) the protocol handshake: initialize + session/new, which an agent without a login
 * answers with auth_required (`acp_auth_required`). No prompt is sent, so no model is called.
 */
export function testAcpEnvironment(raw: Record<string, unknown>): Promise<EnvironmentCheck[]> {
  return checkCliEnvironment(
    {
      codePrefix: "acp",
      label: "ACP agent",
      installHint: acpResultSpec.installHint,
      parseConfig: (raw) => {
        const parsed = parseAcpConfig(raw);
        return parsed.ok ? { ok: true, config: { ...parsed.config, extraArgs: parsed.config.args } } : parsed;
      },
      inheritedEnvKeys: ACP_INHERITED_ENV_KEYS,
      credentialEnvKeys: ACP_CREDENTIAL_ENV_KEYS,
      versionArgs: null,
      checkAuth: checkHandshake,
    },
    raw,
  );
}

async function checkHandshake(
  env: Record<string, string>,
  config: AcpAdapterConfig & { extraArgs: string[] },
  binary: string | null,
): Promise<EnvironmentCheck> {
  if (binary === null) {
    return { level: "info", code: "acp_handshake_skipped", message: "The ACP handshake was skipped: the agent binary was not found." };
  }
  const cwd = config.cwd !== null ? path.resolve(config.cwd) : os.tmpdir();
  const { run, value: probe } = await runWithAgent(
    { onLog: () => undefined, onSpawn: () => undefined },
    new AbortController().signal,
    { command: binary, args: config.args, timeoutSec: PROBE_TIMEOUT_SEC, graceSec: 2 },
    env,
    cwd,
    (input, output) => probeAcpAgent(input, output, cwd),
  );
  const agent = probe.agentName ? `${probe.agentName}${probe.agentVersion ? ` ${probe.agentVersion}` : ""}` : "The agent";
  if (probe.authRequired) {
    return {
      level: "error",
      code: "acp_auth_required",
      message: `${agent} needs a login (session/new answered auth_required)${probe.authMethods.length ? `; it offers: ${probe.authMethods.join(", ")}` : ""}.`,
      fix: `Log the agent in as the server user (${probe.authMethods[0] ?? "its own login command"}), or set its API key in adapterConfig.env as a secret.`,
    };
  }
  if (probe.error !== null || (probe.agentName === null && run.exitCode !== 0 && run.exitCode !== null)) {
    const stderr = run.stderrTail.trim().split("\n").slice(-1)[0] ?? "";
    return {
      level: "error",
      code: "acp_handshake_failed",
      message: `The ACP handshake failed: ${probe.error ?? `the agent exited with code ${run.exitCode}`}${stderr ? ` (${stderr})` : ""}`,
      fix: "Check that adapterConfig.command and adapterConfig.args start the agent in ACP mode over stdio (e.g. `gemini --acp`, `opencode acp`).",
    };
  }
  return {
    level: "info",
    code: "acp_handshake_ok",
    message: `${agent} speaks ACP and opened a session${probe.loadSession ? "; it can load saved sessions (resume)" : "; it cannot load saved sessions, so every run starts fresh"}.`,
  };
}
