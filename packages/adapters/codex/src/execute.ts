import fs from "node:fs/promises";
import path from "node:path";
import {
  MIN_SECRET_LENGTH,
  runChildProcess,
  takeLastBytes,
  type AdapterEvent,
  type AdapterExecuteContext,
  type AdapterResult,
  type ChildProcessResult,
} from "@staple/adapter-kit";
import { buildCodexArgs } from "./args.js";
import { CODEX_AUTH_ERROR_CODE, classifyCodexFailure, classifyCodexFailureKind, isUnknownSessionError } from "./classify.js";
import { parseCodexConfig, type CodexAdapterConfig } from "./config.js";
import { billingTypeFor, buildCodexEnv } from "./environment.js";
import { resolveCommand } from "@staple/adapter-kit";
import { CodexRunAccumulator, LineSplitter, parseCodexLine, type CodexRunState } from "./jsonl.js";
import { planInvocation, withHandoffNote, type InvocationPlan } from "./plan.js";

export const CODEX_ADAPTER_TYPE = "codex_local";
/** Bytes of each stream kept in `resultJson` (the engine redacts it before storing). */
export const RESULT_TAIL_BYTES = 4 * 1024;
/** Bytes of each stream the child runner keeps in memory (used for classification). */
const CAPTURE_BYTES = 64 * 1024;

/**
 * Runs one heartbeat through `codex exec --json`.
 *
 * Invariants:
 * - Never rejects for problems of the run itself (bad config, missing cwd or binary, failures, timeouts,
 *   cancellation all resolve with an errorCode).
 * - Secret values travel only in the child's environment: never in argv (checked before spawning), never in
 *   the prompt, never in `onMeta`. Secret-marked config env values and credential-named values are
 *   registered with `onSecret` before the child starts.
 * - Every stdout chunk reaches `onLog("stdout")` unchanged and in order; parsed JSONL becomes `onEvent` calls
 *   (after the chunk that carried it). A failing callback never stops parsing or the run.
 * - The child's process group is gone when the promise settles (see runChildProcess).
 * - A resume of a thread codex does not know ("no rollout found") is retried once as a fresh session, with a
 *   handoff note; no other failure is retried here (transient failures are the engine's bounded retry).
 */
export async function executeCodex(ctx: AdapterExecuteContext, signal: AbortSignal): Promise<AdapterResult> {
  const parsed = parseCodexConfig(ctx.agent.adapterConfig);
  if (!parsed.ok) return failure("adapter_config_invalid", parsed.message);
  let config = parsed.config;

  const registered: string[] = [];
  const onSecret = (value: string): void => {
    registered.push(value);
    safeSync(() => ctx.onSecret?.(value));
  };
  const env = buildCodexEnv(ctx.env, config.env, onSecret);
  const base = ctx.cwd ?? process.cwd();
  const cwd = config.cwd !== null ? path.resolve(base, config.cwd) : base;

  if (ctx.prompt === null || ctx.prompt.trim() === "") {
    return failure("adapter_prompt_missing", "No prompt to send to codex (the run context produced an empty prompt).");
  }
  const plan = planInvocation({ config, runtime: ctx.runtime, context: ctx.context, cwd, prompt: ctx.prompt });
  if (!(await isDirectory(cwd))) {
    return failure(
      "adapter_cwd_not_found",
      `Working directory ${JSON.stringify(cwd)} does not exist or is not a directory. Fix: create it or change adapterConfig.cwd.`,
    );
  }
  // The executable is resolved once per run, here: every attempt of this run (including the fresh-session
  // retry) starts the same file, and the invocation event records its absolute path.
  const resolution = await resolveCommand(config.command, cwd, env.PATH);
  if (resolution.status !== "found") {
    const fields = spawnErrorFields(resolution.status === "not_found" ? "ENOENT" : "EACCES", "", config.command);
    return failure(fields.errorCode!, fields.errorMessage!);
  }
  config = { ...config, command: resolution.path };
  if (plan.skipReason !== null && plan.skippedSessionId !== null) {
    await safe(() => ctx.onLog("stderr", `[staple] codex_local: not resuming session ${plan.skippedSessionId}: ${skipText(plan, ctx)}\n`));
  }

  const secrets = [...ctx.secrets, ...registered];
  let attempt = await runAttempt(ctx, signal, config, env, cwd, plan, secrets);
  let sessionReset: string | null = null;
  if (attempt.kind === "ran" && shouldRetryFresh(plan, attempt)) {
    sessionReset = plan.resumeSessionId;
    await safe(() =>
      ctx.onLog("stderr", `[staple] codex_local: session ${sessionReset} is unknown to codex; retrying once with a fresh session\n`),
    );
    const freshPlan: InvocationPlan = {
      ...plan,
      resumeSessionId: null,
      skippedSessionId: plan.resumeSessionId,
      prompt: plan.handoffNote ? plan.prompt : withHandoffNote(plan.prompt, ctx.context, "session_not_found"),
      handoffNote: true,
    };
    attempt = await runAttempt(ctx, signal, config, env, cwd, freshPlan, secrets);
  }
  if (attempt.kind === "refused") return attempt.result;
  return toResult(attempt, { config, env, cwd, plan, sessionReset, timeoutSec: config.timeoutSec });
}

