import { describe, expect, it } from "vitest";
import type { AdapterResult } from "@staple/adapter-kit";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { decideIssueWake, pickNonIssueCoalesceTarget, type IssueWakeFacts } from "../src/runs/wake-decision.js";
import { claimGate, type ClaimFacts } from "../src/runs/claim-gate.js";
import { deriveTaskKey, enrichWakeContext, isInteractionWake, mergeContexts, needsFollowupRun } from "../src/runs/wake-context.js";
import { commentWakePlan, updateWakeReason } from "../src/runs/issue-wakes.js";
import { commentReopensIssue } from "../src/issues/comment-rules.js";
import { billedCents, mapRunOutcome, normalizeBillingType, wakeStatusFor, type TerminalStatus } from "../src/runs/outcome.js";
import { boundPayload } from "../src/runs/run-events.js";
import { compactChunk, MAX_CHUNK_CHARS } from "../src/runs/log-store.js";
import { buildAgentEnv } from "../src/runs/agent-env.js";

// Only the schema-contract tests at the end touch the database; everything else is pure.
const t = useTestApp();

describe("decideIssueWake", () => {
  const base: IssueWakeFacts = {
    activeRun: null,
    agentNameKey: "alpha",
    dependencyBlocked: false,
    interaction: false,
    needsFollowup: false,
  };
  const run = (status: string, agentNameKey: string | null = "alpha") => ({ id: "run-1", status, agentNameKey });
  const cases: [string, Partial<IssueWakeFacts>, ReturnType<typeof decideIssueWake>][] = [
    ["no active run -> queue", {}, { kind: "queue", dependencyBlockedInteraction: false }],
    ["no active run, follow-up -> queue", { needsFollowup: true }, { kind: "queue", dependencyBlockedInteraction: false }],
    ["blocked, not interaction -> skip", { dependencyBlocked: true }, { kind: "skip", reason: "issue_dependencies_blocked" }],
    [
      "blocked, follow-up but not interaction -> skip",
      { dependencyBlocked: true, needsFollowup: true },
      { kind: "skip", reason: "issue_dependencies_blocked" },
    ],
    [
      "blocked interaction -> queue flagged",
      { dependencyBlocked: true, interaction: true, needsFollowup: true },
      { kind: "queue", dependencyBlockedInteraction: true },
    ],
    [
      "same agent queued -> coalesce",
      { activeRun: run("queued") },
      { kind: "coalesce", runId: "run-1", reason: "issue_execution_same_name" },
    ],
    [
      "same agent queued, follow-up -> coalesce (not running yet)",
      { activeRun: run("queued"), needsFollowup: true },
      { kind: "coalesce", runId: "run-1", reason: "issue_execution_same_name" },
    ],
    [
      "same agent scheduled_retry, follow-up -> coalesce",
      { activeRun: run("scheduled_retry"), needsFollowup: true },
      { kind: "coalesce", runId: "run-1", reason: "issue_execution_same_name" },
    ],
    [
      "same agent running -> coalesce",
      { activeRun: run("running") },
      { kind: "coalesce", runId: "run-1", reason: "issue_execution_same_name" },
    ],
    [
      "same agent running, follow-up -> defer",
      { activeRun: run("running"), needsFollowup: true },
      { kind: "defer", reason: "issue_execution_deferred" },
    ],
    ["other agent queued -> defer", { activeRun: run("queued", "beta") }, { kind: "defer", reason: "issue_execution_deferred" }],
    [
      "other agent running -> defer",
      { activeRun: run("running", "beta"), interaction: true, needsFollowup: true },
      { kind: "defer", reason: "issue_execution_deferred" },
    ],
    ["active run without name key -> defer", { activeRun: run("running", null) }, { kind: "defer", reason: "issue_execution_deferred" }],
    [
      "active run wins over open blockers (same agent) -> coalesce",
      { activeRun: run("running"), dependencyBlocked: true },
      { kind: "coalesce", runId: "run-1", reason: "issue_execution_same_name" },
    ],
    [
      "active run wins over open blockers (other agent) -> defer",
      { activeRun: run("queued", "beta"), dependencyBlocked: true },
      { kind: "defer", reason: "issue_execution_deferred" },
    ],
  ];
  it.each(cases)("%s", (_name, facts, expected) => {
    expect(decideIssueWake({ ...base, ...facts })).toEqual(expected);
  });
});

