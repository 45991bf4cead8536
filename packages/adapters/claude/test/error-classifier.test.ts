import { describe, expect, it } from "vitest";
import { classifyClaudeOutcome, isUnknownSessionError, type ClaudeOutcomeInput } from "../src/error-classifier.js";
import type { ClaudeResultInfo } from "../src/stream-parser.js";

const NOW = new Date("2026-11-21T12:00:00Z");

function result(fields: Partial<ClaudeResultInfo> = {}): ClaudeResultInfo {
  return {
    subtype: "success",
    isError: false,
    text: "done",
    errors: [],
    usage: null,
    costUsd: null,
    numTurns: 1,
    durationMs: 1,
    stopReason: null,
    terminalReason: null,
    apiErrorStatus: null,
    sessionId: null,
    truncatedChars: null,
    ...fields,
  };
}
const errorResult = (text: string, fields: Partial<ClaudeResultInfo> = {}) => result({ isError: true, text, ...fields });

function input(fields: Partial<ClaudeOutcomeInput>): ClaudeOutcomeInput {
  return {
    exitCode: 1,
    signal: null,
    result: null,
    apiErrors: [],
    rateLimit: null,
    stderr: "",
    nonJsonStdout: "",
    maxTurns: null,
    now: NOW,
    timeZone: "UTC",
    ...fields,
  };
}

describe("classifyClaudeOutcome", () => {
  const cases: Array<[string, Partial<ClaudeOutcomeInput>, Record<string, unknown> | null]> = [
    ["success", { exitCode: 0, result: result() }, null],
    [
      "success wins over an earlier rate-limit report",
      { exitCode: 0, result: result(), rateLimit: { status: "rejected", resetsAt: null, rateLimitType: null } },
      null,
    ],
    [
      "agent text mentioning 429 on success",
      { exitCode: 0, result: result({ text: "fixed the 429 handler; please run /login docs" }) },
      null,
    ],
    [
      "max turns",
      { result: result({ subtype: "error_max_turns", isError: true, text: null }), maxTurns: 5 },
      { errorCode: "max_turns_exhausted", errorMessage: "Claude stopped at the max turns limit (5) before finishing" },
    ],
    [
      "auth: assistant error code",
      {
        apiErrors: [{ code: "authentication_failed", text: "Not logged in · Please run /login" }],
        result: errorResult("Not logged in · Please run /login"),
      },
      { errorCode: "claude_auth_required" },
    ],
    ["auth: invalid API key", { result: errorResult("Invalid API key · Fix external API key") }, { errorCode: "claude_auth_required" }],
    [
      "auth: API 401",
      { result: errorResult('API Error: 401 {"type":"error"}', { apiErrorStatus: 401 }) },
      { errorCode: "claude_auth_required" },
    ],
    [
      "auth: expired OAuth token on stderr",
      { stderr: "OAuth token has expired. Please obtain a new token or refresh your existing token." },
      { errorCode: "claude_auth_required" },
    ],
    [
      "auth: sign in again",
      { result: errorResult("Authentication required · Sign in again to continue") },
      { errorCode: "claude_auth_required" },
    ],
    [
      "transient: 429 status",
      { result: errorResult("API Error: Request rejected", { apiErrorStatus: 429 }) },
      { errorCode: "claude_transient_upstream", errorFamily: "transient_upstream" },
    ],
    [
      "transient: overloaded code",
      { apiErrors: [{ code: "overloaded", text: "API Error: Overloaded" }] },
      { errorCode: "claude_transient_upstream" },
    ],
    [
      "transient: 529 text",
      { result: errorResult('API Error: 529 {"type":"overloaded_error"}') },
      { errorCode: "claude_transient_upstream" },
    ],
    ["transient: 503 on stderr", { stderr: "upstream connect error: 503 Service Unavailable" }, { errorCode: "claude_transient_upstream" }],
    ["transient: 500", { result: errorResult("API Error: 500 Internal server error") }, { errorCode: "claude_transient_upstream" }],
    ["transient: non-JSON stdout", { nonJsonStdout: "Rate limit exceeded\n" }, { errorCode: "claude_transient_upstream" }],
    [
      "transient: usage limit with reset clock",
      { result: errorResult("You've hit your limit · resets 3pm (UTC)") },
      { errorCode: "claude_transient_upstream", retryNotBefore: "2026-11-21T15:00:00.000Z" },
    ],
    [
      "transient: machine usage-limit form",
      { result: errorResult("Claude AI usage limit reached|1795280400") },
      { errorCode: "claude_transient_upstream", retryNotBefore: "2026-11-21T17:00:00.000Z" },
    ],
    [
      "transient: rejected rate_limit_event wins over text",
      {
        rateLimit: { status: "rejected", resetsAt: 1795284000, rateLimitType: "five_hour" },
        result: errorResult("usage limit reached, resets 3pm"),
      },
      { errorCode: "claude_transient_upstream", retryNotBefore: "2026-11-21T18:00:00.000Z" },
    ],
    [
      "failed result",
      { result: result({ subtype: "error_during_execution", isError: true, text: null, errors: ["Tool crashed"] }) },
      { errorCode: "adapter_failed", errorMessage: "Claude run failed (error_during_execution): Tool crashed" },
    ],
    [
      "agent text is not searched when the result is no error",
      { exitCode: 2, result: result({ text: "saw HTTP 429 and invalid api key" }) },
      { errorCode: "adapter_failed", errorMessage: "claude exited with code 2" },
    ],
    ["signal", { exitCode: null, signal: "SIGSEGV" }, { errorCode: "adapter_failed", errorMessage: "claude was killed by signal SIGSEGV" }],
    [
      "non-zero exit with stderr",
      { exitCode: 3, stderr: "\nError: boom\nat x\n" },
      { errorCode: "adapter_failed", errorMessage: "claude exited with code 3: Error: boom" },
    ],
    [
      "exit 0 without a result",
      { exitCode: 0 },
      { errorCode: "adapter_failed", errorMessage: "claude exited with code 0 without a result (the output stream ended early)" },
    ],
  ];
  it.each(cases)("%s", (_name, fields, expected) => {
    const outcome = classifyClaudeOutcome(input(fields));
    if (expected === null) expect(outcome).toBeNull();
    else expect(outcome).toMatchObject(expected);
  });

  it("gives auth failures a fix and no error family; transient ones no retry time when none is given", () => {
    const auth = classifyClaudeOutcome(input({ result: errorResult("Invalid API key") }))!;
    expect(auth.errorMessage).toContain("Fix:");
    expect(auth.errorFamily).toBeUndefined();
    expect(classifyClaudeOutcome(input({ result: errorResult("Overloaded") }))?.retryNotBefore).toBeUndefined();
  });
});

describe("isUnknownSessionError", () => {
  it.each([
    [
      {
        result: result({
          subtype: "error_during_execution",
          isError: true,
          text: null,
          errors: ["No conversation found with session ID: 0b7c"],
        }),
        stderr: "",
      },
      true,
    ],
    [{ result: null, stderr: "No conversation found with session ID: 0b7c\n" }, true],
    [{ result: errorResult("Unknown session"), stderr: "" }, true],
    [{ result: result({ text: "No conversation found with session ID: x" }), stderr: "" }, false], // agent output, not an error
    [{ result: errorResult("Not logged in"), stderr: "" }, false],
  ])("%#", (value, expected) => {
    expect(isUnknownSessionError(value)).toBe(expected);
  });
});
