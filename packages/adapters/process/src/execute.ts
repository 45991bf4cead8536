import fs from "node:fs/promises";
import path from "node:path";
import { runChildProcess, type AdapterExecuteContext, type AdapterResult } from "@staple/adapter-kit";
import { parseProcessConfig } from "./config.js";
import { buildChildEnv } from "./environment.js";
import { RESULT_TAIL_BYTES, toAdapterResult } from "./result.js";

/**
 * Runs the configured command once.
 *
 * Invariants: never rejects for problems of the run itself (bad config, missing cwd or binary, failures,
 * timeouts, cancellation all resolve with an errorCode); secret values go to `onSecret`, never to `onMeta`
 * or argv; the child's process group is gone when the promise settles (see runChildProcess).
 */
export async function executeProcess(ctx: AdapterExecuteContext, signal: AbortSignal): Promise<AdapterResult> {
  const parsed = parseProcessConfig(ctx.agent.adapterConfig);
  if (!parsed.ok) {
    return { exitCode: null, signal: null, timedOut: false, errorCode: "adapter_config_invalid", errorMessage: parsed.message };
  }
  const config = parsed.config;
  const env = buildChildEnv(ctx.env, config.env, ctx.onSecret?.bind(ctx));
  // Config cwd wins; a relative one is taken from the run's directory.
  const base = ctx.cwd ?? process.cwd();
  const cwd = config.cwd !== null ? path.resolve(base, config.cwd) : base;

  await ctx.onMeta({
    adapterType: "process",
    command: config.command,
    commandArgs: config.args,
    cwd,
    envKeys: Object.keys(env).sort(),
  });

  // Checked here because spawn reports a missing cwd as ENOENT, indistinguishable from a missing command.
  if (!(await isDirectory(cwd))) {
    return {
      exitCode: null,
      signal: null,
      timedOut: false,
      errorCode: "adapter_cwd_not_found",
      errorMessage: `Working directory ${JSON.stringify(cwd)} does not exist or is not a directory. Fix: create it or change adapterConfig.cwd.`,
    };
  }

  const run = await runChildProcess({
    command: config.command,
    args: config.args,
    cwd,
    env,
    stdin: null,
    timeoutSec: config.timeoutSec,
    graceSec: config.graceSec,
    signal,
    onStdout: (chunk) => ctx.onLog("stdout", chunk),
    onStderr: (chunk) => ctx.onLog("stderr", chunk),
    onSpawn: (info) => ctx.onSpawn(info),
    maxCaptureBytes: RESULT_TAIL_BYTES,
    spawn: ctx.spawn,
  });
  return toAdapterResult(run, config.command, config.timeoutSec);
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
