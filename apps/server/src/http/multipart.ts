import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type busboy from "busboy";
import { DomainError, validationError } from "../errors.js";
import { BodyTooLargeError } from "./error-funnel.js";

/**
 * busboy (CommonJS) is loaded by the first upload, not at server start (docs/performance.md,
 * W3/W4). Through `require`, not `import()`: the server bundle's chunks are compiled from V8's code
 * cache, where Node 20 cannot run a dynamic import (scripts/bundle-server.mjs refuses one).
 */
let busboyLib: typeof busboy | undefined;
const busboyParser = () => (busboyLib ??= createRequire(import.meta.url)("busboy") as typeof busboy);

/**
 * Reads a `multipart/form-data` upload of one file, streaming, with busboy as the parser.
 *
 * Invariants:
 * - At most `maxFileBytes` (+1) of file content is ever held: busboy stops passing file bytes past
 *   the limit and the upload is answered 413 at once, the request stream cancelled.
 * - The whole body (file, small text fields, part headers and boundaries) may not exceed
 *   `maxFileBytes + FRAMING_ALLOWANCE`, counted while it streams in; a declared Content-Length over
 *   that is refused before a byte is read.
 * - Exactly one file, in the field `fileField`; another file field or a second file is a 400.
 *   Only the text fields named in `fieldNames` are kept (each at most FIELD_MAX_BYTES).
 * - Malformed multipart input is a 400 naming the parser's complaint, never a 500.
 */
export const FRAMING_ALLOWANCE = 64 * 1024;
const FIELD_MAX_BYTES = 1024;

export interface UploadedFile {
  /** As sent (busboy drops any directory part); sanitise before storing. */
  filename: string | undefined;
  /** `type/subtype` from the part's Content-Type (busboy's default when absent: text/plain). */
  mimeType: string;
  data: Buffer;
  sha256: string;
}

export interface MultipartUpload {
  file: UploadedFile | undefined;
  fields: Record<string, string>;
}

export interface MultipartOptions {
  fileField: string;
  maxFileBytes: number;
  fieldNames?: readonly string[];
}

const malformed = (message: string) =>
  new DomainError("validation", `Malformed multipart/form-data body: ${message}`, undefined, "multipart_malformed");

export async function readMultipartUpload(request: Request, opts: MultipartOptions): Promise<MultipartUpload> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new DomainError(
      "validation",
      `Expected a multipart/form-data body with the file in the field "${opts.fileField}" (got ${contentType ? `"${contentType.split(";")[0]}"` : "no Content-Type"})`,
      undefined,
      "multipart_required",
    );
  }
  const tooLarge = new BodyTooLargeError(`Attachment exceeds the upload limit of ${opts.maxFileBytes} bytes`);
  const maxTotal = opts.maxFileBytes + FRAMING_ALLOWANCE;
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxTotal) throw tooLarge;

  const createParser = busboyParser();
  let parser: busboy.Busboy;
  try {
    parser = createParser({
      headers: { "content-type": contentType },
      defParamCharset: "utf8", // curl and browsers send unlabelled filenames as UTF-8
      // busboy signals `limit` on reaching fileSize, so one byte more tells "over" from "exactly at".
      limits: { fileSize: opts.maxFileBytes + 1, files: 1, fields: 10, fieldSize: FIELD_MAX_BYTES, parts: 12, headerPairs: 20 },
    });
  } catch (error) {
    throw malformed((error as Error).message);
  }

  let failure: unknown;
  const fail = (error: unknown) => {
    failure ??= error;
  };
  let file: UploadedFile | undefined;
  const chunks: Buffer[] = [];
  const hash = createHash("sha256");
  const fields: Record<string, string> = {};

  parser.on("file", (name, stream, info) => {
    stream.on("error", () => {}); // the parser's own error event carries the cause
    if (name !== opts.fileField) {
      fail(validationError(`Unexpected file field "${name}"; send the file in the field "${opts.fileField}"`));
      stream.resume();
      return;
    }
    file = { filename: info.filename, mimeType: info.mimeType, data: Buffer.alloc(0), sha256: "" };
    stream.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      hash.update(chunk);
    });
    stream.on("limit", () => fail(tooLarge));
  });
  parser.on("field", (name, value, info) => {
    if (info.valueTruncated) fail(validationError(`Form field "${name}" is longer than ${FIELD_MAX_BYTES} bytes`));
    else if (opts.fieldNames?.includes(name)) fields[name] = value;
  });
  parser.on("filesLimit", () => fail(validationError(`Only one file may be uploaded, in the field "${opts.fileField}"`)));
  parser.on("fieldsLimit", () => fail(validationError("Too many form fields")));
  parser.on("partsLimit", () => fail(validationError("Too many form parts")));
  const finished = new Promise<void>((resolve) => {
    parser.on("error", (error: Error) => {
      fail(malformed(error.message));
      resolve();
    });
    parser.on("close", () => resolve());
  });

  if (request.body) {
    const reader = request.body.getReader();
    let total = 0;
    try {
      while (failure === undefined && !parser.destroyed) {
        let step: Awaited<ReturnType<typeof reader.read>>;
        try {
          step = await reader.read();
        } catch {
          fail(malformed("the upload ended before the body was complete"));
          break;
        }
        if (step.done) break;
        total += step.value.byteLength;
        if (total > maxTotal) {
          fail(tooLarge);
          break;
        }
        if (!parser.write(step.value)) {
          // Backpressure: wait until the parser drained, or stopped (error/close).
          await new Promise<void>((resolve) => {
            const done = () => {
              parser.off("drain", done);
              parser.off("close", done);
              resolve();
            };
            parser.on("drain", done);
            parser.on("close", done);
            if (parser.destroyed) done();
          });
        }
      }
    } finally {
      // Past a failure nothing more is read: the adapter discards the rest and closes the connection.
      if (failure !== undefined) void reader.cancel().catch(() => {});
      reader.releaseLock();
    }
  }
  if (failure === undefined) parser.end();
  else parser.destroy();
  await finished;
  if (failure !== undefined) throw failure;
  if (file) {
    file.data = Buffer.concat(chunks);
    file.sha256 = hash.digest("hex");
  }
  return { file, fields };
}
