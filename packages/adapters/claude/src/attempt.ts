import { runChildProcess, type AdapterExecuteContext, type AdapterEvent, type ChildProcessResult } from "@staple/adapter-kit";
import { ClaudeStreamParser } from "./stream-parser.js";

/** Bytes of each stream runChildProcess keeps; the stream itself is parsed as it arrives, never from this. */
export const CAPTURE_TAIL_BYTES = 64 * 1024;

export interface AttemptOptions {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Sent on stdin; an empty prompt is sent as one empty line (the CLI rejects an empty stdin). */
  prompt: string;
  timeoutSec: number;
  graceSec: number;
  signal: AbortSignal;
  ctx: AdapterExecuteContext;
  /** Receives each parsed event (the caller redacts and forwards it). */
  emit(event: AdapterEvent): Promise<void>;
}

export interface AttemptOutcome {
  run: ChildProcessResult;
  parser: ClaudeStreamParser;
}

/**
 * Runs `claude` once. Every stdout chunk goes to `ctx.onLog` unchanged (the raw log stays complete) and
 * through the stream parser, whose events go to `emit` in order. A callback that throws never stops the
 * parsing or the run. The process group is gone when this resolves (runChildProcess).
 */
export async function runClaudeAttempt(options: AttemptOptions): Promise<AttemptOutcome> {
  const { ctx } = options;
  const parser = new ClaudeStreamParser();
  const emitAll = async (events: AdapterEvent[]) => {
    for (const event of events) await settle(() => options.emit(event));
  };
  const run = await runChildProcess({
    command: options.command,
    args: options.args,
    cwd: options.cwd,
    env: options.env,
    stdin: options.prompt === "" ? "\n" : options.prompt,
    timeoutSec: options.timeoutSec,
    graceSec: options.graceSec,
    signal: options.signal,
    onStdout: async (chunk) => {
      const events = parser.push(chunk);
      await settle(() => ctx.onLog("stdout", chunk));
      await emitAll(events);
    },
    onStderr: (chunk) => settle(() => ctx.onLog("stderr", chunk)),
    onSpawn: (info) => settle(() => ctx.onSpawn(info)),
    maxCaptureBytes: CAPTURE_TAIL_BYTES,
    spawn: ctx.spawn,
  });
  await emitAll(parser.end());
  return { run, parser };
}

/** Runs a callback, ignoring whatever it throws or rejects with. */
async function settle(callback: () => unknown): Promise<void> {
  try {
    await callback();
  } catch {
    // A failing engine callback must not change how the run is parsed or ends.
  }
}
