import { takeLastBytes, type AdapterResult, type Redactor } from "@staple/adapter-kit";
import type { AttemptOutcome } from "./attempt.js";
import { billingTypeFor, usesBedrock } from "./environment.js";
import { classifyClaudeOutcome, isUnknownSessionError } from "./error-classifier.js";
import { DIAGNOSTIC_TAIL_CHARS } from "./text-limits.js";

/** Bytes of stderr / non-JSON stdout kept in resultJson. */
const RESULT_TAIL_BYTES = 4 * 1024;

export interface ResultInput {
  attempt: AttemptOutcome;
  command: string;
  env: Record<string, string>;
  cwd: string;
  timeoutSec: number;
  maxTurns: number | null;
  configModel: string | null;
  /** The session this attempt resumed, if any. */
  resumedSessionId: string | null;
  /** Set when an earlier attempt found the saved session unknown and this attempt started fresh. */
  staleSessionId: string | null;
  redact: Redactor;
  now: Date;
}

/**
 * Maps one finished attempt to the adapter result. How it ended: spawn error -> cancelled -> timeout ->
 * classifyClaudeOutcome. Whatever the ending, the result keeps what the stream told: session, usage,
 * cost, model, summary.
 *
 * Session rules: the session the stream names wins; a resumed run that died before naming one keeps the
 * resumed session (a crash must not forget a good session); a session the CLI called unknown is never
 * returned, and `clearSession` is set when no new session replaces it.
 */
export function toClaudeResult(input: ResultInput): AdapterResult {
  const { run, parser } = input.attempt;
  const { state } = parser;
  const stderr = takeLastBytes(run.stderrTail, DIAGNOSTIC_TAIL_CHARS);
  const unknownSession = input.resumedSessionId !== null && isUnknownSessionError({ result: state.result, stderr });
  const sessionId = unknownSession ? null : (parser.sessionId ?? input.resumedSessionId);
  const clearSession = sessionId === null && (unknownSession || input.staleSessionId !== null);
  const result = state.result;
  const usage = result?.usage ?? null;
  const summary =
    result !== null && !result.isError && result.text !== null ? result.text : (state.lastAssistantText ?? result?.text ?? null);

  const base: AdapterResult = {
    exitCode: run.exitCode,
    signal: run.signal,
    timedOut: false,
    usage: usage && { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cachedInputTokens: usage.cachedInputTokens },
    costUsd: result?.costUsd ?? null,
    provider: "anthropic",
    biller: usesBedrock(input.env) ? "aws_bedrock" : "anthropic",
    model: state.model ?? input.configModel,
    billingType: billingTypeFor(input.env),
    sessionId,
    sessionParams: sessionId === null ? null : { sessionId, cwd: input.cwd },
    sessionDisplayId: sessionId,
    ...(clearSession ? { clearSession: true } : {}),
    summary: summary === null ? null : input.redact(summary),
    resultJson: {
      subtype: result?.subtype ?? null,
      isError: result?.isError ?? null,
      numTurns: result?.numTurns ?? null,
      durationMs: result?.durationMs ?? null,
      stopReason: result?.stopReason ?? null,
      terminalReason: result?.terminalReason ?? null,
      apiErrorStatus: result?.apiErrorStatus ?? null,
      errors: result?.errors ?? [],
      cacheCreationInputTokens: usage?.cacheCreationInputTokens ?? null,
      resultTruncatedChars: result?.truncatedChars ?? null,
      streamLines: state.lines,
      oversizedLines: state.oversizedLines,
      toolUses: state.toolUses,
      ...(input.staleSessionId !== null ? { staleSessionId: input.staleSessionId, retriedWithFreshSession: true } : {}),
      stderrTail: takeLastBytes(stderr, RESULT_TAIL_BYTES),
      nonJsonStdoutTail: takeLastBytes(state.nonJsonTail, RESULT_TAIL_BYTES),
    },
  };

  if (run.spawnError) return { ...base, ...spawnErrorFields(run.spawnError.code, run.spawnError.message, input.command) };
  if (run.aborted) return { ...base, errorCode: "cancelled", errorMessage: "Run cancelled" };
  if (run.timedOut) return { ...base, timedOut: true, errorCode: "timeout", errorMessage: `Timed out after ${input.timeoutSec}s` };
  const failure = classifyClaudeOutcome({
    exitCode: run.exitCode,
    signal: run.signal,
    result,
    apiErrors: state.apiErrors,
    rateLimit: state.rateLimit,
    stderr,
    nonJsonStdout: state.nonJsonTail,
    maxTurns: input.maxTurns,
    now: input.now,
  });
  if (failure === null) return base;
  return {
    ...base,
    errorCode: failure.errorCode,
    errorMessage: input.redact(failure.errorMessage),
    ...(failure.errorFamily ? { errorFamily: failure.errorFamily } : {}),
    ...(failure.retryNotBefore ? { retryNotBefore: failure.retryNotBefore } : {}),
  };
}

export function spawnErrorFields(code: string, message: string, command: string): Pick<AdapterResult, "errorCode" | "errorMessage"> {
  const name = JSON.stringify(command);
  if (code === "ENOENT") {
    return {
      errorCode: "adapter_command_not_found",
      errorMessage:
        `Command ${name} not found. Fix: install Claude Code with "npm install -g @anthropic-ai/claude-code" ` +
        "(so that claude is on the server's PATH), or set adapterConfig.command to the claude binary's absolute path.",
    };
  }
  if (code === "EACCES") {
    return {
      errorCode: "adapter_command_not_executable",
      errorMessage: `Command ${name} is not executable. Fix: make it executable (chmod +x) or point adapterConfig.command at the claude binary.`,
    };
  }
  return { errorCode: "adapter_spawn_failed", errorMessage: `Could not start ${name}: ${message}` };
}
