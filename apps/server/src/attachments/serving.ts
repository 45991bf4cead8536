/**
 * How stored attachments are typed and served. Uploaded bytes are untrusted: a browser must never
 * run them as a page of this origin.
 */

export const FALLBACK_CONTENT_TYPE = "application/octet-stream";
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** The media type essence (`type/subtype`, lower case, parameters dropped); anything else is octet-stream. */
export function normalizeContentType(raw: string | undefined): string {
  const essence = (raw ?? "").split(";", 1)[0]!.trim().toLowerCase();
  return MEDIA_TYPE.test(essence) ? essence : FALLBACK_CONTENT_TYPE;
}

/**
 * Raster image types a browser renders without running anything. SVG is not among them: it can
 * carry script, so it is always served as a download.
 */
const INLINE_TYPES: ReadonlySet<string> = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export function isInlineSafe(contentType: string): boolean {
  return INLINE_TYPES.has(contentType);
}

/**
 * `Content-Disposition` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 8187).
 * The fallback replaces anything outside printable ASCII, and the quote, backslash and percent
 * characters, so the quoted string never needs escaping.
 */
export function contentDisposition(kind: "inline" | "attachment", filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** Headers of every content response (the body's type and length are set by the caller). */
export function contentHeaders(contentType: string, filename: string | null, byteSize: number): Record<string, string> {
  return {
    "Content-Disposition": contentDisposition(isInlineSafe(contentType) ? "inline" : "attachment", filename ?? "attachment"),
    "Content-Length": String(byteSize),
    "X-Content-Type-Options": "nosniff",
    // Opened directly, the document runs in a unique origin with nothing allowed to load.
    "Content-Security-Policy": "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, max-age=60",
  };
}