type Attempt =
  | { kind: "refused"; result: AdapterResult }
  | { kind: "ran"; run: ChildProcessResult; state: CodexRunState; skippedLines: number; plan: InvocationPlan; args: string[] };

async function runAttempt(
  ctx: AdapterExecuteContext,
  signal: AbortSignal,
  config: CodexAdapterConfig,
  env: Record<string, string>,
  cwd: string,
  plan: InvocationPlan,
  secrets: readonly string[],
): Promise<Attempt> {
  const args = buildCodexArgs({
    model: config.model,
    reasoningEffort: config.reasoningEffort,
    bypassApprovalsAndSandbox: plan.bypassApprovalsAndSandbox,
    sandbox: plan.sandbox,
    extraArgs: config.extraArgs,
    resumeSessionId: plan.resumeSessionId,
  });
  const leaked = args.findIndex((arg) => secrets.some((s) => s.length >= MIN_SECRET_LENGTH && arg.includes(s)));
  if (leaked !== -1 || secrets.some((s) => s.length >= MIN_SECRET_LENGTH && config.command.includes(s))) {
    return {
      kind: "refused",
      result: failure(
        "adapter_secret_in_argv",
        "A secret value would appear on the codex command line (adapterConfig.command, model or extraArgs), where any local user can read it. Fix: pass it through adapterConfig.env instead.",
      ),
    };
  }

  await safe(() =>
    ctx.onMeta({
      adapterType: CODEX_ADAPTER_TYPE,
      command: config.command,
      commandArgs: args,
      cwd,
      envKeys: Object.keys(env).sort(),
      resumeSessionId: plan.resumeSessionId,
      fallbackMode: plan.fallbackMode,
      bypassApprovalsAndSandbox: plan.bypassApprovalsAndSandbox,
      sandbox: plan.sandbox,
      handoffNote: plan.handoffNote,
      promptChars: plan.prompt.length,
    }),
  );

  const splitter = new LineSplitter();
  const acc = new CodexRunAccumulator();
  const report = async (lines: string[]): Promise<void> => {
    for (const line of lines) {
      const parsed = parseCodexLine(line);
      if (!parsed) continue;
      for (const event of acc.apply(parsed)) await emit(ctx, event);
    }
  };
  const run = await runChildProcess({
    command: config.command,
    args,
    cwd,
    env,
    stdin: plan.prompt,
    timeoutSec: config.timeoutSec,
    graceSec: config.graceSec,
    signal,
    onStdout: async (chunk) => {
      await safe(() => ctx.onLog("stdout", chunk));
      await report(splitter.push(chunk));
    },
    onStderr: (chunk) => safe(() => ctx.onLog("stderr", chunk)),
    onSpawn: (info) => ctx.onSpawn(info),
    maxCaptureBytes: CAPTURE_BYTES,
    spawn: ctx.spawn,
  });
  await report(splitter.end());
  return { kind: "ran", run, state: acc.state, skippedLines: splitter.skippedLines, plan, args };
}

