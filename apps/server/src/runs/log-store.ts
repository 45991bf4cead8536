import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Chunks longer than this keep their head (60 %) and tail (25 %) around a marker (spec C.4 step 7). */
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

export interface RunLogWriter {
  readonly logRef: string;
  append(stream: "stdout" | "stderr" | "system", chunk: string): void;
  /** Flushes and closes; returns the stored size and checksum. */
  close(): Promise<{ bytes: number; sha256: string }>;
}

/**
 * Run logs: one NDJSON file per run (`{ts, stream, chunk}` per line) under
 * STAPLE_HOME/run-logs/<company>/<agent>/<run>.ndjson. Callers pass already-redacted text.
 */
export function createLogStore(home: string) {
  const root = path.join(home, "run-logs");
  const resolve = (logRef: string) => {
    const full = path.resolve(root, logRef);
    if (!full.startsWith(root + path.sep)) throw new Error("log reference escapes the log directory");
    return full;
  };
  return {
    root,
    open(companyId: string, agentId: string, runId: string): RunLogWriter {
      const logRef = `${companyId}/${agentId}/${runId}.ndjson`;
      const file = resolve(logRef);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const out = fs.createWriteStream(file, { flags: "a" });
      const hash = createHash("sha256");
      let bytes = 0;
      out.on("error", () => {}); // a failed log write must never fail the run
      return {
        logRef,
        append(stream, chunk) {
          const line = JSON.stringify({ ts: new Date().toISOString(), stream, chunk }) + "\n";
          bytes += Buffer.byteLength(line);
          hash.update(line);
          out.write(line);
        },
        close() {
          return new Promise((done) => out.end(() => done({ bytes, sha256: hash.digest("hex") })));
        },
      };
    },
    /** Reads raw NDJSON from `offset`; `nextOffset` is set when more remains. Undefined when missing. */
    async read(logRef: string, offset: number, limitBytes: number): Promise<{ content: string; nextOffset: number | null } | undefined> {
      let handle: fs.promises.FileHandle;
      try {
        handle = await fs.promises.open(resolve(logRef), "r");
      } catch {
        return undefined;
      }
      try {
        const { size } = await handle.stat();
        const length = Math.max(0, Math.min(limitBytes, size - offset));
        const buffer = Buffer.alloc(length);
        if (length > 0) await handle.read(buffer, 0, length, offset);
        const end = offset + length;
        return { content: buffer.toString("utf8"), nextOffset: end < size ? end : null };
      } finally {
        await handle.close();
      }
    },
  };
}
export type LogStore = ReturnType<typeof createLogStore>;
