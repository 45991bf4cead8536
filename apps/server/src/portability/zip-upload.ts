import type { PackageFiles } from "@staple/contracts";
import { unzipSync } from "fflate";
import { DomainError } from "../errors.js";
import { BodyTooLargeError } from "../http/error-funnel.js";
import { readMultipartUpload } from "../http/multipart.js";
import { invalidPackage, PACKAGE_MAX_FILES } from "./files.js";

/**
 * A package uploaded as its zip, the two ways Paperclip's import routes take one: `multipart/form-data`
 * with the zip in the `package` field and the other import fields as JSON in `meta`, or a bare
 * `application/zip` body with `meta` in the query. Either becomes the JSON import body (`source` from
 * the zip; a `source` in `meta` is ignored), which the route's schema then validates as usual.
 *
 * Bounds: the compressed upload (ZIP_UPLOAD_MAX_BYTES, counted while it streams in), the unpacked
 * total (ZIP_UNPACKED_MAX_BYTES, checked against each entry's declared size before inflating and
 * against the real output after) and the number of files (PACKAGE_MAX_FILES).
 */
export const ZIP_UPLOAD_MAX_BYTES = 20 * 1024 * 1024;
export const ZIP_UNPACKED_MAX_BYTES = 50 * 1024 * 1024;
export const ZIP_CONTENT_TYPES = ["application/zip", "application/x-zip-compressed"] as const;

const utf8 = new TextDecoder("utf-8", { fatal: true });

function metaOf(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined || raw.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new DomainError("validation", "The import's `meta` field is not valid JSON", undefined, "invalid_meta");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new DomainError("validation", "The import's `meta` field must be a JSON object", undefined, "invalid_meta");
  }
  const { source: _ignored, ...rest } = parsed as Record<string, unknown>;
  return rest;
}

/** The request body as bytes, at most `limit` (a longer body is a 413 as soon as it passes the limit). */
async function readBytes(request: Request, limit: number): Promise<Uint8Array> {
  const tooLarge = new BodyTooLargeError(`The zip exceeds the upload limit of ${limit} bytes`);
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw tooLarge;
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** A zip's files as the package map: UTF-8 text without NULs as text, anything else base64. */
export function filesFromZip(bytes: Uint8Array): PackageFiles {
  if (bytes.byteLength === 0) throw invalidPackage("The uploaded zip is empty");
  let declared = 0;
  let count = 0;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (file) => {
        if (file.name.endsWith("/")) return false;
        if (++count > PACKAGE_MAX_FILES) throw invalidPackage(`The zip holds more than ${PACKAGE_MAX_FILES} files`);
        declared += file.originalSize;
        if (declared > ZIP_UNPACKED_MAX_BYTES) throw invalidPackage(`The zip unpacks to more than ${ZIP_UNPACKED_MAX_BYTES} bytes`);
        return true;
      },
    });
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw invalidPackage(`The upload is not a readable zip: ${(error as Error).message}`);
  }
  const files: PackageFiles = {};
  let total = 0;
  for (const [name, data] of Object.entries(entries)) {
    total += data.byteLength;
    if (total > ZIP_UNPACKED_MAX_BYTES) throw invalidPackage(`The zip unpacks to more than ${ZIP_UNPACKED_MAX_BYTES} bytes`);
    let text: string | undefined;
    if (!data.includes(0)) {
      try {
        text = utf8.decode(data);
      } catch {
        text = undefined;
      }
    }
    files[name] = text ?? { encoding: "base64", data: Buffer.from(data).toString("base64") };
  }
  if (Object.keys(files).length === 0) throw invalidPackage("The uploaded zip holds no files");
  return files;
}

/** Builds the JSON import body from a multipart upload (`package` + `meta`). */
export async function importBodyFromMultipart(request: Request): Promise<unknown> {
  const upload = await readMultipartUpload(request, { fileField: "package", maxFileBytes: ZIP_UPLOAD_MAX_BYTES, fieldNames: ["meta"] });
  if (!upload.file) {
    throw new DomainError("validation", 'The multipart import has no zip in the field "package"', undefined, "multipart_required");
  }
  return { ...metaOf(upload.fields.meta), source: { type: "inline", files: filesFromZip(upload.file.data) } };
}

/** Builds the JSON import body from a bare zip body, `meta` (JSON) from the query. */
export async function importBodyFromZip(request: Request): Promise<unknown> {
  const meta = metaOf(new URL(request.url).searchParams.get("meta") ?? undefined);
  return { ...meta, source: { type: "inline", files: filesFromZip(await readBytes(request, ZIP_UPLOAD_MAX_BYTES)) } };
}
