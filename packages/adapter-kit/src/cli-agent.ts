import fs from "node:fs/promises";
import path from "node:path";
import type { ParsedConfig, EnvEntry } from "./config-fields.js";
import { runChildProcess, type ChildProcessResult } from "./child-process.js";
import { MIN_SECRET_LENGTH } from "./redact.js";
import { resolveCommand } from "./resolve-command.js";
import { takeLastBytes } from "./tail-buffer.js";
import type { AdapterEvent, AdapterExecuteContext, AdapterResult, AdapterUsage, ErrorFamily } from "./types.js";

/**
 * The shared shape of a coding-agent CLI adapter that runs one process per heartbeat, writes the prompt to
 * stdin and prints one JSON object per line (gemini_local, opencode_local, cursor): config -> environment ->
 * binary lookup -> argv -> child -> parsed lines -> result, with a fresh-session retry when the CLI does not
 * know the saved session, and failure classification (login missing, upstream busy with a reset time).
 *
 * Invariants:
 * - `runCliAgent` never rejects for problems of the run (bad config, missing cwd or binary, failures,
 *   timeouts, cancellation): each resolves with an errorCode. A missing binary is `<codePrefix>_binary_missing`,
 *   a missing login `<codePrefix>_auth_required`, a busy upstream `<codePrefix>_transient_upstream`
 *   (family `transient_upstream`, with `retryNotBefore` when the CLI names a time).
 * - Secret values travel only in the child's environment: a secret on argv refuses the run before spawning.
 * - Every stdout chunk reaches `onLog` unchanged; parsed lines become `onEvent` calls. A failing callback
 *   never stops parsing or the run.
 * - At most two processes per run: the second only when the first was refused for an unknown session.
 */

/** The config fields every CLI agent adapter has (its own schema adds the rest). */
export interface CliAgentConfig {
  command: string;
  model: string | null;
  extraArgs: string[];
  env: Record<string, EnvEntry>;
  cwd: string | null;
  timeoutSec: number;
  graceSec: number;
}

/** What a stream parser learned from a run's output so far. */
export interface CliRunState {
  sessionId: string | null;
  model: string | null;
  usage: AdapterUsage | null;
  costUsd: number | null;
  /** Assistant text of the run (joined), or the final result text. */
  summary: string | null;
  /** Error messages the stream reported, in order. */
  errors: string[];
  /** The stream reported a failed outcome (error result / failed status). */
  failed: boolean;
  /** The stream reported its final result line. */
  finished: boolean;
  toolCalls: number;
}

export function emptyCliRunState(): CliRunState {
  return {
    sessionId: null,
    model: null,
    usage: null,
    costUsd: null,
    summary: null,
    errors: [],
    failed: false,
    finished: false,
    toolCalls: 0,
  };
}

/** Turns one parsed output line into run events, updating `state`. */
export interface CliLineParser {
  readonly state: CliRunState;
  apply(line: Record<string, unknown>): AdapterEvent[];
  /** Events still buffered when the output ended. */
  end?(): AdapterEvent[];
}

export type CliFailureKind = "auth" | "transient" | "unknown_session" | null;

export interface CliFailurePatterns {
  auth: readonly RegExp[];
  transient: readonly RegExp[];
  unknownSession: readonly RegExp[];
}

export interface CliFailureClassification {
  errorCode: string;
  errorFamily: ErrorFamily | null;
  retryNotBefore: string | null;
}

/** Auth wins over transient (an expired login retried later fails the same way), then unknown session. */
export function classifyCliFailureKind(text: string, patterns: CliFailurePatterns): CliFailureKind {
  if (patterns.auth.some((p) => p.test(text))) return "auth";
  if (patterns.transient.some((p) => p.test(text))) return "transient";
  if (patterns.unknownSession.some((p) => p.test(text))) return "unknown_session";
  return null;
}

