/**
 * Keeps the last `maxBytes` (UTF-8) of a text stream.
 *
 * Invariants: `value()` is at most `maxBytes` bytes and never starts inside a multi-byte character; memory
 * stays below about twice `maxBytes` plus one chunk, however much text is pushed.
 */
export class TailBuffer {
  private chunks: string[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: string): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bytes += Buffer.byteLength(chunk, "utf8");
    if (this.bytes > this.maxBytes * 2) this.compact();
  }

  value(): string {
    this.compact();
    return this.chunks[0] ?? "";
  }

  private compact(): void {
    const tail = takeLastBytes(this.chunks.join(""), this.maxBytes);
    this.chunks = tail.length > 0 ? [tail] : [];
    this.bytes = Buffer.byteLength(tail, "utf8");
  }
}

/** The longest suffix of `text` that fits in `maxBytes` UTF-8 bytes, cut on a character boundary. */
export function takeLastBytes(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return "";
  // Each UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no encoding.
  if (text.length * 3 <= maxBytes) return text;
  const buf = Buffer.from(text, "utf8");
  if (buf.length <= maxBytes) return text;
  let start = buf.length - maxBytes;
  // Skip continuation bytes (10xxxxxx) so the suffix starts on a character boundary.
  while (start < buf.length && ((buf[start] ?? 0) & 0xc0) === 0x80) start++;
  return buf.subarray(start).toString("utf8");
}
