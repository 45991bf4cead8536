import fs from "node:fs/promises";
import { constants } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runChildProcess, type EnvironmentCheck } from "@staple/adapter-kit";
import { BYPASS_FLAG } from "./args.js";
import { DEFAULT_SAFE_SANDBOX, parseCodexConfig } from "./config.js";
import { buildCodexEnv } from "./environment.js";
import { resolveCommand } from "@staple/adapter-kit";

const VERSION_TIMEOUT_SEC = 15;
const INSTALL_FIX =
  "Install the Codex CLI with `npm install -g @openai/codex` (or add its directory to PATH), or set adapterConfig.command to the codex binary's absolute path.";

/**
 * Checks that codex can run for this config: the binary resolves to an absolute path and answers
 * `--version`, some authentication is available, and the cwd is a writable directory. Never throws;
 * every warn/error finding carries a `fix`. The environment is the one a run would get (config env over
 * the inherited keys), minus the engine's per-run variables. No model is called.
 */
export async function testCodexEnvironment(raw: Record<string, unknown>): Promise<EnvironmentCheck[]> {
  const parsed = parseCodexConfig(raw);
  if (!parsed.ok) {
    return [
      {
        level: "error",
        code: "codex_config_invalid",
        message: parsed.message,
        fix: "Correct the adapter config field named in the message.",
      },
    ];
  }
  const config = parsed.config;
  const env = buildCodexEnv({}, config.env, undefined);
  const cwd = config.cwd !== null ? path.resolve(config.cwd) : null;
  const checks: EnvironmentCheck[] = [];

  const resolution = await resolveCommand(config.command, cwd ?? process.cwd(), env.PATH);
  const name = JSON.stringify(config.command);
  if (resolution.status === "found") {
    checks.push({ level: "info", code: "codex_command_resolved", message: `Command ${name} resolves to ${resolution.path}` });
    checks.push(await checkVersion(resolution.path, env, cwd));
  } else if (resolution.status === "not_executable") {
    checks.push({
      level: "error",
      code: "codex_command_not_executable",
      message: `Command ${name} resolves to ${resolution.path}, which is not an executable file`,
      fix: `Run "chmod +x ${resolution.path}" or point adapterConfig.command at the codex binary.`,
    });
  } else {
    checks.push({
      level: "error",
      code: "codex_command_not_found",
      message: config.command.includes("/") ? `Command ${name} does not exist` : `Command ${name} was not found on PATH`,
      fix: INSTALL_FIX,
    });
  }

  checks.push(await checkAuth(env));
  checks.push(
    config.bypassApprovalsAndSandbox
      ? {
          level: "info",
          code: "codex_bypass_enabled",
          message: `Runs pass ${BYPASS_FLAG}: codex runs commands without approvals or sandbox. Set adapterConfig.bypassApprovalsAndSandbox to false to use --sandbox instead.`,
        }
      : { level: "info", code: "codex_sandbox", message: `Runs use --sandbox ${config.sandbox ?? DEFAULT_SAFE_SANDBOX}.` },
  );
  if (cwd === null) {
    checks.push({ level: "info", code: "codex_cwd_default", message: "No cwd configured; runs use the agent's workspace directory." });
  } else {
    checks.push(await checkCwd(cwd));
  }
  return checks;
}

async function checkVersion(binary: string, env: Record<string, string>, cwd: string | null): Promise<EnvironmentCheck> {
  const run = await runChildProcess({
    command: binary,
    args: ["--version"],
    cwd: cwd !== null && (await isDirectory(cwd)) ? cwd : os.tmpdir(),
    env,
    stdin: null,
    timeoutSec: VERSION_TIMEOUT_SEC,
    graceSec: 2,
    signal: new AbortController().signal,
    onStdout: () => undefined,
    onStderr: () => undefined,
    onSpawn: () => undefined,
    maxCaptureBytes: 16_384,
  });
  const stderr = run.stderrTail;
  const version = run.stdoutTail.trim().split("\n")[0]?.trim() ?? "";
  if (run.exitCode === 0 && version !== "") {
    return { level: "info", code: "codex_version", message: `${binary} --version: ${version}` };
  }
  const why = run.spawnError
    ? run.spawnError.message
    : run.timedOut
      ? `no answer within ${VERSION_TIMEOUT_SEC}s`
      : `exit code ${run.exitCode ?? run.signal}${stderr.trim() ? `: ${stderr.trim().split("\n").slice(-1)[0]}` : ""}`;
  return {
    level: "error",
    code: "codex_version_failed",
    message: `${binary} --version failed (${why})`,
    fix: `Reinstall the Codex CLI (\`npm install -g @openai/codex\`) or point adapterConfig.command at a working codex binary.`,
  };
}

async function checkAuth(env: Record<string, string>): Promise<EnvironmentCheck> {
  for (const key of ["OPENAI_API_KEY", "CODEX_API_KEY"]) {
    if (env[key]?.trim()) {
      return {
        level: "info",
        code: "codex_auth_api_key",
        message: `${key} is set; runs authenticate with it and are billed as metered API usage.`,
      };
    }
  }
  const home = env.CODEX_HOME ?? path.join(env.HOME ?? os.homedir(), ".codex");
  const authFile = path.join(home, "auth.json");
  try {
    if ((await fs.stat(authFile)).isFile()) {
      return {
        level: "info",
        code: "codex_auth_login_found",
        message: `Found a codex login at ${authFile}; runs use that account (subscription billing).`,
      };
    }
  } catch {
    // fall through
  }
  return {
    level: "warn",
    code: "codex_auth_not_found",
    message: `No OPENAI_API_KEY and no codex login (${authFile}) found; runs will fail with codex_auth_required unless codex keeps its login elsewhere (e.g. the OS keyring).`,
    fix: "Run `codex login` as the server user (`codex login --device-auth` on a headless machine), or set OPENAI_API_KEY in adapterConfig.env as a secret.",
  };
}

async function checkCwd(cwd: string): Promise<EnvironmentCheck> {
  const fix = `Create ${cwd} (writable by the server user) or change adapterConfig.cwd.`;
  try {
    if (!(await fs.stat(cwd)).isDirectory()) {
      return { level: "error", code: "codex_cwd_not_directory", message: `cwd ${cwd} is not a directory`, fix };
    }
  } catch {
    return { level: "error", code: "codex_cwd_missing", message: `cwd ${cwd} does not exist`, fix };
  }
  try {
    await fs.access(cwd, constants.W_OK);
  } catch {
    return { level: "error", code: "codex_cwd_not_writable", message: `cwd ${cwd} is not writable`, fix };
  }
  return { level: "info", code: "codex_cwd_ok", message: `cwd ${cwd} exists and is writable` };
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
