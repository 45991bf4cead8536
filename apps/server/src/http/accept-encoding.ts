/**
 * Whether a request's `Accept-Encoding` lists `br` with a non-zero quality (RFC 9110 §12.5.3).
 * A bare `*` is not taken as consent: only clients that name Brotli get it.
 */
export function acceptsBrotli(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.split(",")) {
    const [coding, ...params] = part.split(";").map((s) => s.trim());
    if (coding?.toLowerCase() !== "br") continue;
    const q = params.find((p) => p.toLowerCase().startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