export interface CliAgentSpec<C extends CliAgentConfig> {
  /** adapterType, e.g. "gemini_local". */
  type: string;
  /** Prefix of the adapter's own error codes, e.g. "gemini" -> gemini_binary_missing. */
  codePrefix: string;
  /** Human name, e.g. "Gemini CLI". */
  label: string;
  parseConfig(raw: unknown): ParsedConfig<C>;
  /** Variables taken from the server's environment when neither the engine nor the config sets them. */
  inheritedEnvKeys: readonly string[];
  /** Names whose values are credentials even when config marks them plain (always redacted). */
  credentialEnvKeys: readonly string[];
  buildArgs(config: C, resumeSessionId: string | null, cwd: string): string[];
  /** Variables the adapter sets for every run (under the engine's and the config's, which win). */
  defaultEnv?(config: C): Record<string, string>;
  createParser(): CliLineParser;
  failures: CliFailurePatterns;
  /** "npm install -g @google/gemini-cli" */
  installHint: string;
  /** How to log in, e.g. "run `gemini` once and choose a login, or set GEMINI_API_KEY in adapterConfig.env (as a secret)". */
  loginHint: string;
  provider(config: C, state: CliRunState): string | null;
  billingType(env: Record<string, string>): string;
  parseRetryNotBefore(text: string, now: Date): string | null;
}

const CAPTURE_BYTES = 64 * 1024;
/** Bytes of each stream kept in `resultJson` (the engine redacts it before storing). */
export const CLI_RESULT_TAIL_BYTES = 4 * 1024;
/** Longest line the parser looks at; longer lines are logged but not parsed. */
const MAX_LINE_CHARS = 4 * 1024 * 1024;

/** The child's environment: engine variables, config env on top, inherited keys where still unset. */
export function buildCliEnv(
  engineEnv: Record<string, string>,
  configEnv: Record<string, EnvEntry>,
  inheritedKeys: readonly string[],
  credentialKeys: readonly string[],
  onSecret: ((value: string) => void) | undefined,
  hostEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = { ...engineEnv };
  for (const [key, entry] of Object.entries(configEnv)) {
    env[key] = entry.value;
    if (entry.secret && entry.value !== "") onSecret?.(entry.value);
  }
  for (const key of inheritedKeys) {
    const inherited = hostEnv[key];
    if (env[key] === undefined && inherited !== undefined) env[key] = inherited;
  }
  for (const key of credentialKeys) {
    const value = env[key];
    if (value !== undefined && value !== "" && !configEnv[key]?.secret) onSecret?.(value);
  }
  return env;
}

/** Variables nearly every CLI needs to find itself, its login and the network. */
export const BASE_INHERITED_ENV_KEYS = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TZ",
  "TMPDIR",
  "XDG_CONFIG_HOME",
  "XDG_DATA_HOME",
  "XDG_CACHE_HOME",
  "XDG_STATE_HOME",
  "XDG_RUNTIME_DIR",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "all_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NODE_EXTRA_CA_CERTS",
] as const;

/** Splits a byte stream into lines; a partial last line waits for the next chunk. */
export class JsonLineSplitter {
  private buffer = "";
  push(chunk: string): string[] {
    this.buffer += chunk;
    const parts = this.buffer.split("\n");
    this.buffer = parts.pop() ?? "";
    if (this.buffer.length > MAX_LINE_CHARS) this.buffer = "";
    return parts;
  }
  end(): string[] {
    const rest = this.buffer;
    this.buffer = "";
    return rest.trim() === "" ? [] : [rest];
  }
}