describe("pickNonIssueCoalesceTarget", () => {
  const r = (id: string, status: string) => ({ id, status });
  const cases: [string, { id: string; status: string }[], boolean, string | null][] = [
    ["no runs", [], false, null],
    ["queued only", [r("q", "queued")], false, "q"],
    ["queued beats running", [r("x", "running"), r("q", "queued")], false, "q"],
    ["queued beats scheduled_retry", [r("s", "scheduled_retry"), r("q", "queued")], false, "q"],
    ["queued even when a follow-up is needed", [r("x", "running"), r("q", "queued")], true, "q"],
    ["scheduled_retry beats running", [r("x", "running"), r("s", "scheduled_retry")], false, "s"],
    ["scheduled_retry even when a follow-up is needed", [r("s", "scheduled_retry")], true, "s"],
    ["running without follow-up", [r("x", "running")], false, "x"],
    ["running with follow-up -> new run", [r("x", "running")], true, null],
    ["the first queued in list order", [r("q1", "queued"), r("q2", "queued")], false, "q1"],
    ["terminal runs never", [r("a", "succeeded"), r("b", "failed"), r("c", "cancelled"), r("d", "timed_out")], false, null],
  ];
  it.each(cases)("%s", (_name, runs, followup, expected) => {
    const picked = pickNonIssueCoalesceTarget(runs, followup);
    expect(picked?.id ?? null).toBe(expected);
    if (picked) expect(runs).toContain(picked);
  });
});

describe("claimGate", () => {
  const AGENT = "agent-1";
  const open = { status: "todo", assigneeAgentId: AGENT, blocked: false };
  const comment = { wakeReason: "issue_commented", commentId: "c-1" };
  const cases: [string, Partial<ClaimFacts>, string][] = [
    ["no issue -> claim", { hasIssue: false, issue: null }, "claim"],
    ["issue gone -> cancel", { issue: null }, "issue_not_found"],
    ["issue gone, even for an interaction -> cancel", { issue: null, context: comment }, "issue_not_found"],
    ["ready issue of the assignee -> claim", {}, "claim"],
    ["blocked, not interaction -> cancel", { issue: { ...open, blocked: true } }, "issue_dependencies_blocked"],
    ["blocked, interaction -> claim", { issue: { ...open, blocked: true }, context: comment }, "claim"],
    [
      "blocked, comment reason without comment id -> cancel",
      { issue: { ...open, blocked: true }, context: { wakeReason: "issue_commented" } },
      "issue_dependencies_blocked",
    ],
    [
      "blocked and reassigned -> blocked wins",
      { issue: { ...open, blocked: true, assigneeAgentId: "agent-2" } },
      "issue_dependencies_blocked",
    ],
    ["reassigned -> cancel", { issue: { ...open, assigneeAgentId: "agent-2" } }, "issue_assignee_changed"],
    ["unassigned, not interaction -> cancel", { issue: { ...open, assigneeAgentId: null } }, "issue_assignee_changed"],
    [
      "not the assignee, mention -> claim",
      { issue: { ...open, assigneeAgentId: "agent-2" }, context: { wakeReason: "issue_comment_mentioned", wakeCommentIds: ["c-1"] } },
      "claim",
    ],
    ["done -> cancel", { issue: { ...open, status: "done" } }, "issue_terminal_status"],
    ["cancelled -> cancel", { issue: { ...open, status: "cancelled" } }, "issue_terminal_status"],
    ["done with resumeIntent -> claim", { issue: { ...open, status: "done" }, context: { resumeIntent: true } }, "claim"],
    ["done with followUpRequested -> claim", { issue: { ...open, status: "done" }, context: { followUpRequested: true } }, "claim"],
    [
      "done, resumeIntent not literally true -> cancel",
      { issue: { ...open, status: "done" }, context: { resumeIntent: "yes" } },
      "issue_terminal_status",
    ],
    ["done with a comment -> claim", { issue: { ...open, status: "done" }, context: comment }, "claim"],
    [
      "done with a comment id under another reason -> claim",
      { issue: { ...open, status: "done" }, context: { wakeReason: "issue_assigned", commentId: "c-9" } },
      "claim",
    ],
    ["in_progress, in_review, blocked (no open blockers) -> claim", { issue: { ...open, status: "in_review" } }, "claim"],
  ];
  it.each(cases)("%s", (_name, facts, expected) => {
    const gate = claimGate({ runAgentId: AGENT, context: null, hasIssue: true, issue: open, ...facts });
    if (expected === "claim") {
      expect(gate).toEqual({ action: "claim" });
    } else {
      expect(gate).toMatchObject({ action: "cancel", errorCode: expected });
      expect((gate as { reason: string }).reason).toMatch(/^Cancelled because /);
    }
  });

  it("names the terminal status in the reason", () => {
    const gate = claimGate({ runAgentId: AGENT, context: null, hasIssue: true, issue: { ...open, status: "cancelled" } });
    expect(gate).toMatchObject({ action: "cancel", errorCode: "issue_terminal_status" });
    expect((gate as { reason: string }).reason).toContain("(cancelled)");
  });
});

