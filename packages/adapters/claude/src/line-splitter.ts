import { MAX_LINE_CHARS, OVERSIZED_FRAGMENT_CHARS, appendTail } from "./text-limits.js";

export type SplitLine =
  | { kind: "line"; text: string }
  /** A line longer than the limit: only its first and last fragment were kept. */
  | { kind: "oversized"; head: string; tail: string; length: number };

/**
 * Splits a text stream into lines ("\n"-terminated, a trailing "\r" removed) with bounded memory.
 *
 * Invariants: at most `maxLineChars` of an unfinished line are buffered; once a line grows past that, only
 * its first and last `fragmentChars` are kept and it is reported as `oversized` when it ends. Memory is
 * therefore bounded by `maxLineChars` plus one chunk, however long the stream or any line is.
 */
export class NdjsonLineSplitter {
  private parts: string[] = [];
  private length = 0;
  private oversized: { head: string; tail: string } | null = null;

  constructor(
    private readonly maxLineChars: number = MAX_LINE_CHARS,
    private readonly fragmentChars: number = OVERSIZED_FRAGMENT_CHARS,
  ) {}

  push(chunk: string): SplitLine[] {
    const out: SplitLine[] = [];
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf("\n", start);
      if (newline === -1) {
        this.append(chunk.slice(start));
        return out;
      }
      this.append(chunk.slice(start, newline));
      out.push(this.finishLine());
      start = newline + 1;
    }
  }

  /** The unterminated last line, if any. */
  end(): SplitLine[] {
    return this.length > 0 ? [this.finishLine()] : [];
  }

  /** Characters currently held for the unfinished line (for tests of the memory bound). */
  get bufferedChars(): number {
    return this.oversized ? this.oversized.head.length + this.oversized.tail.length : this.parts.reduce((n, p) => n + p.length, 0);
  }

  private append(text: string): void {
    if (text.length === 0) return;
    this.length += text.length;
    if (this.oversized) {
      this.oversized.tail = appendTail(this.oversized.tail, text, this.fragmentChars);
      return;
    }
    this.parts.push(text);
    if (this.length > this.maxLineChars) {
      const joined = this.parts.join("");
      this.parts = [];
      this.oversized = { head: joined.slice(0, this.fragmentChars), tail: joined.slice(joined.length - this.fragmentChars) };
    }
  }

  private finishLine(): SplitLine {
    const length = this.length;
    const oversized = this.oversized;
    const text = oversized ? "" : this.parts.join("");
    this.parts = [];
    this.length = 0;
    this.oversized = null;
    if (oversized) return { kind: "oversized", head: oversized.head, tail: stripCr(oversized.tail), length };
    return { kind: "line", text: stripCr(text) };
  }
}

function stripCr(text: string): string {
  return text.endsWith("\r") ? text.slice(0, -1) : text;
}
