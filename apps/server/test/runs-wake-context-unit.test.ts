import { describe, expect, it } from "vitest";
import { deriveTaskKey, enrichWakeContext, isInteractionWake, mergeContexts, needsFollowupRun } from "../src/runs/wake-context.js";
import { commentWakePlan, updateWakeReason } from "../src/runs/issue-wakes.js";
import { commentReopensIssue } from "../src/issues/comment-rules.js";

/** The wake context: enrichment, merging, interaction wakes, task keys, wake reasons, comment wakes. */
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
