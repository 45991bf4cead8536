import { createHash } from "node:crypto";
import type { Database, Queryable } from "../db/database.js";
import type { ClosedRunLog, RunLogWriter } from "./log-store.js";

/** A writer flushes its buffered pieces after this long… */
export const LOG_FLUSH_MS = 200;
/** …or as soon as this many bytes are buffered (one INSERT of many rows either way). */
export const LOG_FLUSH_BYTES = 64 * 1024;
/** Largest stored piece; longer lines are split (a piece never exceeds half the run's cap either). */
export const LOG_PIECE_MAX_BYTES = 64 * 1024;

export type LogStream = "stdout" | "stderr" | "system";

/** One stored piece: an NDJSON line `{ts, stream, chunk}` and where it sits in the run's whole log. */
export interface LogPiece {
  /** The output text this piece holds (not stored: the NDJSON line in `content` holds it). */
  text?: string;
  seq: number;
  byteOffset: number;
  stream: LogStream;
  content: string;
  bytes: number;
  createdAt: string;
}

/** The reference stored as heartbeat_runs.log_ref for a log kept in the database. */
export const dbLogRef = (runId: string) => `db:${runId}`;
export const isDbLogRef = (ref: string | null | undefined) => typeof ref === "string" && ref.startsWith("db:");

/**
 * Inserts pieces of one run in one statement, deleting the run's pieces below `dropBelowOffset` in the
 * same statement (the cap). A piece already stored (same run and seq, e.g. resent by a remote writer)
 * is skipped.
 */
export async function insertLogPieces(
  q: Queryable,
  runId: string,
  companyId: string,
  pieces: readonly LogPiece[],
  dropBelowOffset = 0,
): Promise<void> {
  if (pieces.length === 0 && dropBelowOffset <= 0) return;
  await q.query(
    `WITH dropped AS (DELETE FROM heartbeat_run_log_chunks WHERE run_id = $1 AND byte_offset < $3)
     INSERT INTO heartbeat_run_log_chunks (run_id, company_id, seq, byte_offset, stream, content, bytes, created_at)
     SELECT $1, $2, u.seq, u.byte_offset, u.stream, u.content, u.bytes, u.created_at
       FROM unnest($4::int[], $5::bigint[], $6::text[], $7::text[], $8::int[], $9::timestamptz[])
            AS u(seq, byte_offset, stream, content, bytes, created_at)
      WHERE u.byte_offset >= $3
     ON CONFLICT DO NOTHING`,
    [
      runId,
      companyId,
      dropBelowOffset,
      pieces.map((p) => p.seq),
      pieces.map((p) => p.byteOffset),
      pieces.map((p) => p.stream),
      pieces.map((p) => p.content),
      pieces.map((p) => p.bytes),
      pieces.map((p) => p.createdAt),
    ],
  );
}

/** Encodes one output chunk as NDJSON lines of at most `pieceMax` bytes each (surrogate pairs kept whole). Pure. */
export function encodeLogLines(stream: LogStream, chunk: string, ts: string, pieceMax: number): string[] {
  const encode = (text: string) => `${JSON.stringify({ ts, stream, chunk: text })}\n`;
  const line = encode(chunk);
  const size = Buffer.byteLength(line);
  if (size <= pieceMax) return [line];
  // Escaping can grow text, so pieces are sized from the encoded ratio (with a margin).
  const piece = Math.max(2, Math.floor((chunk.length * pieceMax) / size / 2));
  const out: string[] = [];
  for (let i = 0; i < chunk.length; ) {
    let end = Math.min(chunk.length, i + piece);
    const code = chunk.charCodeAt(end - 1);
    if (end < chunk.length && code >= 0xd800 && code <= 0xdbff) end--;
    out.push(encode(chunk.slice(i, end)));
    i = end;
  }
  return out;
}

