import { describe, expect, it } from "vitest";
import type { AdapterResult } from "@staple/adapter-kit";
import { billedCents, mapRunOutcome, normalizeBillingType, wakeStatusFor } from "../src/runs/outcome.js";
import { boundPayload } from "../src/runs/run-events.js";
import { compactChunk, MAX_CHUNK_CHARS } from "../src/runs/log-store.js";

/** A run's outcome and what is stored of it: outcome mapping, billing, bounded event payloads, log chunks. */
describe("mapRunOutcome", () => {
  const ok: AdapterResult = { exitCode: 0, signal: null, timedOut: false };
  const cases: [string, AdapterResult | null, unknown, boolean, ReturnType<typeof mapRunOutcome>][] = [
    ["exit 0", ok, undefined, false, { status: "succeeded", error: null, errorCode: null, stopReason: "completed" }],
    [
      "aborted wins over success",
      ok,
      undefined,
      true,
      { status: "cancelled", error: "Cancelled by control plane", errorCode: "cancelled", stopReason: "cancelled" },
    ],
    [
      "aborted wins over a throw",
      null,
      new Error("x"),
      true,
      { status: "cancelled", error: "Cancelled by control plane", errorCode: "cancelled", stopReason: "cancelled" },
    ],
    [
      "thrown Error",
      null,
      new Error("boom"),
      false,
      { status: "failed", error: "boom", errorCode: "adapter_failed", stopReason: "adapter_failed" },
    ],
    [
      "thrown non-Error",
      null,
      "bad thing",
      false,
      { status: "failed", error: "bad thing", errorCode: "adapter_failed", stopReason: "adapter_failed" },
    ],
    [
      "thrown beside a result",
      ok,
      new Error("late"),
      false,
      { status: "failed", error: "late", errorCode: "adapter_failed", stopReason: "adapter_failed" },
    ],
    [
      "no result",
      null,
      undefined,
      false,
      { status: "failed", error: "Adapter returned no result", errorCode: "adapter_failed", stopReason: "adapter_failed" },
    ],
    [
      "timed out",
      { exitCode: null, signal: "SIGTERM", timedOut: true },
      undefined,
      false,
      { status: "timed_out", error: "Timed out", errorCode: "timeout", stopReason: "timeout" },
    ],
    [
      "timed out with adapter message and code",
      { exitCode: null, signal: null, timedOut: true, errorMessage: "took too long", errorCode: "adapter_timeout" },
      undefined,
      false,
      { status: "timed_out", error: "took too long", errorCode: "adapter_timeout", stopReason: "timeout" },
    ],
    [
      "timeout wins over exit 0",
      { exitCode: 0, signal: null, timedOut: true },
      undefined,
      false,
      { status: "timed_out", error: "Timed out", errorCode: "timeout", stopReason: "timeout" },
    ],
    [
      "non-zero exit",
      { exitCode: 2, signal: null, timedOut: false },
      undefined,
      false,
      { status: "failed", error: "Process exited with code 2", errorCode: "adapter_failed", stopReason: "adapter_failed" },
    ],
    [
      "killed by a signal",
      { exitCode: null, signal: "SIGKILL", timedOut: false },
      undefined,
      false,
      { status: "failed", error: "Adapter failed", errorCode: "adapter_failed", stopReason: "adapter_failed" },
    ],
    [
      "exit 0 with an error message",
      { exitCode: 0, signal: null, timedOut: false, errorMessage: "auth required", errorCode: "claude_auth_required" },
      undefined,
      false,
      { status: "failed", error: "auth required", errorCode: "claude_auth_required", stopReason: "adapter_failed" },
    ],
    [
      "adapter error code kept",
      { exitCode: 1, signal: null, timedOut: false, errorCode: "max_turns_exhausted" },
      undefined,
      false,
      { status: "failed", error: "Process exited with code 1", errorCode: "max_turns_exhausted", stopReason: "adapter_failed" },
    ],
  ];
  it.each(cases)("%s", (_name, result, thrown, aborted, expected) => {
    expect(mapRunOutcome(result, thrown, aborted)).toEqual(expected);
  });
});

describe("billing helpers", () => {
  it.each([
    [1.234, "metered_api", 123],
    [0.25, "unknown", 25],
    [1.999, "credits", 200],
    [2, "subscription_included", 0],
    [0, "metered_api", 0],
    [-1, "metered_api", 0],
    [null, "metered_api", 0],
    [undefined, "metered_api", 0],
    [Number.NaN, "metered_api", 0],
    [Number.POSITIVE_INFINITY, "metered_api", 0],
  ] as const)("billedCents(%s, %s) = %s", (cost, type, cents) => {
    expect(billedCents(cost, type)).toBe(cents);
  });

  it.each([
    ["api", "metered_api"],
    ["subscription", "subscription_included"],
    ["metered_api", "metered_api"],
    ["subscription_included", "subscription_included"],
    ["subscription_overage", "subscription_overage"],
    ["credits", "credits"],
    ["fixed", "fixed"],
    ["unknown", "unknown"],
    ["API", "unknown"],
    ["prepaid", "unknown"],
    ["", "unknown"],
    [null, "unknown"],
    [undefined, "unknown"],
  ] as const)("normalizeBillingType(%j) = %s", (input, expected) => {
    expect(normalizeBillingType(input)).toBe(expected);
  });

  it.each([
    ["succeeded", "completed"],
    ["failed", "failed"],
    ["cancelled", "cancelled"],
    ["timed_out", "timed_out"],
  ] as const)("wakeStatusFor(%s) = %s", (status, expected) => {
    expect(wakeStatusFor(status)).toBe(expected);
  });
});