/** A resumed run that codex rejected because it does not know the thread, before any thread started. */
function shouldRetryFresh(plan: InvocationPlan, attempt: Extract<Attempt, { kind: "ran" }>): boolean {
  const { run, state } = attempt;
  if (plan.resumeSessionId === null || run.spawnError || run.aborted || run.timedOut) return false;
  if (run.exitCode === 0 || state.sessionId !== null) return false;
  return isUnknownSessionError(failureText(state, run));
}

interface ResultInput {
  config: CodexAdapterConfig;
  env: Record<string, string>;
  cwd: string;
  plan: InvocationPlan;
  sessionReset: string | null;
  timeoutSec: number;
}

function toResult(attempt: Extract<Attempt, { kind: "ran" }>, input: ResultInput): AdapterResult {
  const { run, state, plan } = attempt;
  // The thread this run ended on: announced by codex, else the one it resumed (unless that was unknown).
  const sessionId = state.sessionId ?? plan.resumeSessionId;
  const base: AdapterResult = {
    exitCode: run.exitCode,
    signal: run.signal,
    timedOut: false,
    provider: "openai",
    model: input.config.model,
    billingType: billingTypeFor(input.env),
    costUsd: null,
    usage: state.usage,
    sessionId,
    sessionParams: sessionId !== null ? { sessionId, cwd: input.cwd } : null,
    sessionDisplayId: sessionId,
    summary: state.summary,
    resultJson: {
      resumed: plan.resumeSessionId !== null,
      fallbackMode: plan.fallbackMode,
      bypassApprovalsAndSandbox: plan.bypassApprovalsAndSandbox,
      sandbox: plan.sandbox,
      handoffNote: plan.handoffNote,
      sessionNotResumed:
        plan.skippedSessionId !== null ? { sessionId: plan.skippedSessionId, reason: plan.skipReason ?? "session_not_found" } : null,
      turnCompleted: state.turnCompleted,
      turnFailed: state.turnFailed,
      toolCalls: state.toolCalls,
      skippedLines: attempt.skippedLines,
      errors: state.streamErrors.slice(-5),
      stdoutTail: takeLastBytes(run.stdoutTail, RESULT_TAIL_BYTES),
      stderrTail: takeLastBytes(run.stderrTail, RESULT_TAIL_BYTES),
    },
  };
  if (input.sessionReset !== null && state.sessionId === null) base.clearSession = true;

  if (run.spawnError) return { ...base, ...spawnErrorFields(run.spawnError.code, run.spawnError.message, input.config.command) };
  if (run.aborted) return { ...base, errorCode: "cancelled", errorMessage: "Run cancelled" };
  if (run.timedOut) return { ...base, timedOut: true, errorCode: "timeout", errorMessage: `Timed out after ${input.timeoutSec}s` };
  const failed = run.signal !== null || run.exitCode !== 0 || state.turnFailed;
  if (!failed) return base;

  const text = failureText(state, run);
  const classification = classifyCodexFailure(text);
  if (classification?.errorCode === CODEX_AUTH_ERROR_CODE) {
    const detail = pickMessage(state, run, (m) => classifyCodexFailureKind(m) === "auth");
    return {
      ...base,
      ...classification,
      errorMessage: `Codex is not authenticated${detail ? `: ${detail}` : ""}. Fix: run \`codex login\` as the server user, or set OPENAI_API_KEY in adapterConfig.env (as a secret).`,
    };
  }
  if (classification) {
    const detail = pickMessage(state, run, (m) => classifyCodexFailureKind(m) === "transient");
    return { ...base, ...classification, errorMessage: detail ?? "Codex upstream is temporarily unavailable" };
  }
  const detail = pickMessage(state, run, () => true);
  const resultJson = { ...base.resultJson, errorDetail: detail };
  if (run.signal !== null) {
    return { ...base, errorCode: "adapter_failed", errorMessage: `codex was killed by signal ${run.signal}`, resultJson };
  }
  if (run.exitCode !== 0) {
    return { ...base, errorCode: "adapter_failed", errorMessage: `codex exited with code ${run.exitCode}`, resultJson };
  }
  return { ...base, errorCode: "adapter_failed", errorMessage: state.turnFailedMessage ?? "codex reported a failed turn" };
}

