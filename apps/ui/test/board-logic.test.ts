import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api/client.js";
import { confirmReducer, type ConfirmState } from "../src/lib/confirm.js";
import { errorFor, fieldErrors } from "../src/lib/field-errors.js";
import { describeLock, lockSeverity, lockState } from "../src/lib/lock.js";
import { insertMention, matchNames, mentionQuery } from "../src/lib/mentions.js";

describe("mentions", () => {
  it("finds the mention being typed at the caret", () => {
    expect(mentionQuery("hi @Scr", 7)).toEqual({ start: 3, query: "Scr" });
    expect(mentionQuery("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionQuery("ping @Script Bo", 15)).toEqual({ start: 5, query: "Script Bo" });
    expect(mentionQuery("(@ab", 4)).toEqual({ start: 1, query: "ab" });
  });

  it("is not a mention inside an e-mail address, after a double space, or when the caret is elsewhere", () => {
    expect(mentionQuery("mail me@host", 12)).toBeNull();
    expect(mentionQuery("no mention", 10)).toBeNull();
    expect(mentionQuery("@Bob  x", 7)).toBeNull();
    // Caret before the @: nothing being typed.
    expect(mentionQuery("hi @Scr", 2)).toBeNull();
    // Caret in the middle of the word: only the part before the caret counts.
    expect(mentionQuery("hi @Script", 6)).toEqual({ start: 3, query: "Sc" });
  });

  it("matches names by prefix first, then word prefix, then substring, case-insensitively", () => {
    const agents = [{ name: "Alpha Bot" }, { name: "Botanist" }, { name: "Robot" }, { name: "Carol" }].map((a, i) => ({
      ...a,
      id: String(i),
    }));
    expect(matchNames(agents, "bot").map((a) => a.name)).toEqual(["Botanist", "Alpha Bot", "Robot"]);
    expect(matchNames(agents, "").map((a) => a.name)).toEqual(["Alpha Bot", "Botanist", "Robot", "Carol"]);
    expect(matchNames(agents, "zzz")).toEqual([]);
    expect(matchNames(agents, "", 2)).toHaveLength(2);
  });

  it("inserts @Name with one trailing space and puts the caret after it", () => {
    const text = "hey @scr please";
    const m = mentionQuery(text, 8)!;
    const out = insertMention(text, m, 8, "Script Bot");
    expect(out.text).toBe("hey @Script Bot please");
    expect(out.caret).toBe("hey @Script Bot ".length);
    expect(insertMention("@", { start: 0, query: "" }, 1, "Ann")).toEqual({ text: "@Ann ", caret: 5 });
  });
});

describe("lock state", () => {
  const none = { checkoutRunId: null, executionRunId: null };
  it("is null without a lock", () => {
    expect(lockState(none)).toBeNull();
    expect(lockState({ checkoutRunId: "", executionRunId: "" })).toBeNull();
  });

  it("prefers the execution run and reports which fields hold the lock", () => {
    expect(lockState({ ...none, executionRunId: "run-exec-1", executionLockedAt: "2026-01-01T00:00:00Z" })).toEqual({
      runId: "run-exec-1",
      kind: "execution",
      otherRunId: null,
      lockedAt: "2026-01-01T00:00:00Z",
    });
    expect(lockState({ ...none, checkoutRunId: "run-co" })?.kind).toBe("checkout");
    expect(lockState({ checkoutRunId: "same", executionRunId: "same" })).toMatchObject({ kind: "both", runId: "same", otherRunId: null });
    expect(lockState({ checkoutRunId: "co", executionRunId: "ex" })).toMatchObject({ kind: "both", runId: "ex", otherRunId: "co" });
  });

  it("calls a finished run's lock stale and a live run's lock live", () => {
    expect(lockSeverity("running")).toBe("live");
    expect(lockSeverity("queued")).toBe("live");
    expect(lockSeverity("succeeded")).toBe("stale");
    expect(lockSeverity("failed")).toBe("stale");
    expect(lockSeverity(null)).toBe("unknown");
  });

  it("describes the holder and its status, warning when the run is live", () => {
    const lock = lockState({ checkoutRunId: null, executionRunId: "abcdef12-3456" })!;
    const live = describeLock(lock, "running");
    expect(live).toContain("run abcdef12");
    expect(live).toContain("status: running");
    expect(live).toContain("still live");
    const stale = describeLock(lock, "timed_out");
    expect(stale).toContain("status: timed out");
    expect(stale).not.toContain("still live");
    expect(describeLock(lock, null)).toContain("status unknown");
  });
});

describe("confirmation state", () => {
  type S = ConfirmState<string>;
  const closed: S = { phase: "closed" };
  it("open → confirm → succeeded closes", () => {
    let s = confirmReducer(closed, { type: "open", subject: "k1" });
    expect(s).toEqual({ phase: "asking", subject: "k1", error: null });
    s = confirmReducer(s, { type: "confirm" });
    expect(s).toEqual({ phase: "working", subject: "k1" });
    expect(confirmReducer(s, { type: "succeeded" })).toEqual(closed);
  });

  it("a failure keeps the dialog open with the message; retrying clears it", () => {
    let s = confirmReducer(confirmReducer(confirmReducer(closed, { type: "open", subject: "k" }), { type: "confirm" }), {
      type: "failed",
      error: "Run is live",
    });
    expect(s).toEqual({ phase: "asking", subject: "k", error: "Run is live" });
    s = confirmReducer(s, { type: "confirm" });
    expect(s.phase).toBe("working");
  });

  it("cannot be cancelled or reopened while working; confirm without asking does nothing", () => {
    const working: S = { phase: "working", subject: "k" };
    expect(confirmReducer(working, { type: "cancel" })).toBe(working);
    expect(confirmReducer(working, { type: "open", subject: "other" })).toBe(working);
    expect(confirmReducer(closed, { type: "confirm" })).toBe(closed);
    expect(confirmReducer(closed, { type: "succeeded" })).toBe(closed);
    expect(confirmReducer({ phase: "asking", subject: "k", error: null }, { type: "cancel" })).toEqual(closed);
  });
});

describe("field errors", () => {
  const validation = new ApiError(400, "Validation error", undefined, [
    { path: ["adapterConfig", "command"], message: "Required" },
    { path: ["budgetMonthlyCents"], message: "Too small" },
    { path: ["budgetMonthlyCents"], message: "Not an integer" },
    { path: [], message: "Bad body" },
  ]);
  it("groups zod issues by path", () => {
    expect(fieldErrors(validation)).toEqual({
      "adapterConfig.command": "Required",
      budgetMonthlyCents: "Too small; Not an integer",
      "": "Bad body",
    });
    expect(fieldErrors(new ApiError(409, "Conflict"))).toEqual({});
    expect(fieldErrors(new Error("x"))).toEqual({});
  });

  it("finds a field's message, or the first nested one", () => {
    const errs = fieldErrors(validation);
    expect(errorFor(errs, "adapterConfig.command")).toBe("Required");
    expect(errorFor(errs, "adapterConfig")).toBe("command: Required");
    expect(errorFor(errs, "name")).toBeUndefined();
  });
});
