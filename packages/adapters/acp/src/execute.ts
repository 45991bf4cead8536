import fs from "node:fs/promises";
import path from "node:path";
import {
  BASE_INHERITED_ENV_KEYS,
  MIN_SECRET_LENGTH,
  binaryProblem,
  buildCliEnv,
  cliFailure,
  cliResultFromOutcome,
  parseRetryHint,
  resolveCommand,
  resumableSession,
  runChildProcess,
  type AdapterEvent,
  type AdapterExecuteContext,
  type AdapterResult,
  type ChildProcessResult,
  type CliFailurePatterns,
} from "@staple/adapter-kit";
import { parseAcpConfig, type AcpAdapterConfig } from "./config.js";
import { runAcpTurn } from "./session.js";

export const ACP_ADAPTER_TYPE = "acp_local";
const CAPTURE_BYTES = 64 * 1024;
/** How long an agent may take to exit after its stdin closed before it is stopped. */
const EXIT_WAIT_MS = 3_000;

/** Credentials the agents behind ACP commonly read; redacted wherever they come from. */
export const ACP_CREDENTIAL_ENV_KEYS = [
  "ANTHROPIC_API_KEY",
  "OPENAI_API_KEY",
  "GEMINI_API_KEY",
  "GOOGLE_API_KEY",
  "CURSOR_API_KEY",
  "OPENROUTER_API_KEY",
];
export const ACP_INHERITED_ENV_KEYS = [...BASE_INHERITED_ENV_KEYS, ...ACP_CREDENTIAL_ENV_KEYS];

/**
 * Failure texts of ACP turns: the protocol's auth_required error (-32000, recorded as "auth_required: …")
 * and common login wording; upstream throttling as agents relay it.
 */
export const ACP_FAILURES: CliFailurePatterns = {
  auth: [/\bauth_required\b/, /\bauthentication required\b/i, /\bnot (?:logged|signed) in\b/i, /\bunauthori[sz]ed\b/i, /\b401\b/],
  transient: [
    /\b429\b/,
    /\brate[ _-]?limit/i,
    /\btoo many requests\b/i,
    /\boverloaded\b/i,
    /\bquota\b/i,
    /\b50[23]\b/,
    /\btry again\b/i,
    /\bRESOURCE_EXHAUSTED\b/,
  ],
  unknownSession: [],
};

export const acpResultSpec = {
  type: ACP_ADAPTER_TYPE,
  codePrefix: "acp",
  label: "ACP agent",
  failures: ACP_FAILURES,
  installHint: "install the agent and point adapterConfig.command at it",
  loginHint: "log the agent in as the server user (its own login command), or set its API key in adapterConfig.env (as a secret)",
  provider: () => null,
  billingType: (env: Record<string, string>) =>
    ACP_CREDENTIAL_ENV_KEYS.some((k) => (env[k] ?? "").trim() !== "") ? "metered_api" : "subscription_included",
  parseRetryNotBefore: parseRetryHint,
};

/**
 * Runs one heartbeat as one ACP prompt turn with a freshly started agent process.
 *
 * Invariants: never rejects for problems of the run (codes as in the kit's CLI runner: acp_binary_missing,
 * acp_auth_required, acp_transient_upstream, plus acp_refusal for a refused turn); the agent process is
 * gone when the promise settles (its stdin is closed after the turn, then it is stopped if it lingers);
 * secrets travel only in the environment; the agent's stdout (the protocol traffic) is logged unchanged.
 */