/** The error text a failure is classified from: turn.failed, error events, stray stdout text, stderr tail. */
function failureText(state: CodexRunState, run: ChildProcessResult): string {
  return [state.turnFailedMessage ?? "", ...state.streamErrors, ...state.textLines, takeLastBytes(run.stderrTail, 16 * 1024)].join("\n");
}

/**
 * The most specific message matching `accept`: turn.failed first, then the latest error event, then the
 * latest stderr lines (up to five together, as panics and stack traces span lines), then stray stdout text.
 */
function pickMessage(state: CodexRunState, run: ChildProcessResult, accept: (message: string) => boolean): string | null {
  const stderrLines = takeLastBytes(run.stderrTail, 16 * 1024)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^\d+: /.test(l) && l !== "Stack backtrace:" && !l.startsWith("WARNING: proceeding"));
  const matchingStderr = stderrLines.filter(accept).slice(-5).join("\n");
  const candidates = [state.turnFailedMessage, ...[...state.streamErrors].reverse(), matchingStderr, ...[...state.textLines].reverse()];
  for (const candidate of candidates) {
    if (candidate && accept(candidate)) return candidate.length > 1000 ? `${candidate.slice(0, 1000)}…` : candidate;
  }
  return null;
}

function skipText(plan: InvocationPlan, ctx: AdapterExecuteContext): string {
  switch (plan.skipReason) {
    case "cwd_mismatch":
      return `it was created in ${String(ctx.runtime.sessionParams?.cwd)}, not in this run's directory; starting a fresh session`;
    case "invalid_session_id":
      return "the saved id is not a valid codex thread id; starting a fresh session";
    case "fallback_fresh_session":
      return `transient-failure fallback ${plan.fallbackMode} starts a fresh session`;
    default:
      return "starting a fresh session";
  }
}

function spawnErrorFields(code: string, message: string, command: string): Pick<AdapterResult, "errorCode" | "errorMessage"> {
  const name = JSON.stringify(command);
  if (code === "ENOENT") {
    return {
      errorCode: "adapter_command_not_found",
      errorMessage: `Codex CLI ${name} not found. Fix: install it with \`npm install -g @openai/codex\` (or add its directory to PATH), or set adapterConfig.command to the codex binary's absolute path.`,
    };
  }
  if (code === "EACCES") {
    return {
      errorCode: "adapter_command_not_executable",
      errorMessage: `Codex CLI ${name} is not executable. Fix: make it executable (chmod +x) or point adapterConfig.command at the codex binary.`,
    };
  }
  return { errorCode: "adapter_spawn_failed", errorMessage: `Could not start ${name}: ${message}` };
}

function failure(errorCode: string, errorMessage: string): AdapterResult {
  return { exitCode: null, signal: null, timedOut: false, errorCode, errorMessage };
}

async function emit(ctx: AdapterExecuteContext, event: AdapterEvent): Promise<void> {
  if (ctx.onEvent) await safe(() => ctx.onEvent?.(event));
}

/** Runs a callback, swallowing its failure: a broken log/event sink must not break the run or the parser. */
async function safe(callback: () => void | Promise<void>): Promise<void> {
  try {
    await callback();
  } catch {
    // isolated on purpose
  }
}

function safeSync(callback: () => void): void {
  try {
    callback();
  } catch {
    // isolated on purpose
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
