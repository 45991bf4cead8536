import fs from "node:fs/promises";
import { constants } from "node:fs";
import path from "node:path";
import { runChildProcess, type EnvironmentCheck } from "@staple/adapter-kit";
import { parseClaudeConfig, type ClaudeAdapterConfig } from "./config.js";
import { buildChildEnv, usesBedrock } from "./environment.js";
import { resolveCommand } from "@staple/adapter-kit";

const VERSION_TIMEOUT_SEC = 15;
const INSTALL_FIX =
  'Install Claude Code with "npm install -g @anthropic-ai/claude-code", or set adapterConfig.command to the claude binary\'s absolute path.';

/**
 * Checks that `claude` can run for this config: the binary (absolute path and `--version`), how it will
 * authenticate, root vs. permission bypass, the cwd and the instructions file. Never throws; every
 * warn/error finding carries a `fix`. Nothing here talks to a model. The environment is the one runs get
 * (config env over the inherited basics); a relative cwd is checked against the server's directory.
 */
export async function testClaudeEnvironment(raw: Record<string, unknown>): Promise<EnvironmentCheck[]> {
  const parsed = parseClaudeConfig(raw);
  if (!parsed.ok) {
    return [
      {
        level: "error",
        code: "claude_config_invalid",
        message: parsed.message,
        fix: "Correct the adapter config field named in the message.",
      },
    ];
  }
  const config = parsed.config;
  const { env } = buildChildEnv({}, config.env);
  const cwd = config.cwd !== null ? path.resolve(config.cwd) : null;
  const checks: EnvironmentCheck[] = [];
  checks.push(...(await checkBinary(config, env, cwd ?? process.cwd())));
  checks.push(checkAuth(env));
  const root = checkRootBypass(config, env);
  if (root) checks.push(root);
  checks.push(
    cwd === null
      ? { level: "info", code: "claude_cwd_default", message: "No cwd configured; runs use the agent's workspace directory." }
      : await checkCwd(cwd),
  );
  if (config.instructionsFilePath !== null) checks.push(await checkInstructions(config.instructionsFilePath, cwd));
  return checks;
}

async function checkBinary(config: ClaudeAdapterConfig, env: Record<string, string>, cwd: string): Promise<EnvironmentCheck[]> {
  const name = JSON.stringify(config.command);
  const resolution = await resolveCommand(config.command, cwd, env.PATH);
  if (resolution.status === "not_found") {
    const where = config.command.includes("/") ? "does not exist" : "was not found on PATH";
    return [{ level: "error", code: "claude_command_not_found", message: `Command ${name} ${where}`, fix: INSTALL_FIX }];
  }
  if (resolution.status === "not_executable") {
    return [
      {
        level: "error",
        code: "claude_command_not_executable",
        message: `Command ${name} resolves to ${resolution.path}, which is not an executable file`,
        fix: `Run "chmod +x ${resolution.path}" or point adapterConfig.command at the claude binary.`,
      },
    ];
  }
  const found: EnvironmentCheck = {
    level: "info",
    code: "claude_command_resolved",
    message: `Command ${name} resolves to ${resolution.path}`,
  };
  const version = await runChildProcess({
    command: resolution.path,
    args: ["--version"],
    cwd,
    env,
    timeoutSec: VERSION_TIMEOUT_SEC,
    graceSec: 2,
    signal: new AbortController().signal,
    onStdout: () => undefined,
    onStderr: () => undefined,
    onSpawn: () => undefined,
    maxCaptureBytes: 4096,
  });
  const output = (version.stdoutTail.trim() || version.stderrTail.trim()).split("\n")[0] ?? "";
  if (version.exitCode === 0 && output !== "")
    return [found, { level: "info", code: "claude_version", message: `${resolution.path} --version: ${output}` }];
  const why = version.timedOut
    ? `timed out after ${VERSION_TIMEOUT_SEC}s`
    : version.spawnError
      ? version.spawnError.message
      : `exited with code ${version.exitCode}${output ? `: ${output}` : ""}`;
  return [
    found,
    { level: "warn", code: "claude_version_failed", message: `${resolution.path} --version ${why}`, fix: `Reinstall: ${INSTALL_FIX}` },
  ];
}

