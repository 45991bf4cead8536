import { describe, expect, it } from "vitest";
import { sessionUsageDelta } from "../src/runs/usage-delta.js";

describe("sessionUsageDelta (session totals become per-run usage)", () => {
  const u = (inputTokens: number, outputTokens: number, cachedInputTokens = 0) => ({ inputTokens, outputTokens, cachedInputTokens });
  it.each([
    {
      name: "first run of a session bills its totals",
      current: u(100, 10, 50),
      previous: null,
      expected: { ...u(100, 10, 50), usageSource: "session_total_first" },
    },
    {
      name: "a resumed run bills the difference",
      current: u(250, 30, 80),
      previous: u(100, 10, 50),
      expected: { ...u(150, 20, 30), usageSource: "session_delta" },
    },
    {
      name: "no new tokens bills zero",
      current: u(100, 10, 50),
      previous: u(100, 10, 50),
      expected: { ...u(0, 0, 0), usageSource: "session_delta" },
    },
    {
      name: "a total below the previous one (new thread, same id) counts whole",
      current: u(40, 5, 0),
      previous: u(100, 10, 50),
      expected: { ...u(40, 5, 0), usageSource: "session_delta" },
    },
    {
      name: "a missing cached figure is zero",
      current: { inputTokens: 10, outputTokens: 1 },
      previous: { inputTokens: 4, outputTokens: 1 },
      expected: { ...u(6, 0, 0), usageSource: "session_delta" },
    },
  ])("$name", ({ current, previous, expected }) => {
    const out = sessionUsageDelta(current, previous);
    expect(out).toMatchObject(expected);
    expect(out.raw).toEqual({
      inputTokens: current.inputTokens,
      outputTokens: current.outputTokens,
      cachedInputTokens: current.cachedInputTokens ?? 0,
    });
  });
});