export interface DbLogWriterOptions {
  db: Database;
  runId: string;
  companyId: string;
  maxBytes: number;
  /** Called with the batch's output text after it is stored (live tail: readers find it stored). Errors are ignored. */
  onFlushed?: (text: string) => Promise<void>;
  onError?: (error: unknown) => void;
  flushMs?: number;
  flushBytes?: number;
}

/**
 * A run's log written to the database in batches: pieces are buffered in memory and stored every
 * `flushMs` or `flushBytes`, one INSERT per batch, batches strictly in order.
 *
 * Cap (invariant): the stored log keeps the newest output and never holds more than `maxBytes`
 * after a batch is stored: the oldest pieces are deleted in the statement that stores the batch.
 * `droppedBytes` is the offset of the first kept byte. A batch that cannot be stored (database down)
 * is reported through `onError` and lost: the log is best effort and never fails the run.
 */
export function openDbLogWriter(opts: DbLogWriterOptions): RunLogWriter & { readonly pendingBytes: number } {
  const flushMs = opts.flushMs ?? LOG_FLUSH_MS;
  const flushBytes = opts.flushBytes ?? LOG_FLUSH_BYTES;
  const pieceMax = Math.max(256, Math.min(LOG_PIECE_MAX_BYTES, Math.floor(opts.maxBytes / 2)));
  let seq = 0;
  let nextOffset = 0;
  let pending: LogPiece[] = [];
  let pendingBytes = 0;
  /** Stored pieces still kept (offset, size), oldest first, from index `head`. */
  const kept: Array<{ offset: number; bytes: number }> = [];
  let head = 0;
  let keptBytes = 0;
  let firstKeptOffset = 0;
  const hash = createHash("sha256"); // of everything appended: the log's hash while nothing was dropped
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const storeBatch = async (batch: LogPiece[]) => {
    let total = keptBytes + batch.reduce((n, p) => n + p.bytes, 0);
    let dropBelow = firstKeptOffset;
    while (total > opts.maxBytes && head < kept.length) {
      const k = kept[head++]!;
      total -= k.bytes;
      keptBytes -= k.bytes;
      dropBelow = k.offset + k.bytes;
    }
    let start = 0;
    while (total > opts.maxBytes && start < batch.length - 1) {
      total -= batch[start]!.bytes;
      dropBelow = batch[start]!.byteOffset + batch[start]!.bytes;
      start++;
    }
    const stored = start > 0 ? batch.slice(start) : batch;
    if (head > 1024 && head * 2 > kept.length) {
      kept.splice(0, head);
      head = 0;
    }
    firstKeptOffset = dropBelow;
    try {
      await insertLogPieces(opts.db, opts.runId, opts.companyId, stored, dropBelow);
      for (const p of stored) {
        kept.push({ offset: p.byteOffset, bytes: p.bytes });
        keptBytes += p.bytes;
      }
      await opts.onFlushed?.(batch.map((p) => p.text ?? "").join("")).catch(() => {});
    } catch (error) {
      opts.onError?.(error);
    }
  };

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return chain;
    const batch = pending;
    pending = [];
    pendingBytes = 0;
    chain = chain.then(() => storeBatch(batch));
    return chain;
  };

  return {
    logRef: dbLogRef(opts.runId),
    get pendingBytes() {
      return pendingBytes;
    },
    append(stream, chunk) {
      if (closed) return;
      const ts = new Date().toISOString();
      const lines = encodeLogLines(stream, chunk, ts, pieceMax);
      lines.forEach((line, i) => {
        const bytes = Buffer.byteLength(line);
        hash.update(line);
        const text = i === 0 ? chunk : "";
        pending.push({ text, seq: seq++, byteOffset: nextOffset, stream, content: line, bytes, createdAt: ts });
        nextOffset += bytes;
        pendingBytes += bytes;
      });
      if (pendingBytes >= flushBytes) void flush();
      else timer ??= setTimeout(() => void flush(), flushMs);
    },
    async close(): Promise<ClosedRunLog> {
      closed = true;
      await flush();
      if (firstKeptOffset === 0) return { bytes: keptBytes, sha256: hash.digest("hex"), droppedBytes: 0 };
      // Older output was dropped: hash what is kept (at most maxBytes, read once).
      const rows = await opts.db
        .query<{ content: string }>("SELECT content FROM heartbeat_run_log_chunks WHERE run_id = $1 ORDER BY byte_offset", [opts.runId])
        .catch(() => [] as { content: string }[]);
      const keptHash = createHash("sha256");
      let bytes = 0;
      for (const r of rows) {
        keptHash.update(r.content);
        bytes += Buffer.byteLength(r.content);
      }
      return { bytes, sha256: keptHash.digest("hex"), droppedBytes: firstKeptOffset };
    },
  };
}