function checkAuth(env: Record<string, string>): EnvironmentCheck {
  if (usesBedrock(env)) {
    return {
      level: "info",
      code: "claude_auth_bedrock",
      message: "CLAUDE_CODE_USE_BEDROCK is set: runs use AWS Bedrock credentials and bill per token (metered_api).",
    };
  }
  if ((env.ANTHROPIC_API_KEY ?? "") !== "") {
    return {
      level: "info",
      code: "claude_auth_api_key",
      message: "ANTHROPIC_API_KEY is set in adapterConfig.env: runs bill per token (metered_api).",
    };
  }
  if ((env.CLAUDE_CODE_OAUTH_TOKEN ?? "") !== "") {
    return {
      level: "info",
      code: "claude_auth_oauth_token",
      message: "CLAUDE_CODE_OAUTH_TOKEN is set: runs use the subscription (subscription_included).",
    };
  }
  const configDir = env.CLAUDE_CONFIG_DIR ?? (env.HOME ? path.join(env.HOME, ".claude") : null);
  const credentials = configDir === null ? null : path.join(configDir, ".credentials.json");
  const serverKey = (process.env.ANTHROPIC_API_KEY ?? "") !== "" ? " The server's own ANTHROPIC_API_KEY is not passed to agents." : "";
  return {
    level: "warn",
    code: "claude_auth_subscription_login",
    message:
      `No ANTHROPIC_API_KEY in adapterConfig.env: runs need a Claude subscription login for the server's user` +
      `${credentials ? ` (saved at ${credentials} on Linux; on macOS it is in the Keychain and not checked here)` : ""}.${serverKey}`,
    fix: 'Log in once as the server\'s user ("claude", then /login; or "claude setup-token" and set CLAUDE_CODE_OAUTH_TOKEN), or set adapterConfig.env.ANTHROPIC_API_KEY as a secret.',
  };
}

/** Claude Code exits at once when given --dangerously-skip-permissions as root, unless IS_SANDBOX=1. */
function checkRootBypass(config: ClaudeAdapterConfig, env: Record<string, string>): EnvironmentCheck | null {
  if (config.permissionMode !== null || process.getuid?.() !== 0 || env.IS_SANDBOX === "1") return null;
  return {
    level: "warn",
    code: "claude_root_permission_bypass",
    message: "The server runs as root, and Claude Code refuses --dangerously-skip-permissions (the default) as root.",
    fix: 'Run the server as a non-root user, set adapterConfig.env.IS_SANDBOX to "1" if this machine is a disposable sandbox, or set adapterConfig.permissionMode (e.g. "acceptEdits").',
  };
}

async function checkCwd(cwd: string): Promise<EnvironmentCheck> {
  const fix = `Create ${cwd} (writable by the server's user) or change adapterConfig.cwd.`;
  try {
    if (!(await fs.stat(cwd)).isDirectory())
      return { level: "error", code: "claude_cwd_not_directory", message: `cwd ${cwd} is not a directory`, fix };
  } catch {
    return { level: "error", code: "claude_cwd_missing", message: `cwd ${cwd} does not exist`, fix };
  }
  try {
    await fs.access(cwd, constants.W_OK);
  } catch {
    return { level: "error", code: "claude_cwd_not_writable", message: `cwd ${cwd} is not writable`, fix };
  }
  return { level: "info", code: "claude_cwd_ok", message: `cwd ${cwd} exists and is writable` };
}

async function checkInstructions(file: string, cwd: string | null): Promise<EnvironmentCheck> {
  if (!path.isAbsolute(file) && cwd === null) {
    return {
      level: "info",
      code: "claude_instructions_relative",
      message: `instructionsFilePath ${file} is resolved against each run's working directory`,
    };
  }
  const full = path.resolve(cwd ?? "/", file);
  try {
    await fs.access(full, constants.R_OK);
    if ((await fs.stat(full)).isFile())
      return { level: "info", code: "claude_instructions_ok", message: `Instructions file ${full} is readable` };
  } catch {
    // reported below
  }
  return {
    level: "error",
    code: "claude_instructions_unreadable",
    message: `Instructions file ${full} is not a readable file`,
    fix: "Create the file or change adapterConfig.instructionsFilePath.",
  };
}
