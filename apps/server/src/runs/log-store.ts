import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import type { Database } from "../db/database.js";
import { LIVE_LOG_CHUNK_MAX, type LiveBus } from "../live/bus.js";
import type { Logger } from "../logger.js";
import { dbLogRef, isDbLogRef, openDbLogWriter, pruneDbLogs, readDbLog } from "./log-db.js";

/** Chunks longer than this keep their head (60 %) and tail (25 %) around a marker. */
export const MAX_CHUNK_CHARS = 64 * 1024;
/** stdout/stderr excerpts stored on the run row. */
export const EXCERPT_MAX_BYTES = 32 * 1024;
export const LOG_READ_DEFAULT_BYTES = 256_000;
export const LOG_READ_MAX_BYTES = 1024 * 1024;

// The base64 body and its padding only: whitespace is not part of it, so text after the image survives.
const INLINE_IMAGE_RE = /data:image\/[a-zA-Z+.-]+;base64,[A-Za-z0-9+/]{200,}={0,2}/g;

/** Shrinks one output chunk for storage: inline base64 images dropped, oversized chunks compacted. Pure. */
export function compactChunk(chunk: string): string {
  let text = chunk.replace(INLINE_IMAGE_RE, "[inline image omitted]");
  if (text.length > MAX_CHUNK_CHARS) {
    const head = text.slice(0, Math.floor(MAX_CHUNK_CHARS * 0.6));
    const tail = text.slice(text.length - Math.floor(MAX_CHUNK_CHARS * 0.25));
    text = `${head}\n…[${text.length - head.length - tail.length} characters omitted]…\n${tail}`;
  }
  return text;
}

/** Default per-run log cap (STAPLE_RUN_LOG_MAX_BYTES): a run printing without end cannot fill the disk. */
export const DEFAULT_RUN_LOG_MAX_BYTES = 50 * 1024 * 1024;
/** Smallest cap accepted: room for a few full-size chunks, so the kept tail is useful. */
export const MIN_RUN_LOG_MAX_BYTES = 4 * 1024;

export interface ClosedRunLog {
  bytes: number;
  sha256: string;
  /** Bytes of older output dropped to keep the log under its cap (0 when nothing was dropped). */
  droppedBytes: number;
}

export interface RunLogWriter {
  readonly logRef: string;
  append(stream: "stdout" | "stderr" | "system", chunk: string): void;
  /** Flushes and closes; returns the stored size and checksum. */
  close(): Promise<ClosedRunLog>;
}

