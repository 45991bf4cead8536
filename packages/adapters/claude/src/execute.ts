import fs from "node:fs/promises";
import { constants } from "node:fs";
import path from "node:path";
import {
  MIN_SECRET_LENGTH,
  createRedactor,
  redactDeep,
  type AdapterExecuteContext,
  type AdapterResult,
  type AdapterEvent,
} from "@staple/adapter-kit";
import { buildClaudeArgs } from "./args.js";
import { runClaudeAttempt, type AttemptOutcome } from "./attempt.js";
import { parseClaudeConfig, type ClaudeAdapterConfig } from "./config.js";
import { buildChildEnv } from "./environment.js";
import { isUnknownSessionError } from "./error-classifier.js";
import { spawnErrorFields, toClaudeResult } from "./result.js";
import { resolveCommand } from "@staple/adapter-kit";
import { decideResume } from "./session.js";

/**
 * Runs one heartbeat of a Claude Code agent: `claude --print - --output-format stream-json --verbose …`
 * with the prompt on stdin.
 *
 * Invariants: never rejects for problems of the run itself (bad config, missing cwd or binary, failures,
 * timeouts, cancellation all resolve with an errorCode); config secrets are registered with `onSecret`
 * before the child starts and travel only in its environment (never argv, never the prompt); events are
 * redacted before `onEvent`; no process of the run is left when the promise settles.
 *
 * Sessions: the saved session is resumed only when it is a UUID saved with this same cwd. If the CLI
 * answers that the session is unknown, the run is retried once at once with a fresh session; the stale
 * session is never returned (clearSession when the retry produced none).
 */
export async function executeClaude(ctx: AdapterExecuteContext, signal: AbortSignal): Promise<AdapterResult> {
  const parsed = parseClaudeConfig(ctx.agent.adapterConfig);
  if (!parsed.ok) return configFailure(parsed.message);
  let config = parsed.config;
  const { env, secrets } = buildChildEnv(ctx.env, config.env);
  for (const secret of secrets) ctx.onSecret?.(secret);
  const redact = createRedactor([...ctx.secrets, ...secrets]);
  const emit = async (event: AdapterEvent) => {
    await ctx.onEvent?.(redactDeep(event, redact));
  };

  const base = ctx.cwd ?? process.cwd();
  const cwd = config.cwd !== null ? path.resolve(base, config.cwd) : path.resolve(base);
  if (!(await isDirectory(cwd))) {
    return {
      ...configFailure(
        `Working directory ${JSON.stringify(cwd)} does not exist or is not a directory. Fix: create it or change adapterConfig.cwd.`,
      ),
      errorCode: "adapter_cwd_not_found",
    };
  }
  // The executable is resolved once per run, here: both attempts (resume, then the fresh retry) start the
  // same file, and the invocation event records its absolute path.
  const resolution = await resolveCommand(config.command, cwd, env.PATH);
  if (resolution.status !== "found") {
    const fields = spawnErrorFields(resolution.status === "not_found" ? "ENOENT" : "EACCES", "", config.command);
    return { exitCode: null, signal: null, timedOut: false, ...fields };
  }
  config = { ...config, command: resolution.path };
  const leaked = config.extraArgs.find((arg) => [...ctx.secrets, ...secrets].some((s) => s.length >= MIN_SECRET_LENGTH && arg.includes(s)));
  if (leaked !== undefined) {
    return configFailure(
      "adapterConfig.extraArgs contains a secret value; pass secrets through adapterConfig.env instead (argv is visible to every local user).",
    );
  }
  const instructionsFile = config.instructionsFilePath === null ? null : path.resolve(cwd, config.instructionsFilePath);
  const skillsDir = typeof ctx.context.skillsDir === "string" && ctx.context.skillsDir !== "" ? ctx.context.skillsDir : null;

  const decision = decideResume(ctx.runtime, cwd);
  if (!decision.resume && decision.savedSessionId !== null) {
    await emit({
      eventType: "session.fresh",
      message: `Saved session not resumed (${decision.reason}); starting a fresh session`,
      payload: decision,
    });
  }
  const startedAt = Date.now();
  const attempt = async (resumeSessionId: string | null, attemptNo: number): Promise<AttemptOutcome | AdapterResult> => {
    if (resumeSessionId === null && instructionsFile !== null && !(await isReadableFile(instructionsFile))) {
      return configFailure(
        `adapterConfig.instructionsFilePath ${JSON.stringify(instructionsFile)} is not a readable file. Fix: create it or change the path.`,
      );
    }
    const args = buildClaudeArgs({ ...config, resumeSessionId, instructionsFile, skillsDir });
    await ctx.onMeta({
      adapterType: "claude_local",
      command: config.command,
      commandArgs: args,
      cwd,
      envKeys: Object.keys(env).sort(),
      attempt: attemptNo,
      resumeSessionId,
      promptChars: ctx.prompt?.length ?? 0,
    });
    return runClaudeAttempt({
      command: config.command,
      args,
      cwd,
      env,
      prompt: ctx.prompt ?? "",
      timeoutSec: remainingTimeout(config, startedAt),
      graceSec: config.graceSec,
      signal,
      ctx,
      emit,
    });
  };
  const finish = (outcome: AttemptOutcome, resumedSessionId: string | null, staleSessionId: string | null) =>
    toClaudeResult({
      attempt: outcome,
      command: config.command,
      env,
      cwd,
      timeoutSec: config.timeoutSec,
      maxTurns: config.maxTurns,
      configModel: config.model,
      resumedSessionId,
      staleSessionId,
      redact,
      now: new Date(),
    });

  const resumeId = decision.resume ? decision.sessionId : null;
  const first = await attempt(resumeId, 1);
  if (!("parser" in first)) return first;
  const { run, parser } = first;
  const stale =
    resumeId !== null &&
    !run.aborted &&
    !run.timedOut &&
    run.exitCode !== 0 &&
    isUnknownSessionError({ result: parser.state.result, stderr: run.stderrTail });
  if (!stale || signal.aborted) return finish(first, resumeId, null);

  await emit({
    eventType: "session.stale",
    message: `Claude does not know session ${resumeId}; retrying once with a fresh session`,
    payload: { staleSessionId: resumeId },
  });
  const second = await attempt(null, 2);
  if (!("parser" in second)) return { ...second, clearSession: true };
  return finish(second, null, resumeId);
}

function configFailure(message: string): AdapterResult {
  return { exitCode: null, signal: null, timedOut: false, errorCode: "adapter_config_invalid", errorMessage: message };
}

/** The retry shares the run's timeout: it gets what the first attempt left (at least one second). */
function remainingTimeout(config: ClaudeAdapterConfig, startedAt: number): number {
  if (config.timeoutSec <= 0) return 0;
  return Math.max(1, config.timeoutSec - (Date.now() - startedAt) / 1000);
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

async function isReadableFile(file: string): Promise<boolean> {
  try {
    if (!(await fs.stat(file)).isFile()) return false;
    await fs.access(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
