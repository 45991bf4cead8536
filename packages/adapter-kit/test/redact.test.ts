import { describe, expect, it } from "vitest";
import { createRedactor, redactDeep, REDACTED } from "../src/index.js";

describe("createRedactor", () => {
  const cases: Array<{ name: string; secrets: string[]; input: string; expected: string }> = [
    { name: "no secrets is identity", secrets: [], input: "token abcdef", expected: "token abcdef" },
    { name: "replaces every occurrence", secrets: ["abcdef"], input: "abcdef and abcdef", expected: `${REDACTED} and ${REDACTED}` },
    { name: "ignores secrets shorter than 6", secrets: ["abcde", "true"], input: "abcde true", expected: "abcde true" },
    { name: "exactly 6 chars counts", secrets: ["123456"], input: "pin=123456", expected: `pin=${REDACTED}` },
    {
      name: "longest first when one contains another",
      secrets: ["secret", "secret-token-xyz"],
      input: "x secret-token-xyz y secret",
      expected: `x ${REDACTED} y ${REDACTED}`,
    },
    { name: "overlapping prefixes prefer the longer", secrets: ["abcdef", "abcdefgh"], input: "abcdefgh", expected: REDACTED },
    { name: "regex metacharacters are literal", secrets: ["a.b*c+(d)"], input: "a.b*c+(d) axbbbcd", expected: `${REDACTED} axbbbcd` },
    { name: "dollar patterns are not expanded", secrets: ["$&$1xx"], input: "v=$&$1xx", expected: `v=${REDACTED}` },
    { name: "duplicates are harmless", secrets: ["dupdup", "dupdup"], input: "dupdup", expected: REDACTED },
    { name: "multi-line and unicode", secrets: ["pässwörd"], input: "line1\npässwörd\n", expected: `line1\n${REDACTED}\n` },
    { name: "replacement is not rescanned", secrets: ["REDACTED]"], input: "REDACTED]", expected: REDACTED },
    { name: "adjacent occurrences", secrets: ["xyzxyz"], input: "xyzxyzxyzxyz", expected: `${REDACTED}${REDACTED}` },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(createRedactor(c.secrets)(c.input)).toBe(c.expected);
    });
  }

  it("can be reused across many calls (global regex state does not leak)", () => {
    const redact = createRedactor(["secret-1"]);
    for (let i = 0; i < 5; i++) expect(redact(`a secret-1 b`)).toBe(`a ${REDACTED} b`);
  });
});

describe("redactDeep", () => {
  const redact = createRedactor(["hunter22"]);

  it("redacts strings in nested objects and arrays, keys included, without mutating", () => {
    const input = { a: "pw hunter22", list: ["hunter22", 1, null, true, { deep: "x hunter22" }], hunter22: "key" };
    const output = redactDeep(input, redact);
    expect(output).toEqual({ a: `pw ${REDACTED}`, list: [REDACTED, 1, null, true, { deep: `x ${REDACTED}` }], [REDACTED]: "key" });
    expect(input.a).toBe("pw hunter22");
  });

  it("handles plain strings and primitives", () => {
    expect(redactDeep("hunter22", redact)).toBe(REDACTED);
    expect(redactDeep(42, redact)).toBe(42);
    expect(redactDeep(null, redact)).toBeNull();
  });

  it("keeps non-plain objects as they are and survives cycles", () => {
    const date = new Date(0);
    const cyclic: Record<string, unknown> = { s: "hunter22", date };
    cyclic.self = cyclic;
    const output = redactDeep(cyclic, redact);
    expect(output.s).toBe(REDACTED);
    expect(output.date).toBe(date);
    expect(output.self).toBe(output);
  });
});