/** The first line of a log whose older part was dropped. Readers detect truncation by it. */
const TRUNCATION_MARKER_RE = /^\{"ts":"[^"]*","stream":"system","chunk":"\[log truncated: (\d+) bytes of older output dropped/;

/**
 * Legacy run logs: one NDJSON file per run (`{ts, stream, chunk}` per line) under
 * STAPLE_HOME/run-logs/<company>/<agent>/<run>.ndjson. Callers pass already-redacted text.
 *
 * Size cap (invariants): a closed run log is at most `maxBytes` plus one marker line and keeps the newest
 * output; while the run writes, disk use stays under 1.5 × `maxBytes` plus one line.
 * - Until the log reaches the cap it is one file, as without a cap.
 * - Then the file becomes `<run>.ndjson.prev` and a new live file starts; each time the live file would
 *   pass half the cap, the old .prev is deleted (its bytes are dropped) and the live file becomes .prev.
 *   Lines longer than half the cap are split.
 * - On close a truncated log is rewritten as marker line + the newest whole lines of .prev that fit + live.
 *   Until then a reader sees only the live file and `droppedBytes` is already reported.
 */
export function createLogStore(home: string, options: { maxBytes?: number } = {}) {
  const root = path.join(home, "run-logs");
  const maxBytes = Math.max(MIN_RUN_LOG_MAX_BYTES, options.maxBytes ?? DEFAULT_RUN_LOG_MAX_BYTES);
  const segmentBytes = Math.floor(maxBytes / 2);
  const resolve = (logRef: string) => {
    const full = path.resolve(root, logRef);
    if (!full.startsWith(root + path.sep)) throw new Error("log reference escapes the log directory");
    return full;
  };
  return {
    root,
    maxBytes,
    open(companyId: string, agentId: string, runId: string): RunLogWriter {
      const logRef = `${companyId}/${agentId}/${runId}.ndjson`;
      const file = resolve(logRef);
      const prevFile = `${file}.prev`;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      // Opened synchronously: the file exists at once, and a rotation right after (several in one append)
      // renames the file this stream writes to, never a file some other stream opens later.
      const openFile = (): Writable => {
        let stream: Writable;
        try {
          stream = fs.createWriteStream(file, { fd: fs.openSync(file, "a") });
        } catch {
          stream = new Writable({ write: (_chunk, _encoding, done) => done() }); // a failed log must never fail the run
        }
        stream.on("error", () => {});
        return stream;
      };
      let out = openFile();
      /** Ends of rotated-out files, awaited before the log is assembled. */
      const flushing: Array<Promise<void>> = [];
      const hash = createHash("sha256"); // of the whole log, while it was never rotated
      let rotated = false;
      let liveBytes = 0;
      let prevBytes = 0;
      let droppedBytes = 0;

      const rotate = () => {
        const ended = out;
        flushing.push(new Promise((done) => ended.end(() => done())));
        // POSIX rename keeps the open descriptor writing to the renamed file, so pending writes land in .prev.
        try {
          if (rotated) fs.rmSync(prevFile, { force: true });
          fs.renameSync(file, prevFile);
        } catch {
          /* the log is best effort; the run goes on */
        }
        if (rotated) droppedBytes += prevBytes;
        rotated = true;
        prevBytes = liveBytes;
        liveBytes = 0;
        out = openFile();
      };
      const writeLine = (line: string, size: number) => {
        const limit = rotated ? segmentBytes : maxBytes;
        if (liveBytes > 0 && liveBytes + size > limit) rotate();
        liveBytes += size;
        if (!rotated) hash.update(line);
        out.write(line);
      };
      const encode = (stream: string, chunk: string, ts: string) => `${JSON.stringify({ ts, stream, chunk })}\n`;

      return {
        logRef,
        append(stream, chunk) {
          const ts = new Date().toISOString();
          const line = encode(stream, chunk, ts);
          const size = Buffer.byteLength(line);
          if (size <= segmentBytes) return writeLine(line, size);
          // Split so every line fits half the cap; escaping can grow text, so pieces are sized from the encoded ratio.
          const piece = Math.max(2, Math.floor((chunk.length * segmentBytes) / size / 2));
          for (let i = 0; i < chunk.length; ) {
            let end = Math.min(chunk.length, i + piece);
            const code = chunk.charCodeAt(end - 1);
            if (end < chunk.length && code >= 0xd800 && code <= 0xdbff) end--; // keep surrogate pairs together
            const part = encode(stream, chunk.slice(i, end), ts);
            writeLine(part, Buffer.byteLength(part));
            i = end;
          }
        },
        async close() {
          await new Promise<void>((done) => out.end(() => done()));
          await Promise.all(flushing);
          if (!rotated) return { bytes: liveBytes, sha256: hash.digest("hex"), droppedBytes: 0 };
          return assembleTruncated(file, prevFile, { keepFromPrev: maxBytes - liveBytes, droppedBytes });
        },
      };
    },
    /**
     * Reads raw NDJSON from `offset`; `nextOffset` is set when more remains. Undefined when missing.
     * `truncated` when older output was dropped to keep the log under the cap; `droppedBytes` says how much
     * once the run has closed its log (null while it still writes: then the oldest kept part is not readable yet).
     */
    async read(
      logRef: string,
      offset: number,
      limitBytes: number,
    ): Promise<{ content: string; nextOffset: number | null; truncated: boolean; droppedBytes: number | null } | undefined> {
      const file = resolve(logRef);
      let handle: fs.promises.FileHandle;
      try {
        handle = await fs.promises.open(file, "r");
      } catch {
        return undefined;
      }
      try {
        const { size } = await handle.stat();
        const length = Math.max(0, Math.min(limitBytes, size - offset));
        const buffer = Buffer.alloc(length);
        if (length > 0) await handle.read(buffer, 0, length, offset);
        const end = offset + length;
        const head = Buffer.alloc(Math.min(size, 160));
        if (head.length > 0) await handle.read(head, 0, head.length, 0);
        const marker = TRUNCATION_MARKER_RE.exec(head.toString("utf8"));
        const droppedBytes = marker ? Number(marker[1]) : null;
        const truncated = marker !== null || fs.existsSync(`${file}.prev`);
        return { content: buffer.toString("utf8"), nextOffset: end < size ? end : null, truncated, droppedBytes };
      } finally {
        await handle.close();
      }
    },
  };
}
export type FileLogStore = ReturnType<typeof createLogStore>;

/** How often one server runs the retention delete (every server may; the delete is idempotent). */
export const LOG_PRUNE_INTERVAL_MS = 60 * 60 * 1000;

export interface RunLogRead {
  store: "database" | "local_file";
  logRef: string;
  content: string;
  /** Offset of the first byte of `content` (later than asked when older output was dropped). */
  offset: number;
  nextOffset: number | null;
  truncated: boolean;
  /** Bytes dropped to keep the log under the cap; null when not known yet (a file log still written). */
  droppedBytes: number | null;
}

/**
 * Run logs (docs/runs.md#run-logs-and-events): written to the database in batches (log-db.ts), so any
 * server on the database reads them and the board tails them live; logs written as files before the
 * database store existed keep reading from STAPLE_HOME/run-logs. Retention (`retentionDays`) deletes
 * stored pieces older than that many days; unset keeps them.
 */
export function createRunLogStore(opts: {
  db: Database;
  home: string;
  maxBytes?: number;
  retentionDays?: number;
  live?: LiveBus;
  logger?: Logger;
}) {
  const files = createLogStore(opts.home, { maxBytes: opts.maxBytes });
  const { db } = opts;
  let lastPrune = 0;
  return {
    maxBytes: files.maxBytes,
    retentionDays: opts.retentionDays,
    files,
    open(companyId: string, agentId: string, runId: string): RunLogWriter {
      let reported = false;
      return openDbLogWriter({
        db,
        runId,
        companyId,
        maxBytes: files.maxBytes,
        // One live event per stored batch, sent once it is stored: a board on any server that re-reads
        // the log from its offset on this event finds the new output.
        onFlushed: opts.live
          ? (text) => opts.live!.publish(db, "heartbeat.run.log", companyId, { runId, agentId, chunk: text.slice(-LIVE_LOG_CHUNK_MAX) })
          : undefined,
        onError: (error) => {
          if (reported) return;
          reported = true;
          opts.logger?.warn("run log batch not stored", { runId, err: error });
        },
      });
    },
    /** Reads a run's log: the database first, then a legacy file. Undefined when neither has it. */
    async read(
      run: { id: string; companyId: string; agentId: string; status: string; logRef: string | null },
      offset: number,
      limitBytes: number,
    ): Promise<RunLogRead | undefined> {
      const stored = await readDbLog(db, run.id, offset, limitBytes);
      if (stored) {
        const { droppedBytes, ...slice } = stored;
        return { store: "database", logRef: dbLogRef(run.id), ...slice, truncated: droppedBytes > 0, droppedBytes };
      }
      if (!isDbLogRef(run.logRef)) {
        const logRef = run.logRef ?? `${run.companyId}/${run.agentId}/${run.id}.ndjson`;
        const file = await files.read(logRef, offset, limitBytes);
        if (file) return { store: "local_file", logRef, offset, ...file };
      }
      // A running run that has printed nothing yet has an empty log.
      if (run.status === "running") {
        return { store: "database", logRef: dbLogRef(run.id), content: "", offset, nextOffset: null, truncated: false, droppedBytes: 0 };
      }
      return undefined;
    },
    /** The retention delete, at most once per LOG_PRUNE_INTERVAL_MS unless forced. Returns pieces deleted. */
    async prune(now = new Date(), force = false): Promise<number> {
      if (!opts.retentionDays) return 0;
      if (!force && now.getTime() - lastPrune < LOG_PRUNE_INTERVAL_MS) return 0;
      lastPrune = now.getTime();
      return pruneDbLogs(db, opts.retentionDays, now);
    },
  };
}
export type LogStore = ReturnType<typeof createRunLogStore>;

/**
 * Rewrites a truncated log as marker line + the newest whole lines of .prev that fit in `keepFromPrev`
 * bytes + the live file, hashing what it writes. On failure the pieces stay as they are.
 */
async function assembleTruncated(
  file: string,
  prevFile: string,
  plan: { keepFromPrev: number; droppedBytes: number },
): Promise<ClosedRunLog> {
  const tmp = `${file}.tmp`;
  const hash = createHash("sha256");
  let bytes = 0;
  let droppedBytes = plan.droppedBytes;
  const out = fs.createWriteStream(tmp);
  const write = (data: Buffer) =>
    new Promise<void>((done, fail) => {
      hash.update(data);
      bytes += data.length;
      out.write(data, (error) => (error ? fail(error) : done()));
    });
  try {
    const prevSize = fs.existsSync(prevFile) ? fs.statSync(prevFile).size : 0;
    // Keep from the first line start at or after prevSize - keepFromPrev (whole lines only).
    let start = Math.max(0, prevSize - Math.max(0, plan.keepFromPrev));
    if (start > 0) {
      let at = start - 1;
      let found = false;
      for await (const data of fs.createReadStream(prevFile, { start: at })) {
        const newline = (data as Buffer).indexOf(0x0a);
        if (newline !== -1) {
          at += newline + 1;
          found = true;
          break;
        }
        at += (data as Buffer).length;
      }
      start = found ? at : prevSize;
    }
    droppedBytes += start;
    const marker = {
      ts: new Date().toISOString(),
      stream: "system",
      chunk: `[log truncated: ${droppedBytes} bytes of older output dropped; the newest output follows]\n`,
    };
    await write(Buffer.from(`${JSON.stringify(marker)}\n`));
    if (start < prevSize) for await (const data of fs.createReadStream(prevFile, { start })) await write(data as Buffer);
    if (fs.existsSync(file)) for await (const data of fs.createReadStream(file)) await write(data as Buffer);
    await new Promise<void>((done) => out.end(() => done()));
    fs.renameSync(tmp, file);
    fs.rmSync(prevFile, { force: true });
  } catch {
    out.destroy();
    fs.rmSync(tmp, { force: true });
  }
  return { bytes, sha256: hash.digest("hex"), droppedBytes };
}
