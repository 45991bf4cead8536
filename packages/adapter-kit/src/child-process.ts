import { isProcessGroupAlive, signalProcessGroup } from "./process-group.js";
import { TailBuffer } from "./tail-buffer.js";
import type { SpawnInfo } from "./types.js";
import { localSpawn, type SpawnFunction, type SpawnedChild } from "./spawn-host.js";

/**
 * Runs one child process for an adapter and guarantees it is gone afterwards.
 *
 * Invariants:
 * - The child is spawned detached, so it leads its own process group (pgid = pid). Every signal goes to the
 *   whole group (`kill(-pgid)`), so grandchildren are stopped with their parent.
 * - On timeout or abort: SIGTERM to the group, then SIGKILL to the group `graceSec` later if anything in it
 *   is still alive. The first of timeout/abort is the cause reported; the other changes nothing.
 * - When the leader exits on its own, whatever is left in its group gets the same SIGTERM-then-SIGKILL
 *   treatment before the promise resolves: no process of the run outlives the run.
 * - The promise always resolves, never rejects. A missing binary (ENOENT) or a non-executable one (EACCES)
 *   resolves with `spawnError` and `exitCode: null`, and no callback is called.
 * - It resolves only after the group is gone (bounded: at most `graceSec` plus a couple of seconds after the
 *   first signal), stdout/stderr are drained (bounded: a process that escaped the group and still holds the
 *   pipes is cut off after a short drain window), and every callback has settled.
 * - Callbacks run one at a time in arrival order (onSpawn first, then output chunks as they were read). A
 *   callback that throws or rejects is isolated: the child, later chunks and the result are unaffected.
 * - Environment values travel only through the child's environment, never on argv. `env` is used as is:
 *   callers add PATH/HOME themselves.
 * - stdin receives `stdin` (if any) and is then closed; a child that exits without reading it is fine.
 */

export interface RunChildProcessOptions {
  command: string;
  args: readonly string[];
  cwd?: string;
  /** The complete environment of the child (nothing is inherited from this process). */
  env: Record<string, string>;
  /** Written to the child's stdin, which is then closed. */
  stdin?: string | null;
  /**
   * Instead of `stdin`: the child's stdin stays open and is handed to this callback right after the spawn
   * (for protocols spoken over stdio); the caller writes to it and ends it.
   */
  interactiveStdin?(stdin: NodeJS.WritableStream): void;
  /** 0 = no timeout. */
  timeoutSec: number;
  /** Seconds between SIGTERM and SIGKILL. */
  graceSec: number;
  signal: AbortSignal;
  onStdout(chunk: string): void | Promise<void>;
  onStderr(chunk: string): void | Promise<void>;
  onSpawn(info: SpawnInfo): void | Promise<void>;
  /** Size of each returned tail, in UTF-8 bytes. Default 4 MiB per stream. */
  maxCaptureBytes?: number;
  /** How to spawn (default: in this process). The server passes its spawn host (see spawn-host.ts). */
  spawn?: SpawnFunction;
}

export interface ChildSpawnError {
  /** errno code such as "ENOENT" or "EACCES" (or a Node error code for invalid arguments). */
  code: string;
  message: string;
}

export interface ChildProcessResult {
  /** The leader's exit code; null when it was killed by a signal or never started. */
  exitCode: number | null;
  /** The signal that killed the leader, e.g. "SIGTERM". */
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  spawnError?: ChildSpawnError;
  /** The last `maxCaptureBytes` of stdout. */
  stdoutTail: string;
  /** The last `maxCaptureBytes` of stderr. */
  stderrTail: string;
}

export const DEFAULT_MAX_CAPTURE_BYTES = 4 * 1024 * 1024;

/** How long to wait for the group to vanish after SIGKILL before giving up on it. */
const AFTER_KILL_WAIT_MS = 2_000;
/** How long to wait for stdout/stderr to close once the group is gone. */
const STDIO_DRAIN_MS = 2_000;
/** setTimeout fires at once for delays above 2^31-1 ms; longer timeouts are clamped to this (~24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/** Seconds to a safe setTimeout delay: negative/NaN -> 0, huge -> MAX_TIMER_MS. */
function secondsToTimerMs(seconds: number): number {
  const ms = seconds * 1000;
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_TIMER_MS) : 0;
}

export function runChildProcess(options: RunChildProcessOptions): Promise<ChildProcessResult> {
  const maxBytes = options.maxCaptureBytes ?? DEFAULT_MAX_CAPTURE_BYTES;
  if (options.signal.aborted) {
    return Promise.resolve({ exitCode: null, signal: null, timedOut: false, aborted: true, stdoutTail: "", stderrTail: "" });
  }
  let child: SpawnedChild;
  try {
    child = (options.spawn ?? localSpawn)({ command: options.command, args: options.args, cwd: options.cwd, env: options.env });
  } catch (error) {
    // Synchronous failures: invalid arguments (e.g. a NUL byte in an argument or env value).
    return Promise.resolve({ ...notStarted(), spawnError: toSpawnError(error) });
  }
  return superviseChild(child, options, maxBytes);
}

function notStarted(): ChildProcessResult {
  return { exitCode: null, signal: null, timedOut: false, aborted: false, stdoutTail: "", stderrTail: "" };
}

function toSpawnError(error: unknown): ChildSpawnError {
  const err = error as NodeJS.ErrnoException;
  return { code: typeof err?.code === "string" ? err.code : "ESPAWN", message: err?.message ?? String(error) };
}

