import fs from "node:fs/promises";
import { constants } from "node:fs";
import path from "node:path";
import type { EnvironmentCheck } from "@staple/adapter-kit";
import { parseProcessConfig } from "./config.js";
import { resolveCommand } from "@staple/adapter-kit";

/**
 * Checks that the configured command can be started and the cwd used. Never throws; every warn/error
 * finding carries a `fix`. PATH comes from config env when set there, else from this process (as at run time).
 * There is no run here, so a relative cwd is checked against the server's working directory (at run time it
 * is taken relative to the run's directory).
 */
export async function testProcessEnvironment(raw: Record<string, unknown>): Promise<EnvironmentCheck[]> {
  const parsed = parseProcessConfig(raw);
  if (!parsed.ok) {
    return [
      {
        level: "error",
        code: "process_config_invalid",
        message: parsed.message,
        fix: "Correct the adapter config field named in the message.",
      },
    ];
  }
  const { command, cwd: configCwd, env } = parsed.config;
  const cwd = configCwd !== null ? path.resolve(configCwd) : null;
  const checks: EnvironmentCheck[] = [];

  const resolution = await resolveCommand(command, cwd ?? process.cwd(), env.PATH?.value ?? process.env.PATH);
  const name = JSON.stringify(command);
  if (resolution.status === "found") {
    checks.push({ level: "info", code: "process_command_resolved", message: `Command ${name} resolves to ${resolution.path}` });
  } else if (resolution.status === "not_executable") {
    checks.push({
      level: "error",
      code: "process_command_not_executable",
      message: `Command ${name} resolves to ${resolution.path}, which is not an executable file`,
      fix: `Run "chmod +x ${resolution.path}" or point adapterConfig.command at an executable file.`,
    });
  } else {
    checks.push({
      level: "error",
      code: "process_command_not_found",
      message: command.includes("/") ? `Command ${name} does not exist` : `Command ${name} was not found on PATH`,
      fix: "Install the command, add its directory to PATH, or set adapterConfig.command to its absolute path.",
    });
  }

  if (cwd === null) {
    checks.push({ level: "info", code: "process_cwd_default", message: "No cwd configured; runs use the agent's workspace directory." });
  } else {
    checks.push(await checkCwd(cwd));
  }
  return checks;
}

async function checkCwd(cwd: string): Promise<EnvironmentCheck> {
  const fix = `Create ${cwd} (writable by the server user) or change adapterConfig.cwd.`;
  try {
    if (!(await fs.stat(cwd)).isDirectory()) {
      return { level: "error", code: "process_cwd_not_directory", message: `cwd ${cwd} is not a directory`, fix };
    }
  } catch {
    return { level: "error", code: "process_cwd_missing", message: `cwd ${cwd} does not exist`, fix };
  }
  try {
    await fs.access(cwd, constants.W_OK);
  } catch {
    return { level: "error", code: "process_cwd_not_writable", message: `cwd ${cwd} is not writable`, fix };
  }
  return { level: "info", code: "process_cwd_ok", message: `cwd ${cwd} exists and is writable` };
}