describe("enrichWakeContext", () => {
  it("copies reason, task key, source and trigger from the request", () => {
    const out = enrichWakeContext({ source: "on_demand", triggerDetail: "manual", reason: "poke", payload: { taskKey: "X" } });
    expect(out).toEqual({
      context: { wakeReason: "poke", taskKey: "X", wakeSource: "on_demand", wakeTriggerDetail: "manual" },
      issueId: null,
      taskKey: "X",
      commentId: null,
    });
  });

  it("an issue payload sets issueId, taskId and taskKey; its comment becomes the comment list", () => {
    const out = enrichWakeContext({
      source: "automation",
      triggerDetail: "system",
      reason: "issue_commented",
      payload: { issueId: "I", commentId: "C" },
    });
    expect(out.issueId).toBe("I");
    expect(out.taskKey).toBe("I");
    expect(out.commentId).toBe("C");
    expect(out.context).toEqual({
      wakeReason: "issue_commented",
      issueId: "I",
      taskId: "I",
      taskKey: "I",
      wakeCommentIds: ["C"],
      commentId: "C",
      wakeCommentId: "C",
      wakeSource: "automation",
      wakeTriggerDetail: "system",
    });
  });

  it("given context values win over the request; the newest comment is last and ids stay unique", () => {
    const given = { wakeReason: "custom", taskKey: "T", wakeCommentIds: ["A", "B"], wakeSource: "timer" };
    const snapshot = JSON.parse(JSON.stringify(given));
    const out = enrichWakeContext({
      source: "on_demand",
      triggerDetail: null,
      reason: "ignored",
      payload: { issueId: "I", commentId: "C" },
      context: given,
    });
    expect(out.context).toMatchObject({
      wakeReason: "custom",
      taskKey: "T",
      issueId: "I",
      taskId: "I",
      wakeCommentIds: ["A", "B", "C"],
      commentId: "C",
      wakeCommentId: "C",
      wakeSource: "timer",
    });
    expect(out.taskKey).toBe("T");
    expect(out.context).not.toHaveProperty("wakeTriggerDetail");
    expect(given).toEqual(snapshot); // the caller's object is not modified

    const dup = enrichWakeContext({
      source: "automation",
      triggerDetail: null,
      reason: null,
      payload: { commentId: "B" },
      context: { wakeCommentIds: ["A", "B"] },
    });
    expect(dup.context.wakeCommentIds).toEqual(["A", "B"]);
    expect(dup.commentId).toBe("B");
  });

  it("blank strings are absent values; forceFreshSession only when literally true", () => {
    const blank = enrichWakeContext({
      source: "on_demand",
      triggerDetail: null,
      reason: null,
      payload: { issueId: "  ", taskKey: "", commentId: " " },
    });
    expect(blank).toEqual({ context: { wakeSource: "on_demand" }, issueId: null, taskKey: null, commentId: null });
    expect(
      enrichWakeContext({ source: "on_demand", triggerDetail: null, reason: null, payload: { forceFreshSession: true } }).context
        .forceFreshSession,
    ).toBe(true);
    expect(
      enrichWakeContext({ source: "on_demand", triggerDetail: null, reason: null, payload: { forceFreshSession: "true" } }).context,
    ).not.toHaveProperty("forceFreshSession");
  });

  it("a legacy single commentId in the context seeds the list", () => {
    const out = enrichWakeContext({
      source: "automation",
      triggerDetail: null,
      reason: null,
      payload: { commentId: "N" },
      context: { commentId: "OLD" },
    });
    expect(out.context.wakeCommentIds).toEqual(["OLD", "N"]);
    expect(out.context.commentId).toBe("N");
  });
});