function superviseChild(child: SpawnedChild, options: RunChildProcessOptions, maxBytes: number): Promise<ChildProcessResult> {
  const stdoutTail = new TailBuffer(maxBytes);
  const stderrTail = new TailBuffer(maxBytes);
  const callbacks = new SerialCallbacks();
  // Known synchronously for a local spawn; a remote spawn learns it at the 'spawn' event. Until then
  // a stop request is remembered and carried out as soon as the process exists.
  let pgid = child.pid;
  let terminatePending = false;
  const stdioClosed = new Promise<void>((resolve) => child.once("close", () => resolve()));

  let cause: "timeout" | "abort" | null = null;
  let leaderExited = false;
  let termSentAt: number | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;

  /** SIGTERM the group now, SIGKILL it after graceSec. Idempotent. */
  const terminate = (): void => {
    if (pgid === undefined) {
      terminatePending = true;
      return;
    }
    if (termSentAt !== null) return;
    termSentAt = Date.now();
    signalProcessGroup(pgid, "SIGTERM");
    const group = pgid;
    killTimer = setTimeout(() => {
      if (isProcessGroupAlive(group)) signalProcessGroup(group, "SIGKILL");
    }, secondsToTimerMs(options.graceSec));
  };
  const stopFor = (why: "timeout" | "abort"): void => {
    // Once the leader has exited, its own outcome stands; cleanup of leftovers is already under way.
    if (leaderExited) return;
    cause ??= why;
    terminate();
  };
  const onAbort = (): void => stopFor("abort");

  child.stdin?.on("error", () => {
    // EPIPE/ECONNRESET: the child exited or closed stdin without reading everything. Not an error of the run.
  });
  // A read error on a pipe ends that stream early; the exit/close handling below still completes the run.
  child.stdout?.on("error", () => undefined);
  child.stderr?.on("error", () => undefined);
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    stdoutTail.push(chunk);
    callbacks.push(() => options.onStdout(chunk));
  });
  child.stderr?.on("data", (chunk: string) => {
    stderrTail.push(chunk);
    callbacks.push(() => options.onStderr(chunk));
  });

  return new Promise<ChildProcessResult>((resolve) => {
    let settled = false;
    const settle = (result: ChildProcessResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      options.signal.removeEventListener("abort", onAbort);
      resolve(result);
    };

    // `on`, not `once`: an 'error' event without a listener would crash the server.
    child.on("error", (error) => {
      // Only spawn failures matter here: this module never calls child.kill(), whose failures land here too.
      if (pgid !== undefined) return;
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.stdin?.destroy();
      void callbacks.idle().then(() => settle({ ...notStarted(), spawnError: toSpawnError(error) }));
    });
    child.once("spawn", () => {
      pgid = child.pid!;
      const info: SpawnInfo = { pid: pgid, processGroupId: pgid, startedAt: new Date().toISOString() };
      callbacks.push(() => options.onSpawn(info));
      if (terminatePending) terminate();
    });
    child.once("exit", (code, signal) => {
      leaderExited = true;
      clearTimeout(timeoutTimer);
      options.signal.removeEventListener("abort", onAbort);
      const group = pgid!;
      void (async () => {
        // Leftovers in the group (background jobs, daemons that did not setsid) are stopped too.
        if (isProcessGroupAlive(group)) terminate();
        if (termSentAt !== null) {
          const deadline = termSentAt + secondsToTimerMs(options.graceSec) + AFTER_KILL_WAIT_MS;
          await waitUntil(() => !isProcessGroupAlive(group), deadline);
          // The group is gone (or beyond help): never signal its number again, it may be reused.
          clearTimeout(killTimer);
        }
        if (!(await within(stdioClosed, STDIO_DRAIN_MS))) {
          // Someone outside the group still holds the pipes; stop reading rather than wait forever.
          child.stdout?.destroy();
          child.stderr?.destroy();
        }
        await callbacks.idle();
        settle({
          exitCode: code,
          signal,
          timedOut: cause === "timeout",
          aborted: cause === "abort",
          stdoutTail: stdoutTail.value(),
          stderrTail: stderrTail.value(),
        });
      })();
    });

    options.signal.addEventListener("abort", onAbort, { once: true });
    if (options.timeoutSec > 0) timeoutTimer = setTimeout(() => stopFor("timeout"), secondsToTimerMs(options.timeoutSec));

    if (options.interactiveStdin) {
      if (child.stdin) options.interactiveStdin(child.stdin);
    } else if (options.stdin) child.stdin?.end(options.stdin, "utf8");
    else child.stdin?.end();
  });
}

/** Runs callbacks one after another; a failing callback never blocks or fails the ones after it. */
class SerialCallbacks {
  private last: Promise<void> = Promise.resolve();

  push(callback: () => void | Promise<void>): void {
    this.last = this.last.then(callback).catch(() => undefined);
  }

  idle(): Promise<void> {
    return this.last;
  }
}

/** Polls `done` with growing intervals (25 ms to 250 ms) until it holds or `deadline` (epoch ms) passes. */
async function waitUntil(done: () => boolean, deadline: number): Promise<boolean> {
  let interval = 25;
  while (!done()) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return false;
    await sleep(Math.min(interval, remaining));
    interval = Math.min(interval * 2, 250);
  }
  return true;
}

/** True when `promise` settles within `ms`. */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
