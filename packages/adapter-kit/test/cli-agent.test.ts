import { describe, expect, it } from "vitest";
import {
  JsonLineSplitter,
  buildCliEnv,
  classifyCliFailureKind,
  parseDurationText,
  parseJsonObjectLine,
  parseRetryHint,
  resumableSession,
} from "../src/index.js";
import type { AdapterExecuteContext } from "../src/index.js";

const NOW = new Date("2026-12-03T12:00:00.000Z");

describe("the CLI agent runner's helpers", () => {
  it("parseRetryHint reads relative and absolute retry times; the latest wins; nothing -> null", () => {
    expect(parseRetryHint("Please retry in 30.5s.", NOW)).toBe("2026-12-03T12:00:30.500Z");
    expect(parseRetryHint("Your quota will reset after 1h2m3s.", NOW)).toBe("2026-12-03T13:02:03.000Z");
    expect(parseRetryHint("rate limited; try again in 5 minutes", NOW)).toBe("2026-12-03T12:05:00.000Z");
    expect(parseRetryHint("retry in 10s ... blocked until 2026-12-03T14:00:00Z", NOW)).toBe("2026-12-03T14:00:00.000Z");
    expect(parseRetryHint("overloaded", NOW)).toBeNull();
    expect(parseDurationText("2 hours 10 minutes")).toBe(7_800_000);
    expect(parseDurationText("soon")).toBeNull();
  });

  it("auth wins over transient, then unknown session", () => {
    const patterns = { auth: [/\b401\b/], transient: [/\b429\b/], unknownSession: [/not found/] };
    expect(classifyCliFailureKind("401 after a 429", patterns)).toBe("auth");
    expect(classifyCliFailureKind("429", patterns)).toBe("transient");
    expect(classifyCliFailureKind("session not found", patterns)).toBe("unknown_session");
    expect(classifyCliFailureKind("boom", patterns)).toBeNull();
  });

  it("lines are split across chunks and only JSON objects are parsed", () => {
    const splitter = new JsonLineSplitter();
    expect(splitter.push('{"a":1}\n{"b"')).toEqual(['{"a":1}']);
    expect(splitter.push(":2}\nplain text\n")).toEqual(['{"b":2}', "plain text"]);
    expect(splitter.push('{"c":3}')).toEqual([]);
    expect(splitter.end()).toEqual(['{"c":3}']);
    expect(parseJsonObjectLine('{"b":2}')).toEqual({ b: 2 });
    expect(parseJsonObjectLine("[1]")).toBeNull();
    expect(parseJsonObjectLine("{broken")).toBeNull();
  });

  it("the environment: config env over inherited keys; secret and credential values are registered", () => {
    const secrets: string[] = [];
    const env = buildCliEnv(
      { PAPERCLIP_RUN_ID: "r1" },
      { A: { value: "plain", secret: false }, S: { value: "s3cret-value", secret: true } },
      ["PATH", "HOME", "API_KEY"],
      ["API_KEY"],
      (v) => secrets.push(v),
      { PATH: "/bin", HOME: "/home/u", API_KEY: "inherited-key-1", OTHER: "not inherited" },
    );
    expect(env).toEqual({
      PAPERCLIP_RUN_ID: "r1",
      A: "plain",
      S: "s3cret-value",
      PATH: "/bin",
      HOME: "/home/u",
      API_KEY: "inherited-key-1",
    });
    expect(secrets).toEqual(["s3cret-value", "inherited-key-1"]);
  });

  it("a saved session resumes only in its own directory and only with a safe id", () => {
    const ctx = (sessionParams: Record<string, unknown> | null, sessionId: string | null = null) =>
      ({ runtime: { sessionId, sessionParams, sessionDisplayId: null, taskKey: "t" } }) as AdapterExecuteContext;
    expect(resumableSession(ctx({ sessionId: "ses_1", cwd: "/w" }), "/w")).toBe("ses_1");
    expect(resumableSession(ctx({ sessionId: "ses_1", cwd: "/other" }), "/w")).toBeNull();
    expect(resumableSession(ctx({ sessionId: "--yolo" }), "/w")).toBeNull();
    expect(resumableSession(ctx(null, "legacy-id"), "/w")).toBe("legacy-id");
  });
});