describe("boundPayload", () => {
  it("keeps small values as they are", () => {
    const value = { a: 1, b: "text", c: [true, null, 2.5], d: { e: "f" } };
    expect(boundPayload(value)).toEqual(value);
    expect(boundPayload(null)).toBeNull();
    expect(boundPayload(undefined)).toBeNull();
    expect(boundPayload(7)).toBe(7);
    expect(boundPayload(false)).toBe(false);
  });

  it("truncates strings beyond 16 000 characters", () => {
    expect(boundPayload("x".repeat(16_000))).toBe("x".repeat(16_000));
    expect(boundPayload("x".repeat(16_001))).toBe(`${"x".repeat(16_000)}…[truncated]`);
    expect(boundPayload({ nested: ["y".repeat(20_000)] })).toEqual({ nested: [`${"y".repeat(16_000)}…[truncated]`] });
  });

  it("keeps 50 array items and says how many were dropped", () => {
    const fifty = Array.from({ length: 50 }, (_, i) => i);
    expect(boundPayload(fifty)).toEqual(fifty);
    const bounded = boundPayload(Array.from({ length: 60 }, (_, i) => i)) as unknown[];
    expect(bounded).toHaveLength(51);
    expect(bounded.slice(0, 50)).toEqual(fifty);
    expect(bounded[50]).toBe("…[10 more]");
  });

  it("keeps 100 keys and says how many were dropped", () => {
    const hundred = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    expect(boundPayload(hundred)).toEqual(hundred);
    const bounded = boundPayload(Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`k${i}`, i]))) as Record<string, unknown>;
    expect(Object.keys(bounded)).toHaveLength(101);
    expect(bounded.k99).toBe(99);
    expect(bounded).not.toHaveProperty("k100");
    expect(bounded["…"]).toBe("20 more keys");
  });

  it("cuts containers nested deeper than 6 levels", () => {
    let deep: Record<string, unknown> = { leaf: "bottom" };
    for (let i = 0; i < 9; i++) deep = { a: deep };
    const bounded = boundPayload(deep) as any;
    expect(bounded.a.a.a.a.a.a).toBe("[depth limit]");
    expect(boundPayload({ a: { a: { a: { a: { a: { a: "scalar at depth 6" } } } } } })).toEqual({
      a: { a: { a: { a: { a: { a: "scalar at depth 6" } } } } },
    });
    expect((boundPayload([[[[[[["x"]]]]]]]) as any)[0][0][0][0][0][0]).toBe("[depth limit]");
  });

  it("does not modify its input", () => {
    const input = { list: Array.from({ length: 60 }, (_, i) => i), text: "z".repeat(17_000) };
    boundPayload(input);
    expect(input.list).toHaveLength(60);
    expect(input.text).toHaveLength(17_000);
  });
});

describe("compactChunk", () => {
  it("leaves ordinary output alone", () => {
    expect(compactChunk("hello\nworld\n")).toBe("hello\nworld\n");
    expect(compactChunk("")).toBe("");
    const exact = "a".repeat(MAX_CHUNK_CHARS);
    expect(compactChunk(exact)).toBe(exact);
  });

  it("drops inline base64 images of 200+ characters, keeps short data URIs", () => {
    const image = `data:image/png;base64,${"A".repeat(300)}==`;
    expect(compactChunk(`before ${image} after`)).toBe("before [inline image omitted] after");
    const small = `data:image/png;base64,${"A".repeat(50)}`;
    expect(compactChunk(`x ${small} y`)).toBe(`x ${small} y`);
    const two = `${image} and data:image/svg+xml;base64,${"B".repeat(250)}`;
    expect(compactChunk(two)).toBe("[inline image omitted] and [inline image omitted]");
    // Output after the image (same line or the next ones) is kept.
    expect(compactChunk(`${image}\nBuild succeeded\nAll tests passed\n`)).toBe(
      "[inline image omitted]\nBuild succeeded\nAll tests passed\n",
    );
    expect(compactChunk(`![shot](${image}) done`)).toBe("![shot]([inline image omitted]) done");
  });

  it("keeps 60 % head and 25 % tail of an oversized chunk around a marker", () => {
    const text = Array.from({ length: 100_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
    const out = compactChunk(text);
    const head = Math.floor(MAX_CHUNK_CHARS * 0.6);
    const tail = Math.floor(MAX_CHUNK_CHARS * 0.25);
    const omitted = text.length - head - tail;
    expect(out).toBe(`${text.slice(0, head)}\n…[${omitted} characters omitted]…\n${text.slice(text.length - tail)}`);
    expect(out.length).toBeLessThan(MAX_CHUNK_CHARS);
    expect(compactChunk("b".repeat(MAX_CHUNK_CHARS + 1))).toContain("characters omitted");
  });

  it("removes images before measuring, so an image-only chunk is not compacted", () => {
    const huge = `data:image/jpeg;base64,${"Q".repeat(200_000)}`;
    expect(compactChunk(`pre ${huge} post`)).toBe("pre [inline image omitted] post");
  });
});
