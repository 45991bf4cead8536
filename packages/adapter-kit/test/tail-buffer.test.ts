import { describe, expect, it } from "vitest";
import { TailBuffer, takeLastBytes } from "../src/index.js";

describe("takeLastBytes", () => {
  it("returns short text unchanged", () => {
    expect(takeLastBytes("abc", 10)).toBe("abc");
  });
  it("keeps the last bytes", () => {
    expect(takeLastBytes("abcdef", 3)).toBe("def");
  });
  it("never starts inside a multi-byte character", () => {
    // "é" is 2 bytes, "✓" 3 bytes.
    expect(takeLastBytes("xé✓", 4)).toBe("✓");
    expect(takeLastBytes("xé✓", 5)).toBe("é✓");
    expect(Buffer.byteLength(takeLastBytes("✓".repeat(100), 10))).toBeLessThanOrEqual(10);
  });
  it("returns empty for a zero budget", () => {
    expect(takeLastBytes("abc", 0)).toBe("");
  });
});

describe("TailBuffer", () => {
  it("keeps the last maxBytes across many pushes", () => {
    const buffer = new TailBuffer(10);
    for (let i = 0; i < 1000; i++) buffer.push(`${i % 10}`);
    expect(buffer.value()).toBe("0123456789");
  });
  it("keeps everything while under the cap", () => {
    const buffer = new TailBuffer(100);
    buffer.push("a");
    buffer.push("");
    buffer.push("b");
    expect(buffer.value()).toBe("ab");
  });
});
