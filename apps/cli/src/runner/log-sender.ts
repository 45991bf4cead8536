import { createHash } from "node:crypto";
import { encodeLogLines, LOG_FLUSH_BYTES, LOG_FLUSH_MS, LOG_PIECE_MAX_BYTES, type LogStream } from "@staple/server/dist/runs/log-db.js";

/** Default per-run cap, as a server's (the server re-checks it with its own). */
export const RUNNER_LOG_MAX_BYTES = 50 * 1024 * 1024;
/** A batch the server did not take (no answer, 5xx) is resent this many times, then dropped: the log is best effort. */
const SEND_ATTEMPTS = 3;

export interface LogPieceBody {
  seq: number;
  byteOffset: number;
  stream: LogStream;
  content: string;
  createdAt: string;
}

export interface LogSenderOptions {
  /** Sends one batch; rejects with the request's error. */
  send(body: { pieces: LogPieceBody[]; dropBelowOffset: number }): Promise<unknown>;
  /** True for an error that ends the run's reporting (409 lease lost, 401 revoked): no resend. */
  isFinal(error: unknown): boolean;
  onFinalError(error: unknown): void;
  maxBytes?: number;
  flushMs?: number;
  flushBytes?: number;
}

/**
 * A run's log sent to the server in batches, exactly as a server writes its own: pieces are NDJSON
 * lines `{ts, stream, chunk}` numbered by `seq` with their byte offset in the whole log, buffered and
 * sent every 200 ms or 64 KiB, batches strictly in order. A resent batch is stored once (the server
 * is idempotent on (run, seq)). Cap: each batch names `dropBelowOffset`, so the server keeps only the
 * newest `maxBytes`. Callers pass already-redacted text.
 */
export function createLogSender(opts: LogSenderOptions) {
  const maxBytes = opts.maxBytes ?? RUNNER_LOG_MAX_BYTES;
  const flushMs = opts.flushMs ?? LOG_FLUSH_MS;
  const flushBytes = opts.flushBytes ?? LOG_FLUSH_BYTES;
  const pieceMax = Math.max(256, Math.min(LOG_PIECE_MAX_BYTES, Math.floor(maxBytes / 2)));
  const hash = createHash("sha256");
  let seq = 0;
  let nextOffset = 0;
  let pending: LogPieceBody[] = [];
  let pendingBytes = 0;
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const dropBelow = () => Math.max(0, nextOffset - maxBytes);

  async function sendBatch(pieces: LogPieceBody[], dropBelowOffset: number) {
    for (let attempt = 1; attempt <= SEND_ATTEMPTS && !stopped; attempt++) {
      try {
        await opts.send({ pieces, dropBelowOffset });
        return;
      } catch (error) {
        if (opts.isFinal(error)) {
          stopped = true;
          opts.onFinalError(error);
          return;
        }
        if (attempt < SEND_ATTEMPTS) await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    }
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return chain;
    const batch = pending;
    const drop = dropBelow();
    pending = [];
    pendingBytes = 0;
    chain = chain.then(() => sendBatch(batch, drop));
    return chain;
  }

  return {
    append(stream: LogStream, chunk: string) {
      if (stopped || chunk === "") return;
      const ts = new Date().toISOString();
      for (const line of encodeLogLines(stream, chunk, ts, pieceMax)) {
        const bytes = Buffer.byteLength(line);
        hash.update(line);
        pending.push({ seq: seq++, byteOffset: nextOffset, stream, content: line, createdAt: ts });
        nextOffset += bytes;
        pendingBytes += bytes;
      }
      if (pendingBytes >= flushBytes) void flush();
      else timer ??= setTimeout(() => void flush(), flushMs);
    },
    /** Sends what is buffered; the log's size and hash (the hash only while nothing was dropped). */
    async close() {
      await flush();
      const dropped = dropBelow();
      return { bytes: nextOffset - dropped, sha256: dropped === 0 ? hash.digest("hex") : null, droppedBytes: dropped };
    },
  };
}