describe("mergeContexts", () => {
  it("incoming keys win and comment ids accumulate in order without duplicates", () => {
    const merged = mergeContexts(
      { wakeReason: "issue_commented", issueId: "I", wakeCommentIds: ["A", "B"], commentId: "B", wakeCommentId: "B", keep: 1 },
      { wakeReason: "issue_comment_mentioned", wakeCommentIds: ["B", "C"], commentId: "C", wakeCommentId: "C" },
    );
    expect(merged).toEqual({
      wakeReason: "issue_comment_mentioned",
      issueId: "I",
      keep: 1,
      wakeCommentIds: ["A", "B", "C"],
      commentId: "C",
      wakeCommentId: "C",
    });
  });

  it("an incoming wake without comments keeps the existing list and newest comment", () => {
    expect(mergeContexts({ wakeCommentIds: ["A"], commentId: "A", wakeCommentId: "A" }, { wakeReason: "heartbeat_timer" })).toEqual({
      wakeCommentIds: ["A"],
      commentId: "A",
      wakeCommentId: "A",
      wakeReason: "heartbeat_timer",
    });
  });

  it("a legacy single commentId is kept ahead of new ids", () => {
    expect(mergeContexts({ commentId: "OLD" }, { wakeCommentIds: ["NEW"] })).toMatchObject({
      wakeCommentIds: ["OLD", "NEW"],
      commentId: "NEW",
      wakeCommentId: "NEW",
    });
  });

  it.each([null, undefined, "text", 5, ["A"]])("a non-object existing context (%j) is treated as empty", (existing) => {
    expect(mergeContexts(existing, { wakeReason: "r" })).toEqual({ wakeReason: "r" });
  });

  it("does not modify its inputs", () => {
    const a = { wakeCommentIds: ["A"] };
    const b = { wakeCommentIds: ["B"] };
    mergeContexts(a, b);
    expect(a).toEqual({ wakeCommentIds: ["A"] });
    expect(b).toEqual({ wakeCommentIds: ["B"] });
  });
});

describe("isInteractionWake / needsFollowupRun", () => {
  const cases: [string, Record<string, unknown> | null | undefined, boolean, boolean][] = [
    ["comment with commentId", { wakeReason: "issue_commented", commentId: "c" }, true, true],
    ["comment reason without any comment id", { wakeReason: "issue_commented" }, false, false],
    ["reopen with comment list", { wakeReason: "issue_reopened_via_comment", wakeCommentIds: ["c"] }, true, true],
    ["mention with wakeCommentId", { wakeReason: "issue_comment_mentioned", wakeCommentId: "c" }, true, true],
    ["assignment carrying a comment", { wakeReason: "issue_assigned", commentId: "c" }, false, true],
    ["approval approved", { wakeReason: "approval_approved" }, false, true],
    ["plain assignment", { wakeReason: "issue_assigned" }, false, false],
    ["empty comment list", { wakeReason: "issue_commented", wakeCommentIds: [] }, false, false],
    ["junk in the comment list", { wakeReason: "issue_commented", wakeCommentIds: ["", 5, null] }, false, false],
    ["blank comment id", { wakeReason: "issue_commented", commentId: "  " }, false, false],
    ["null", null, false, false],
    ["undefined", undefined, false, false],
  ];
  it.each(cases)("%s", (_name, ctx, interaction, followup) => {
    expect(isInteractionWake(ctx)).toBe(interaction);
    expect(needsFollowupRun(ctx)).toBe(followup);
  });
});