/** One output line as a JSON object, or null (blank, not JSON, not an object). */
export function parseJsonObjectLine(line: string): Record<string, unknown> | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return null;
  try {
    const value: unknown = JSON.parse(trimmed);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The saved session of `ctx.runtime` this run may resume in `cwd`, or null (none, or made in another directory). */
export function resumableSession(ctx: AdapterExecuteContext, cwd: string): string | null {
  const params = ctx.runtime.sessionParams;
  const id = typeof params?.sessionId === "string" ? params.sessionId : ctx.runtime.sessionId;
  if (typeof id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/.test(id)) return null;
  if (typeof params?.cwd === "string" && path.resolve(params.cwd) !== path.resolve(cwd)) return null;
  return id;
}

type Attempt = { run: ChildProcessResult; state: CliRunState; args: string[]; resumed: string | null };

export async function runCliAgent<C extends CliAgentConfig>(
  spec: CliAgentSpec<C>,
  ctx: AdapterExecuteContext,
  signal: AbortSignal,
): Promise<AdapterResult> {
  const parsed = spec.parseConfig(ctx.agent.adapterConfig);
  if (!parsed.ok) return cliFailure("adapter_config_invalid", parsed.message);
  let config = parsed.config;
  const registered: string[] = [];
  const onSecret = (value: string): void => {
    registered.push(value);
    try {
      ctx.onSecret?.(value);
    } catch {
      // isolated on purpose
    }
  };
  const env = buildCliEnv(
    { ...spec.defaultEnv?.(config), ...ctx.env },
    config.env,
    spec.inheritedEnvKeys,
    spec.credentialEnvKeys,
    onSecret,
  );
  const base = ctx.cwd ?? process.cwd();
  const cwd = config.cwd !== null ? path.resolve(base, config.cwd) : base;
  if (ctx.prompt === null || ctx.prompt.trim() === "") {
    return cliFailure("adapter_prompt_missing", `No prompt to send to ${spec.label} (the run context produced an empty prompt).`);
  }
  if (!(await isDirectory(cwd))) {
    return cliFailure(
      "adapter_cwd_not_found",
      `Working directory ${JSON.stringify(cwd)} does not exist or is not a directory. Fix: create it or change adapterConfig.cwd.`,
    );
  }
  const resolution = await resolveCommand(config.command, cwd, env.PATH);
  if (resolution.status !== "found") return binaryProblem(spec, config.command, resolution.status === "not_found" ? "ENOENT" : "EACCES");
  config = { ...config, command: resolution.path };

  const secrets = [...ctx.secrets, ...registered];
  const resume = resumableSession(ctx, cwd);
  const first = await runAttempt(spec, ctx, signal, config, env, cwd, resume, secrets);
  if ("refused" in first) return first.refused;
  let attempt = first;
  let sessionReset = false;
  if (resume !== null && shouldRetryFresh(spec, attempt)) {
    await safe(() =>
      ctx.onLog("stderr", `[staple] ${spec.type}: session ${resume} is unknown to ${spec.label}; retrying once with a fresh session\n`),
    );
    const second = await runAttempt(spec, ctx, signal, config, env, cwd, null, secrets);
    if ("refused" in second) return second.refused;
    attempt = second;
    sessionReset = true;
  }
  return toCliResult(spec, config, env, cwd, attempt, sessionReset);
}

async function runAttempt<C extends CliAgentConfig>(
  spec: CliAgentSpec<C>,
  ctx: AdapterExecuteContext,
  signal: AbortSignal,
  config: C,
  env: Record<string, string>,
  cwd: string,
  resume: string | null,
  secrets: readonly string[],
): Promise<Attempt | { refused: AdapterResult }> {
  const args = spec.buildArgs(config, resume, cwd);
  const leaks = (text: string) => secrets.some((s) => s.length >= MIN_SECRET_LENGTH && text.includes(s));
  if (args.some(leaks) || leaks(config.command)) {
    return {
      refused: cliFailure(
        "adapter_secret_in_argv",
        `A secret value would appear on the ${spec.label} command line (adapterConfig.command, model or extraArgs), where any local user can read it. Fix: pass it through adapterConfig.env instead.`,
      ),
    };
  }
  await safe(() =>
    ctx.onMeta({
      adapterType: spec.type,
      command: config.command,
      commandArgs: args,
      cwd,
      envKeys: Object.keys(env).sort(),
      resumeSessionId: resume,
      promptChars: ctx.prompt?.length ?? 0,
    }),
  );
  const splitter = new JsonLineSplitter();
  const parser = spec.createParser();
  const report = async (lines: string[]): Promise<void> => {
    for (const line of lines) {
      const object = parseJsonObjectLine(line);
      if (!object) continue;
      let events: AdapterEvent[] = [];
      try {
        events = parser.apply(object);
      } catch {
        events = [];
      }
      for (const event of events) if (ctx.onEvent) await safe(() => ctx.onEvent?.(event));
    }
  };
  const run = await runChildProcess({
    command: config.command,
    args,
    cwd,
    env,
    stdin: ctx.prompt,
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
  for (const event of parser.end?.() ?? []) if (ctx.onEvent) await safe(() => ctx.onEvent?.(event));
  return { run, state: parser.state, args, resumed: resume };
}

function shouldRetryFresh<C extends CliAgentConfig>(spec: CliAgentSpec<C>, attempt: Attempt): boolean {
  const { run, state } = attempt;
  if (run.spawnError || run.aborted || run.timedOut) return false;
  if (run.exitCode === 0 && !state.failed) return false;
  const text = failureText(state, run.stderrTail, run.stdoutTail);
  return classifyCliFailureKind(text, spec.failures) === "unknown_session";
}

/** The text a failure is classified from: stream errors, then stderr, then non-JSON stdout. */
export function failureText(state: CliRunState, stderrTail: string, stdoutTail: string): string {
  const strayStdout = stdoutTail
    .split("\n")
    .filter((l) => l.trim() !== "" && parseJsonObjectLine(l) === null)
    .join("\n");
  return [...state.errors, takeLastBytes(stderrTail, 16 * 1024), takeLastBytes(strayStdout, 8 * 1024)].join("\n");
}

/** The most specific line of `text` that `accept`s, shortened; stream errors first. */
function pickMessage(state: CliRunState, stderrTail: string, accept: (line: string) => boolean): string | null {
  const candidates = [
    ...[...state.errors].reverse(),
    ...takeLastBytes(stderrTail, 16 * 1024)
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .reverse(),
  ];
  for (const candidate of candidates) {
    if (accept(candidate)) return candidate.length > 1000 ? `${candidate.slice(0, 1000)}…` : candidate;
  }
  return null;
}

/**
 * The run's result from its outcome. Shared by the adapters that do their own process handling (acp_local),
 * so every adapter reports the same codes for the same situations.
 */
export function cliResultFromOutcome<C extends CliAgentConfig>(
  spec: Pick<
    CliAgentSpec<C>,
    "type" | "codePrefix" | "label" | "failures" | "loginHint" | "provider" | "billingType" | "parseRetryNotBefore" | "installHint"
  >,
  input: {
    config: C;
    env: Record<string, string>;
    cwd: string;
    run: ChildProcessResult;
    state: CliRunState;
    resumed: string | null;
    sessionReset: boolean;
    extra?: Record<string, unknown>;
  },
): AdapterResult {
  const { config, run, state } = input;
  const sessionId = state.sessionId ?? (input.sessionReset ? null : input.resumed);
  const base: AdapterResult = {
    exitCode: run.exitCode,
    signal: run.signal,
    timedOut: false,
    provider: spec.provider(config, state),
    model: state.model ?? config.model,
    billingType: spec.billingType(input.env),
    costUsd: state.costUsd,
    usage: state.usage,
    sessionId,
    sessionParams: sessionId !== null ? { sessionId, cwd: input.cwd } : null,
    sessionDisplayId: sessionId,
    summary: state.summary,
    resultJson: {
      resumed: input.resumed !== null,
      sessionReset: input.sessionReset,
      finished: state.finished,
      toolCalls: state.toolCalls,
      errors: state.errors.slice(-5),
      stdoutTail: takeLastBytes(run.stdoutTail, CLI_RESULT_TAIL_BYTES),
      stderrTail: takeLastBytes(run.stderrTail, CLI_RESULT_TAIL_BYTES),
      ...input.extra,
    },
  };
  if (input.sessionReset && state.sessionId === null) base.clearSession = true;
  if (run.spawnError) return { ...base, ...binaryProblem(spec, config.command, run.spawnError.code, run.spawnError.message) };
  if (run.aborted) return { ...base, errorCode: "cancelled", errorMessage: "Run cancelled" };
  if (run.timedOut) return { ...base, timedOut: true, errorCode: "timeout", errorMessage: `Timed out after ${config.timeoutSec}s` };
  const failed = run.signal !== null || run.exitCode !== 0 || state.failed;
  if (!failed) return base;

  const text = failureText(state, run.stderrTail, run.stdoutTail);
  const kind = classifyCliFailureKind(text, spec.failures);
  if (kind === "auth") {
    const detail = pickMessage(state, run.stderrTail, (m) => classifyCliFailureKind(m, spec.failures) === "auth");
    return {
      ...base,
      errorCode: `${spec.codePrefix}_auth_required`,
      errorFamily: null,
      retryNotBefore: null,
      errorMessage: `${spec.label} is not logged in${detail ? `: ${detail}` : ""}. Fix: ${spec.loginHint}.`,
    };
  }
  if (kind === "transient") {
    const detail = pickMessage(state, run.stderrTail, (m) => classifyCliFailureKind(m, spec.failures) === "transient");
    return {
      ...base,
      errorCode: `${spec.codePrefix}_transient_upstream`,
      errorFamily: "transient_upstream",
      retryNotBefore: spec.parseRetryNotBefore(text, new Date()),
      errorMessage: detail ?? `${spec.label}: the model provider is temporarily unavailable`,
    };
  }
  const detail = pickMessage(state, run.stderrTail, () => true);
  const why =
    run.signal !== null
      ? `was killed by signal ${run.signal}`
      : run.exitCode !== 0
        ? `exited with code ${run.exitCode}`
        : "reported a failed run";
  return { ...base, errorCode: "adapter_failed", errorMessage: `${spec.label} ${why}${detail ? `: ${detail}` : ""}` };
}

function toCliResult<C extends CliAgentConfig>(
  spec: CliAgentSpec<C>,
  config: C,
  env: Record<string, string>,
  cwd: string,
  attempt: Attempt,
  sessionReset: boolean,
): AdapterResult {
  return cliResultFromOutcome(spec, { config, env, cwd, run: attempt.run, state: attempt.state, resumed: attempt.resumed, sessionReset });
}

/** `<prefix>_binary_missing` / `<prefix>_binary_not_executable` / adapter_spawn_failed, each naming the fix. */
export function binaryProblem(
  spec: Pick<CliAgentSpec<CliAgentConfig>, "codePrefix" | "label" | "installHint">,
  command: string,
  code: string,
  message = "",
): Pick<AdapterResult, "exitCode" | "signal" | "timedOut" | "errorCode" | "errorMessage"> {
  const name = JSON.stringify(command);
  if (code === "ENOENT") {
    return {
      ...cliFailure(
        `${spec.codePrefix}_binary_missing`,
        `${spec.label} ${name} not found. Fix: install it (${spec.installHint}) or add its directory to PATH, or set adapterConfig.command to the binary's absolute path.`,
      ),
    };
  }
  if (code === "EACCES") {
    return cliFailure(
      `${spec.codePrefix}_binary_not_executable`,
      `${spec.label} ${name} is not executable. Fix: make it executable (chmod +x) or point adapterConfig.command at the real binary.`,
    );
  }
  return cliFailure("adapter_spawn_failed", `Could not start ${name}: ${message}`);
}

export function cliFailure(errorCode: string, errorMessage: string): AdapterResult {
  return { exitCode: null, signal: null, timedOut: false, errorCode, errorMessage };
}

async function safe(callback: () => void | Promise<void>): Promise<void> {
  try {
    await callback();
  } catch {
    // isolated on purpose: a broken log/event sink must not break the run
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/** Small readers for loosely typed JSON lines. */
export const asRecord = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
export const asText = (value: unknown): string => (typeof value === "string" ? value : "");
export const asCount = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : 0);

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "1h2m3s", "30.5s", "417ms", "5 minutes", "2 hours 10 minutes" -> ms; null when no duration starts `text`. */
export function parseDurationText(text: string): number | null {
  const re = /^\s*(?:and\s+|,\s*)?(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)(?![a-z])/i;
  let rest = text;
  let total = 0;
  let found = false;
  for (let i = 0; i < 8; i++) {
    const match = re.exec(rest);
    if (!match) break;
    const unit = (match[2] ?? "").toLowerCase();
    const key = unit === "ms" || unit.startsWith("milli") ? "ms" : (unit[0] ?? "s");
    total += Number(match[1]) * (DURATION_UNITS[key] ?? 1000);
    found = true;
    rest = rest.slice(match[0].length);
  }
  return found ? Math.round(total) : null;
}

/**
 * When an upstream says a request may be retried, from free error text: "retry in 30s", "try again in 5
 * minutes", "reset after 1h2m", "resets in 2 hours" (relative to `now`), or "until/at <ISO 8601 time>".
 * The latest hint wins; null when there is none. Never throws.
 */
export function parseRetryHint(text: string, now: Date = new Date()): string | null {
  let best: number | null = null;
  const consider = (ms: number | null) => {
    if (ms !== null && Number.isFinite(ms) && (best === null || ms > best)) best = ms;
  };
  for (const m of text.matchAll(/(?:retry|try again|resets?|available again)\s+(?:in|after)\s+([^\n]{1,60})/gi)) {
    const ms = parseDurationText(m[1] ?? "");
    consider(ms === null ? null : now.getTime() + ms);
  }
  for (const m of text.matchAll(/(?:until|at|after)\s+(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))/gi)) {
    const ms = Date.parse((m[1] ?? "").replace(" ", "T"));
    consider(Number.isNaN(ms) ? null : ms);
  }
  return best === null ? null : new Date(best).toISOString();
}
