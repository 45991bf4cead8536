import type { Schemas } from "@staple/api-client";
import { intOption, type Parsed } from "../args.js";
import type { Context } from "../context.js";
import { safeText } from "../safe-text.js";
import { ApiError, type Connection } from "../http-client.js";
import { CliError } from "../errors.js";

/**
 * Reading and following a run's log.
 *
 * The log is NDJSON (`{ts, stream, chunk}` per line) read by byte offset from
 * GET /api/heartbeat-runs/:id/log. Invariants of `followRun`:
 * - the log file is the only source of output: the offset advances only past complete lines, so a
 *   line is printed exactly once even when a read ends mid-line (or mid-character);
 * - the company's live event stream (SSE, /api/companies/:id/events) is only a nudge to read
 *   sooner; if it is unavailable or drops, polling every POLL_MS still finds everything;
 * - the run's status is read *before* the final drain, so when the loop sees a terminal status it
 *   prints everything the run wrote (the log is closed before the run is finalized);
 * - it is bounded: after `timeoutMs` it stops with an error (the run itself keeps going).
 */

const POLL_MS = 1_000;
/** The largest slice the server serves; a stored line is far smaller (chunks are compacted to 64K chars). */
const READ_BYTES = 1024 * 1024;
export const DEFAULT_FOLLOW_TIMEOUT_S = 600;

export function followTimeoutMs(parsed: Parsed, usage: string): number {
  return (intOption(parsed, "timeout", usage) ?? DEFAULT_FOLLOW_TIMEOUT_S) * 1000;
}

interface LogLine {
  ts?: string;
  stream?: string;
  chunk?: string;
}

/** Splits a slice into complete lines and the byte length they span (the partial tail is left for the next read). */
export function completeLines(content: string): { lines: string[]; bytes: number } {
  const end = content.lastIndexOf("\n");
  if (end < 0) return { lines: [], bytes: 0 };
  const whole = content.slice(0, end + 1);
  return { lines: whole.split("\n").filter((l) => l !== ""), bytes: Buffer.byteLength(whole) };
}

/** Writes one NDJSON log line: raw with --json, else its chunk (stderr chunks to stderr). */
export function printLogLine(ctx: Context, line: string, json: boolean) {
  if (json) return ctx.printJsonText(line);
  let parsed: LogLine;
  try {
    parsed = JSON.parse(line) as LogLine;
  } catch {
    return ctx.print(line);
  }
  const chunk = typeof parsed.chunk === "string" ? parsed.chunk : "";
  ctx.progress.clear();
  // Agent output: what it wrote, newlines and tabs kept, without anything a terminal acts on.
  (parsed.stream === "stderr" ? process.stderr : process.stdout).write(safeText(chunk));
}

/**
 * Reads from `offset` until the server has nothing more, printing complete lines; returns the new
 * offset. A missing log (404: the run has not opened it yet) reads as empty.
 */
export async function drainLog(ctx: Context, runId: string, offset: number, json: boolean): Promise<number> {
  for (;;) {
    let slice: Schemas["RunLog"];
    try {
      const query = { offset: String(offset), limitBytes: String(READ_BYTES) };
      slice = await ctx.call(ctx.client.GET("/api/heartbeat-runs/{id}/log", { params: { path: { id: runId }, query } }));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404 && /log/i.test(error.message)) return offset;
      throw error;
    }
    const { lines, bytes } = completeLines(slice.content);
    for (const line of lines) printLogLine(ctx, line, json);
    offset += bytes;
    // More remains only when the server said so and we made progress (no endless loop on a giant line).
    if (slice.nextOffset === undefined || bytes === 0) return offset;
  }
}

/**
 * Calls `onNudge` on each live event that mentions `runId`; `close()` ends the subscription. The
 * stream is read with fetch, not the generated client: the OpenAPI document lists it under
 * `x-live-events`, not as a path, and it never ends on its own.
 */
function subscribeNudges(api: Connection, companyId: string, runId: string, onNudge: () => void): { close(): void } {
  const abort = new AbortController();
  (async () => {
    const res = await fetch(api.url(`/api/companies/${encodeURIComponent(companyId)}/events`), {
      headers: api.headers({ accept: "text/event-stream" }),
      signal: abort.signal,
    });
    if (!res.ok || !res.body) return;
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(part, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trim())
          .join("\n");
        if (data.includes(runId)) onNudge();
      }
    }
  })().catch(() => {
    /* the stream is an optimisation; polling continues without it */
  });
  return { close: () => abort.abort() };
}

export interface FollowOptions {
  timeoutMs: number;
  json: boolean;
}

/** Prints the run's log as it grows until the run is terminal. */
export async function followRun(ctx: Context, runId: string, options: FollowOptions): Promise<void> {
  const { TERMINAL_RUN_STATUSES } = await import("@staple/contracts");
  const terminal = new Set<string>(TERMINAL_RUN_STATUSES);
  const deadline = Date.now() + options.timeoutMs;
  const readRun = () => ctx.call(ctx.client.GET("/api/heartbeat-runs/{id}", { params: { path: { id: runId } } }));
  let run = await readRun();
  let wake: (() => void) | undefined;
  const nudges = subscribeNudges(ctx.api, run.companyId, run.id, () => wake?.());
  let offset = 0;
  try {
    for (;;) {
      run = await readRun();
      offset = await drainLog(ctx, run.id, offset, options.json);
      if (terminal.has(run.status)) break;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new CliError(
          `run ${run.id} is still ${run.status} after ${Math.round(options.timeoutMs / 1000)} s; stopped following (the run goes on). ` +
            `Follow longer with --timeout <seconds>, or cancel it: staple run cancel ${run.id}`,
        );
      }
      ctx.progress.start(`run ${run.status}…`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(POLL_MS, left));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    nudges.close();
    ctx.progress.clear();
  }
  const detail = [run.exitCode !== null ? `exit ${run.exitCode}` : null, run.errorCode, run.error].filter(Boolean).join(", ");
  ctx.note(`run ${run.id} ${run.status}${detail ? ` (${detail})` : ""}`);
}