describe("deriveTaskKey", () => {
  const cases: [string, Record<string, unknown> | null, Record<string, unknown> | null | undefined, string | null][] = [
    ["nothing", null, null, null],
    ["context taskKey first", { taskKey: "k", taskId: "t", issueId: "i" }, { taskKey: "pk" }, "k"],
    ["then context taskId", { taskId: "t", issueId: "i" }, { taskKey: "pk" }, "t"],
    ["then context issueId (before any payload value)", { issueId: "i" }, { taskKey: "pk" }, "i"],
    ["then payload taskKey", {}, { taskKey: "pk", taskId: "pt", issueId: "pi" }, "pk"],
    ["then payload taskId", {}, { taskId: "pt", issueId: "pi" }, "pt"],
    ["then payload issueId", null, { issueId: "pi" }, "pi"],
    ["blank and non-string values are skipped", { taskKey: "  ", taskId: 5 }, { taskKey: "", issueId: "pi" }, "pi"],
    ["no payload", { taskId: "t" }, undefined, "t"],
  ];
  it.each(cases)("%s", (_name, ctx, payload, expected) => {
    expect(deriveTaskKey(ctx, payload)).toBe(expected);
  });
});

describe("updateWakeReason", () => {
  const s = (status: string, assigneeAgentId: string | null = "A") => ({ status, assigneeAgentId });
  const cases: [string, ReturnType<typeof s>, ReturnType<typeof s>, string | null][] = [
    ["assigned (todo)", s("todo", null), s("todo", "A"), "issue_assigned"],
    ["reassigned", s("in_progress", "A"), s("in_progress", "B"), "issue_assigned"],
    ["reassigned while moving to todo", s("backlog", "A"), s("todo", "B"), "issue_assigned"],
    ["assigned in backlog", s("backlog", null), s("backlog", "A"), null],
    ["assigned while closing", s("todo", null), s("done", "A"), null],
    ["unassigned", s("todo", "A"), s("todo", null), null],
    ["backlog -> todo", s("backlog"), s("todo"), "issue_status_changed"],
    ["backlog -> in_progress", s("backlog"), s("in_progress"), "issue_status_changed"],
    ["blocked -> todo", s("blocked"), s("todo"), "issue_status_changed"],
    ["done -> todo", s("done"), s("todo"), "issue_status_changed"],
    ["cancelled -> todo", s("cancelled"), s("todo"), "issue_status_changed"],
    ["blocked -> in_progress", s("blocked"), s("in_progress"), null],
    ["done -> in_progress", s("done"), s("in_progress"), null],
    ["todo -> in_progress", s("todo"), s("in_progress"), null],
    ["in_progress -> in_review", s("in_progress"), s("in_review"), null],
    ["todo -> backlog", s("todo"), s("backlog"), null],
    ["todo -> done", s("todo"), s("done"), null],
    ["todo -> cancelled", s("todo"), s("cancelled"), null],
    ["no change", s("todo"), s("todo"), null],
  ];
  it.each(cases)("%s", (_name, prev, next, expected) => {
    expect(updateWakeReason(prev, next)).toBe(expected);
  });
});