export interface DbLogSlice {
  content: string;
  /** Offset (in the whole log) of the first byte of `content`: later than asked when older output was dropped. */
  offset: number;
  nextOffset: number | null;
  /** Bytes of older output no longer stored (0: the log is whole). */
  droppedBytes: number;
}

/**
 * Reads a run's stored log from `offset` (an offset in the whole log), at most `limitBytes`.
 * Undefined when the run has no stored piece.
 */
export async function readDbLog(q: Queryable, runId: string, offset: number, limitBytes: number): Promise<DbLogSlice | undefined> {
  const [bounds] = await q.query<{ first: string | null; end: string | null }>(
    `SELECT (SELECT byte_offset FROM heartbeat_run_log_chunks WHERE run_id = $1 ORDER BY byte_offset LIMIT 1) AS first,
            (SELECT byte_offset + bytes FROM heartbeat_run_log_chunks WHERE run_id = $1 ORDER BY byte_offset DESC LIMIT 1) AS end`,
    [runId],
  );
  if (!bounds || bounds.first === null || bounds.end === null) return undefined;
  const first = Number(bounds.first);
  const end = Number(bounds.end);
  const start = Math.max(offset, first);
  if (start >= end) return { content: "", offset: start, nextOffset: null, droppedBytes: first };
  const stop = Math.min(end, start + limitBytes);
  const rows = await q.query<{ byteOffset: string; content: string }>(
    `SELECT byte_offset, content FROM heartbeat_run_log_chunks
      WHERE run_id = $1 AND byte_offset < $3 AND byte_offset + bytes > $2 ORDER BY byte_offset`,
    [runId, start, stop],
  );
  const parts: Buffer[] = [];
  let at = start;
  for (const row of rows) {
    const rowOffset = Number(row.byteOffset);
    const buf = Buffer.from(row.content, "utf8");
    // A piece lost to a failed write leaves a gap: the slice continues after it.
    const from = Math.max(0, at - rowOffset);
    const to = Math.min(buf.length, stop - rowOffset);
    if (to <= from) continue;
    parts.push(buf.subarray(from, to));
    at = rowOffset + to;
  }
  return { content: Buffer.concat(parts).toString("utf8"), offset: start, nextOffset: at < end ? at : null, droppedBytes: first };
}

/** Deletes stored log pieces older than the retention, set-based in bounded batches. Returns how many. */
export async function pruneDbLogs(db: Queryable, retentionDays: number, now: Date, opts: { batch?: number; maxBatches?: number } = {}) {
  const batch = opts.batch ?? 5000;
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
  let deleted = 0;
  for (let i = 0; i < (opts.maxBatches ?? 20); i++) {
    const [row] = await db.query<{ n: number }>(
      `WITH doomed AS (SELECT run_id, byte_offset FROM heartbeat_run_log_chunks WHERE created_at < $1 LIMIT ${batch}),
            gone AS (DELETE FROM heartbeat_run_log_chunks c USING doomed d
                      WHERE c.run_id = d.run_id AND c.byte_offset = d.byte_offset RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [cutoff],
    );
    deleted += row?.n ?? 0;
    if ((row?.n ?? 0) < batch) break;
  }
  return deleted;
}