export async function executeAcp(ctx: AdapterExecuteContext, signal: AbortSignal): Promise<AdapterResult> {
  const parsed = parseAcpConfig(ctx.agent.adapterConfig);
  if (!parsed.ok) return cliFailure("adapter_config_invalid", parsed.message);
  let config: AcpAdapterConfig = parsed.config;
  const registered: string[] = [];
  const env = buildCliEnv(ctx.env, config.env, ACP_INHERITED_ENV_KEYS, ACP_CREDENTIAL_ENV_KEYS, (value) => {
    registered.push(value);
    try {
      ctx.onSecret?.(value);
    } catch {
      // isolated on purpose
    }
  });
  const base = ctx.cwd ?? process.cwd();
  const cwd = config.cwd !== null ? path.resolve(base, config.cwd) : base;
  if (ctx.prompt === null || ctx.prompt.trim() === "") return cliFailure("adapter_prompt_missing", "No prompt to send to the ACP agent.");
  if (!(await isDirectory(cwd))) {
    return cliFailure(
      "adapter_cwd_not_found",
      `Working directory ${JSON.stringify(cwd)} does not exist. Fix: create it or change adapterConfig.cwd.`,
    );
  }
  const resolution = await resolveCommand(config.command, cwd, env.PATH);
  if (resolution.status !== "found")
    return binaryProblem(acpResultSpec, config.command, resolution.status === "not_found" ? "ENOENT" : "EACCES");
  config = { ...config, command: resolution.path };
  const secrets = [...ctx.secrets, ...registered];
  if ([config.command, ...config.args].some((a) => secrets.some((s) => s.length >= MIN_SECRET_LENGTH && a.includes(s)))) {
    return cliFailure(
      "adapter_secret_in_argv",
      "A secret value would appear on the agent's command line (adapterConfig.command or args). Fix: pass it through adapterConfig.env instead.",
    );
  }
  const resume = resumableSession(ctx, cwd);
  await safe(() =>
    ctx.onMeta({
      adapterType: ACP_ADAPTER_TYPE,
      command: config.command,
      commandArgs: config.args,
      cwd,
      envKeys: Object.keys(env).sort(),
      resumeSessionId: resume,
      promptChars: ctx.prompt?.length ?? 0,
    }),
  );

  const prompt = ctx.prompt;
  let chain = Promise.resolve();
  const onEvent = (event: AdapterEvent) => {
    chain = chain.then(() => safe(() => ctx.onEvent?.(event)));
  };
  const { run, value: outcome } = await runWithAgent(ctx, signal, config, env, cwd, (input, output) =>
    runAcpTurn({ prompt, cwd, resumeSessionId: resume, model: config.model, autoApprove: config.autoApprove, input, output, onEvent }),
  );
  await chain;
  // A completed turn is the run's outcome even when the agent had to be stopped afterwards; an agent that
  // vanished without an exit code before completing counts as failed.
  const completed = outcome.completed && !run.aborted && !run.timedOut;
  const effective: ChildProcessResult = completed
    ? { ...run, exitCode: 0, signal: null }
    : run.exitCode === null && run.signal === null && !run.spawnError && !run.aborted && !run.timedOut
      ? { ...run, exitCode: 1 }
      : run;
  const result = cliResultFromOutcome(acpResultSpec, {
    config: { ...config, extraArgs: config.args },
    env,
    cwd,
    run: effective,
    state: outcome.state,
    resumed: resume,
    sessionReset: outcome.sessionReset,
    extra: { agent: outcome.agentName, stopReason: outcome.stopReason, rpcErrorCode: outcome.errorCode },
  });
  if (completed && outcome.stopReason === "refusal") {
    return {
      ...result,
      errorCode: "acp_refusal",
      errorFamily: "model_refusal",
      errorMessage: "The agent refused the prompt (stopReason refusal).",
    };
  }
  return result;
}

/** Where the agent's process reports to (a run's context, or nothing for the environment check). */
export interface AgentHost {
  onLog(stream: "stdout" | "stderr", chunk: string): void | Promise<void>;
  onSpawn(info: { pid: number; processGroupId: number | null; startedAt: string }): void | Promise<void>;
  spawn?: AdapterExecuteContext["spawn"];
}

/**
 * Starts the agent, runs `turn` over its stdio, then closes its stdin and waits briefly for it to exit,
 * stopping its process group if it lingers. Resolves after the process group is gone.
 */
export async function runWithAgent<T>(
  host: AgentHost,
  signal: AbortSignal,
  config: Pick<AcpAdapterConfig, "command" | "args" | "timeoutSec" | "graceSec">,
  env: Record<string, string>,
  cwd: string,
  turn: (input: ReadableStream<Uint8Array>, output: WritableStream<Uint8Array>) => Promise<T>,
): Promise<{ run: ChildProcessResult; value: T }> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  const pipe: { stdin: NodeJS.WritableStream | null } = { stdin: null };
  let gotStdin!: () => void;
  const stdinReady = new Promise<void>((resolve) => {
    gotStdin = resolve;
  });
  let fromAgent!: ReadableStreamDefaultController<Uint8Array>;
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      fromAgent = controller;
    },
  });
  const encoder = new TextEncoder();
  const output = new WritableStream<Uint8Array>({
    write: (chunk) =>
      new Promise<void>((resolve) => {
        if (!pipe.stdin) return resolve();
        pipe.stdin.write(Buffer.from(chunk), () => resolve());
      }),
    close: () => {
      pipe.stdin?.end();
    },
    abort: () => {
      pipe.stdin?.end();
    },
  });
  const child = runChildProcess({
    command: config.command,
    args: config.args,
    cwd,
    env,
    interactiveStdin: (stdin) => {
      pipe.stdin = stdin;
      gotStdin();
    },
    timeoutSec: config.timeoutSec,
    graceSec: config.graceSec,
    signal: stop.signal,
    onStdout: async (chunk) => {
      await safe(() => host.onLog("stdout", chunk));
      try {
        fromAgent.enqueue(encoder.encode(chunk));
      } catch {
        // the connection is closed already
      }
    },
    onStderr: (chunk) => safe(() => host.onLog("stderr", chunk)),
    onSpawn: (info) => host.onSpawn(info),
    maxCaptureBytes: CAPTURE_BYTES,
    spawn: host.spawn,
  }).finally(() => {
    try {
      fromAgent.close();
    } catch {
      // already closed
    }
  });
  await Promise.race([stdinReady, child]);
  const value = await turn(input, output);
  pipe.stdin?.end();
  const exited = await Promise.race([child.then(() => true), delay(EXIT_WAIT_MS).then(() => false)]);
  let stoppedByUs = false;
  if (!exited && !signal.aborted) {
    stoppedByUs = true;
    stop.abort();
  }
  const run = await child;
  signal.removeEventListener("abort", onAbort);
  return { run: stoppedByUs ? { ...run, aborted: false } : run, value };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

async function safe(callback: () => void | Promise<void>): Promise<void> {
  try {
    await callback();
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
