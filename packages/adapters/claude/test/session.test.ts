import { describe, expect, it } from "vitest";
import type { AdapterRuntime } from "@staple/adapter-kit";
import { decideResume, isUuid } from "../src/session.js";

const SID = "0b7c7f2e-4a53-4c1e-9d55-2f1a3c7d9e01";
const rt = (sessionId: string | null, params: Record<string, unknown> | null): AdapterRuntime => ({
  sessionId,
  sessionParams: params,
  sessionDisplayId: null,
  taskKey: null,
});

describe("decideResume", () => {
  const cases: Array<[string, AdapterRuntime, ReturnType<typeof decideResume>]> = [
    ["no session", rt(null, null), { resume: false, reason: "no_session", savedSessionId: null }],
    ["uuid and same cwd", rt(SID, { sessionId: SID, cwd: "/w/a" }), { resume: true, sessionId: SID }],
    ["same cwd written differently", rt(SID, { cwd: "/w/a/../a/" }), { resume: true, sessionId: SID }],
    ["id only in params", rt(null, { sessionId: SID, cwd: "/w/a" }), { resume: true, sessionId: SID }],
    ["uppercase uuid", rt(SID.toUpperCase(), { cwd: "/w/a" }), { resume: true, sessionId: SID.toUpperCase() }],
    ["not a uuid", rt("abc", { cwd: "/w/a" }), { resume: false, reason: "invalid_session_id", savedSessionId: "abc" }],
    ["other cwd", rt(SID, { cwd: "/w/b" }), { resume: false, reason: "cwd_mismatch", savedSessionId: SID }],
    ["no saved cwd", rt(SID, { sessionId: SID }), { resume: false, reason: "cwd_mismatch", savedSessionId: SID }],
    ["no params at all", rt(SID, null), { resume: false, reason: "cwd_mismatch", savedSessionId: SID }],
  ];
  it.each(cases)("%s", (_name, runtime, expected) => {
    expect(decideResume(runtime, "/w/a")).toEqual(expected);
  });

  it.each([
    [SID, true],
    ["0b7c7f2e4a534c1e9d552f1a3c7d9e01", false],
    [`${SID} `, false],
    ["", false],
    [42, false],
  ])("isUuid(%j) = %s", (value, expected) => {
    expect(isUuid(value)).toBe(expected);
  });
});