describe("commentWakePlan", () => {
  const plan = (over: Partial<Parameters<typeof commentWakePlan>[0]>) =>
    commentWakePlan({
      issue: { status: "todo", assigneeAgentId: "A" },
      reopened: false,
      authorAgentId: null,
      mentionedAgentIds: [],
      ...over,
    });
  const cases: [string, Partial<Parameters<typeof commentWakePlan>[0]>, ReturnType<typeof commentWakePlan>][] = [
    ["board comment on an open issue", {}, { assigneeReason: "issue_commented", mentioned: [] }],
    ["the assignee's own comment", { authorAgentId: "A" }, { assigneeReason: null, mentioned: [] }],
    ["another agent's comment", { authorAgentId: "B" }, { assigneeReason: "issue_commented", mentioned: [] }],
    [
      "comment that reopened the issue",
      { issue: { status: "todo", assigneeAgentId: "A" }, reopened: true },
      { assigneeReason: "issue_reopened_via_comment", mentioned: [] },
    ],
    ["closed, not reopened", { issue: { status: "done", assigneeAgentId: "A" } }, { assigneeReason: null, mentioned: [] }],
    ["cancelled, not reopened", { issue: { status: "cancelled", assigneeAgentId: "A" } }, { assigneeReason: null, mentioned: [] }],
    ["blocked issue is open", { issue: { status: "blocked", assigneeAgentId: "A" } }, { assigneeReason: "issue_commented", mentioned: [] }],
    [
      "no assignee, mentions only",
      { issue: { status: "todo", assigneeAgentId: null }, mentionedAgentIds: ["B", "C"] },
      { assigneeReason: null, mentioned: ["B", "C"] },
    ],
    [
      "mention of the author is dropped",
      { authorAgentId: "B", mentionedAgentIds: ["B", "C"] },
      { assigneeReason: "issue_commented", mentioned: ["C"] },
    ],
    ["the woken assignee is not woken twice", { mentionedAgentIds: ["A", "C"] }, { assigneeReason: "issue_commented", mentioned: ["C"] }],
    [
      "assignee not woken as assignee is woken by its mention",
      { issue: { status: "done", assigneeAgentId: "A" }, authorAgentId: "B", mentionedAgentIds: ["A"] },
      { assigneeReason: null, mentioned: ["A"] },
    ],
    ["the assignee mentioning itself", { authorAgentId: "A", mentionedAgentIds: ["A"] }, { assigneeReason: null, mentioned: [] }],
    [
      "duplicate mentions once, order kept",
      { issue: { status: "todo", assigneeAgentId: null }, mentionedAgentIds: ["C", "B", "C"] },
      { assigneeReason: null, mentioned: ["C", "B"] },
    ],
  ];
  it.each(cases)("%s", (_name, over, expected) => {
    expect(plan(over)).toEqual(expected);
  });
});

describe("commentReopensIssue", () => {
  type Input = Parameters<typeof commentReopensIssue>[0];
  const base: Input = {
    status: "done",
    assigneeAgentId: "A",
    executionRunId: null,
    authorAgentId: null,
    authorIsUser: true,
    authorRunId: null,
    explicitReopen: false,
    hasOpenBlockers: false,
  };
  const cases: [string, Partial<Input>, boolean][] = [
    ["human comment on a done agent issue", {}, true],
    ["human comment on a cancelled agent issue", { status: "cancelled" }, true],
    ["human comment on a todo issue", { status: "todo" }, false],
    ["human comment on an in_progress issue", { status: "in_progress" }, false],
    ["human comment on a blocked issue whose blockers are done", { status: "blocked" }, true],
    ["human comment on a blocked issue with open blockers", { status: "blocked", hasOpenBlockers: true }, false],
    ["human comment on an unassigned done issue", { assigneeAgentId: null }, false],
    ["another agent's comment on a done issue", { authorIsUser: false, authorAgentId: "B" }, false],
    ["the assignee's own comment", { authorIsUser: false, authorAgentId: "A" }, false],
    ["the assignee's own explicit reopen", { authorIsUser: false, authorAgentId: "A", explicitReopen: true }, false],
    ["another agent's explicit reopen of a done issue", { authorIsUser: false, authorAgentId: "B", explicitReopen: true }, true],
    ["explicit reopen of an unassigned done issue", { assigneeAgentId: null, explicitReopen: true }, true],
    ["explicit reopen of an open issue", { status: "todo", explicitReopen: true }, false],
    ["explicit reopen of a blocked issue", { status: "blocked", explicitReopen: true }, false],
    [
      "posted from the lock-owning run",
      { authorIsUser: false, authorAgentId: "B", authorRunId: "R", executionRunId: "R", explicitReopen: true },
      false,
    ],
    [
      "run id differs from the lock",
      { authorIsUser: false, authorAgentId: "B", authorRunId: "R", executionRunId: "S", explicitReopen: true },
      true,
    ],
    ["no run on either side is not a match", { authorRunId: null, executionRunId: null }, true],
  ];
  it.each(cases)("%s", (_name, over, expected) => {
    expect(commentReopensIssue({ ...base, ...over })).toBe(expected);
  });
});

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

