import fs from "node:fs/promises";
import { constants } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runChildProcess } from "./child-process.js";
import { buildCliEnv, type CliAgentConfig } from "./cli-agent.js";
import type { ParsedConfig } from "./config-fields.js";
import { resolveCommand } from "./resolve-command.js";
import type { EnvironmentCheck } from "./types.js";

/**
 * The environment check of a CLI agent adapter: config valid, binary found (`<prefix>_binary_missing`
 * otherwise) and answering `--version`, logged in (the adapter's own `checkAuth`, which reports
 * `<prefix>_auth_required` when it finds no credential), cwd a writable directory. Never throws; every
 * warn/error finding carries a `fix`. No model is called.
 */
export interface CliEnvironmentSpec<C extends CliAgentConfig> {
  codePrefix: string;
  label: string;
  installHint: string;
  parseConfig(raw: unknown): ParsedConfig<C>;
  inheritedEnvKeys: readonly string[];
  credentialEnvKeys: readonly string[];
  /** The argv that prints the version (default `--version`); null skips the version check. */
  versionArgs?: readonly string[] | null;
  checkAuth(env: Record<string, string>, config: C, binary: string | null): Promise<EnvironmentCheck>;
}

const VERSION_TIMEOUT_SEC = 15;

export async function checkCliEnvironment<C extends CliAgentConfig>(
  spec: CliEnvironmentSpec<C>,
  raw: Record<string, unknown>,
): Promise<EnvironmentCheck[]> {
  const p = spec.codePrefix;
  const parsed = spec.parseConfig(raw);
  if (!parsed.ok) {
    return [
      {
        level: "error",
        code: `${p}_config_invalid`,
        message: parsed.message,
        fix: "Correct the adapter config field named in the message.",
      },
    ];
  }
  const config = parsed.config;
  const env = buildCliEnv({}, config.env, spec.inheritedEnvKeys, spec.credentialEnvKeys, undefined);
  const cwd = config.cwd !== null ? path.resolve(config.cwd) : null;
  const checks: EnvironmentCheck[] = [];
  const resolution = await resolveCommand(config.command, cwd ?? process.cwd(), env.PATH);
  const name = JSON.stringify(config.command);
  let binary: string | null = null;
  if (resolution.status === "found") {
    binary = resolution.path;
    checks.push({ level: "info", code: `${p}_binary_found`, message: `Command ${name} resolves to ${resolution.path}` });
    if (spec.versionArgs !== null) checks.push(await checkVersion(spec, resolution.path, env, cwd));
  } else if (resolution.status === "not_executable") {
    checks.push({
      level: "error",
      code: `${p}_binary_not_executable`,
      message: `Command ${name} resolves to ${resolution.path}, which is not an executable file`,
      fix: `Run "chmod +x ${resolution.path}" or point adapterConfig.command at the ${spec.label} binary.`,
    });
  } else {
    checks.push({
      level: "error",
      code: `${p}_binary_missing`,
      message: config.command.includes("/") ? `Command ${name} does not exist` : `Command ${name} was not found on PATH`,
      fix: `Install ${spec.label} (${spec.installHint}) or add its directory to PATH, or set adapterConfig.command to its absolute path.`,
    });
  }
  try {
    checks.push(await spec.checkAuth(env, config, binary));
  } catch (error) {
    checks.push({
      level: "warn",
      code: `${p}_auth_unknown`,
      message: `Could not check the ${spec.label} login: ${error instanceof Error ? error.message : String(error)}`,
      fix: `Check the login by running ${spec.label} by hand as the server user.`,
    });
  }
  if (cwd === null) {
    checks.push({ level: "info", code: `${p}_cwd_default`, message: "No cwd configured; runs use the agent's workspace directory." });
  } else {
    checks.push(await checkCwd(p, cwd));
  }
  return checks;
}

async function checkVersion<C extends CliAgentConfig>(
  spec: CliEnvironmentSpec<C>,
  binary: string,
  env: Record<string, string>,
  cwd: string | null,
): Promise<EnvironmentCheck> {
  const run = await runChildProcess({
    command: binary,
    args: spec.versionArgs ?? ["--version"],
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
  const version = run.stdoutTail.trim().split("\n")[0]?.trim() ?? "";
  if (run.exitCode === 0 && version !== "") {
    return { level: "info", code: `${spec.codePrefix}_version`, message: `${binary} --version: ${version}` };
  }
  const why = run.spawnError
    ? run.spawnError.message
    : run.timedOut
      ? `no answer within ${VERSION_TIMEOUT_SEC}s`
      : `exit code ${run.exitCode ?? run.signal}${run.stderrTail.trim() ? `: ${run.stderrTail.trim().split("\n").slice(-1)[0]}` : ""}`;
  return {
    level: "error",
    code: `${spec.codePrefix}_version_failed`,
    message: `${binary} --version failed (${why})`,
    fix: `Reinstall ${spec.label} (${spec.installHint}) or point adapterConfig.command at a working binary.`,
  };
}

async function checkCwd(p: string, cwd: string): Promise<EnvironmentCheck> {
  const fix = `Create ${cwd} (writable by the server user) or change adapterConfig.cwd.`;
  try {
    if (!(await fs.stat(cwd)).isDirectory())
      return { level: "error", code: `${p}_cwd_not_directory`, message: `cwd ${cwd} is not a directory`, fix };
  } catch {
    return { level: "error", code: `${p}_cwd_missing`, message: `cwd ${cwd} does not exist`, fix };
  }
  try {
    await fs.access(cwd, constants.W_OK);
  } catch {
    return { level: "error", code: `${p}_cwd_not_writable`, message: `cwd ${cwd} is not writable`, fix };
  }
  return { level: "info", code: `${p}_cwd_ok`, message: `cwd ${cwd} exists and is writable` };
}

/** True when `file` exists and is a regular file. */
export async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
