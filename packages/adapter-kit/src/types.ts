/**
 * The adapter contract: what the run engine hands an adapter for one heartbeat, and what it gets back.
 *
 * Invariants every adapter keeps:
 * - `execute` owns any process or request it starts. When `signal` aborts it stops that work promptly and
 *   leaves nothing running; there is no global registry of running processes to clean up after it.
 * - Secret values never go to `onMeta` and never onto a child's argv. Values the engine does not already
 *   know to be secret are registered with `onSecret` before they can appear in output.
 * - A resolved result describes how the run ended; a rejected promise means the adapter itself failed.
 */

/** The agent row as the adapter sees it. `adapterConfig` is the agent's config with secrets resolved. */
export interface AdapterAgent {
  id: string;
  companyId: string;
  name: string;
  adapterType: string;
  adapterConfig: Record<string, unknown>;
}

/** The saved session the run resumes (all null for a fresh session). */
export interface AdapterRuntime {
  sessionId: string | null;
  sessionParams: Record<string, unknown> | null;
  sessionDisplayId: string | null;
  taskKey: string | null;
}

/** Reported once a child process exists. `processGroupId` equals `pid` for detached children. */
export interface SpawnInfo {
  pid: number;
  processGroupId: number | null;
  /** ISO timestamp. */
  startedAt: string;
}

import type { SpawnFunction } from "./spawn-host.js";

export interface AdapterExecuteContext {
  runId: string;
  agent: AdapterAgent;
  runtime: AdapterRuntime;
  /** PAPERCLIP_* variables prepared by the engine; adapters add config env on top. */
  env: Record<string, string>;
  /** Values the engine redacts; adapters add secret-marked config env values via `onSecret`. */
  secrets: string[];
  /** Wake context snapshot. */
  context: Record<string, unknown>;
  /** Prompt text for CLI agents (stdin); null for process/http. */
  prompt: string | null;
  /** Resolved working directory (config cwd wins when set). */
  cwd: string | null;
  onLog(stream: "stdout" | "stderr", chunk: string): void | Promise<void>;
  /** e.g. {adapterType, command, commandArgs, cwd, envKeys}; never secret values. */
  onMeta(meta: Record<string, unknown>): void | Promise<void>;
  onSpawn(info: SpawnInfo): void | Promise<void>;
  /** Registers an extra value to redact. */
  onSecret?(value: string): void;
  /** Structured run events parsed from the agent's output (e.g. `assistant.text`, `tool.use`, `tool.result`, `result`). */
  onEvent?(event: AdapterEvent): void | Promise<void>;
  /** How adapters start processes (the engine passes its spawn host); absent means spawn in-process. */
  spawn?: SpawnFunction;
  /**
   * Destinations outbound calls may reach although they are not public (host[:port], address[:port] or
   * CIDR; see outbound-guard.ts). Absent or empty: only public addresses.
   */
  outboundAllow?: readonly string[];
}

/** What the engine tells `testEnvironment` beyond the config (the same policy a run gets). */
export interface EnvironmentTestOptions {
  outboundAllow?: readonly string[];
}

/**
 * A structured event an adapter reports while the run executes (stored as a run event), e.g. "system.init",
 * "assistant.text", "tool.use", "tool.result", "result". `message` is short readable text, `payload` small
 * JSON-safe detail. Events come in addition to the raw log (`onLog`), never instead of it.
 */
export interface AdapterEvent {
  eventType: string;
  message?: string;
  payload?: unknown;
}

/** Failure families the engine treats specially (bounded retry for `transient_upstream`). */
export type ErrorFamily = "transient_upstream" | "model_refusal";

export interface AdapterUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
}

/**
 * How one heartbeat ended. The engine reads it as: `timedOut` -> timed_out; `exitCode === 0` and no
 * `errorMessage` -> succeeded; anything else -> failed with `errorCode` (or `adapter_failed`).
 */
export interface AdapterResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  errorMessage?: string | null;
  errorCode?: string | null;
  errorFamily?: ErrorFamily | null;
  /** ISO timestamp before which a retry must not start. */
  retryNotBefore?: string | null;
  usage?: AdapterUsage | null;
  costUsd?: number | null;
  provider?: string | null;
  biller?: string | null;
  model?: string | null;
  billingType?: string | null;
  sessionId?: string | null;
  sessionParams?: Record<string, unknown> | null;
  sessionDisplayId?: string | null;
  clearSession?: boolean;
  summary?: string | null;
  /** Adapter-specific details; the engine redacts it before storing. */
  resultJson?: Record<string, unknown> | null;
}

/** One finding of `testEnvironment`. Problems (`warn`, `error`) carry a `fix`. */
export interface EnvironmentCheck {
  level: "info" | "warn" | "error";
  code: string;
  message: string;
  fix?: string;
}

export interface AdapterModule {
  type: string;
  /** Runs one heartbeat. Resolves with a result; rejecting means the run failed (the engine records the error). Must stop promptly and leave no process behind when `signal` aborts. */
  execute(ctx: AdapterExecuteContext, signal: AbortSignal): Promise<AdapterResult>;
  testEnvironment?(config: Record<string, unknown>, options?: EnvironmentTestOptions): Promise<EnvironmentCheck[]>;
  /** The timeout `execute` applies when the config sets no timeoutSec (0 or absent = none); recorded on the run. */
  defaultTimeoutSec?: number;
  /** A coding agent that edits files in its working directory: its issues get an isolated git worktree by default. */
  codingAgent?: boolean;
}