describe("buildAgentEnv", () => {
  const input = {
    agent: { id: "agent-1", companyId: "company-1" },
    runId: "run-1",
    apiUrl: "http://127.0.0.1:3100",
    token: "jwt-token",
    agentHome: "/home/agent-1",
  };

  it("always sets identity, API access and home; optional wake variables only when known", () => {
    const env = buildAgentEnv({ ...input, context: null });
    expect(env).toEqual({
      PAPERCLIP_AGENT_ID: "agent-1",
      PAPERCLIP_COMPANY_ID: "company-1",
      PAPERCLIP_API_URL: "http://127.0.0.1:3100",
      PAPERCLIP_RUN_ID: "run-1",
      PAPERCLIP_API_KEY: "jwt-token",
      AGENT_HOME: "/home/agent-1",
      PAPERCLIP_WAKE_PAYLOAD_JSON: expect.any(String),
    });
    expect(JSON.parse(env.PAPERCLIP_WAKE_PAYLOAD_JSON!)).toEqual({
      reason: null,
      source: null,
      issueId: null,
      taskKey: null,
      commentIds: [],
      retryReason: null,
    });
  });

  it("exposes the wake: task, reason, newest comment and a JSON summary", () => {
    const env = buildAgentEnv({
      ...input,
      context: {
        issueId: "issue-1",
        taskKey: "issue-1",
        wakeReason: "issue_commented",
        wakeSource: "automation",
        wakeCommentIds: ["c-1", "c-2"],
        commentId: "c-2",
        retryReason: "process_lost",
      },
    });
    expect(env).toMatchObject({ PAPERCLIP_TASK_ID: "issue-1", PAPERCLIP_WAKE_REASON: "issue_commented", PAPERCLIP_WAKE_COMMENT_ID: "c-2" });
    expect(JSON.parse(env.PAPERCLIP_WAKE_PAYLOAD_JSON!)).toEqual({
      reason: "issue_commented",
      source: "automation",
      issueId: "issue-1",
      taskKey: "issue-1",
      commentIds: ["c-1", "c-2"],
      retryReason: "process_lost",
    });
  });

  it("falls back to taskId and to a single comment id", () => {
    const env = buildAgentEnv({ ...input, context: { taskId: "task-9", wakeCommentId: "c-9" } });
    expect(env.PAPERCLIP_TASK_ID).toBe("task-9");
    expect(env.PAPERCLIP_WAKE_COMMENT_ID).toBe("c-9");
    expect(env).not.toHaveProperty("PAPERCLIP_WAKE_REASON");
  });

  it("merges project env underneath: it cannot override the engine's variables", () => {
    const env = buildAgentEnv({
      ...input,
      context: { wakeReason: "issue_assigned" },
      projectEnv: {
        FOO: "bar",
        PAPERCLIP_RUN_ID: "spoofed",
        PAPERCLIP_API_KEY: "stolen",
        PAPERCLIP_AGENT_ID: "other",
        AGENT_HOME: "/tmp/x",
      },
    });
    expect(env).toMatchObject({
      FOO: "bar",
      PAPERCLIP_RUN_ID: "run-1",
      PAPERCLIP_API_KEY: "jwt-token",
      PAPERCLIP_AGENT_ID: "agent-1",
      AGENT_HOME: "/home/agent-1",
      PAPERCLIP_WAKE_REASON: "issue_assigned",
    });
  });
});

describe("schema contracts of the pure helpers", () => {
  it("every wake status wakeStatusFor produces is a valid agent_wakeup_requests status", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    for (const status of ["succeeded", "failed", "cancelled", "timed_out"] as TerminalStatus[]) {
      const [row] = await t.current.tdb.db.query<{ status: string }>(
        "INSERT INTO agent_wakeup_requests (company_id, agent_id, source, status) VALUES ($1, $2, 'on_demand', $3) RETURNING status",
        [company.id, agent.id, wakeStatusFor(status)],
      );
      expect(row!.status).toBe(wakeStatusFor(status));
    }
  });

  it("every billing type normalizeBillingType produces is accepted by cost_events", async () => {
    const company = await createCompany(t.current);
    for (const input of ["api", "subscription", "credits", "fixed", "subscription_overage", "nonsense", null]) {
      const [row] = await t.current.tdb.db.query<{ billingType: string }>(
        "INSERT INTO cost_events (company_id, billing_type, cost_cents) VALUES ($1, $2, $3) RETURNING billing_type",
        [company.id, normalizeBillingType(input), billedCents(0.5, normalizeBillingType(input))],
      );
      expect(row!.billingType).toBe(normalizeBillingType(input));
    }
  });
});
