import { describe, expect, it } from "vitest";
import { decideIssueWake, pickNonIssueCoalesceTarget, type IssueWakeFacts } from "../src/runs/wake-decision.js";
import { claimGate, type ClaimFacts } from "../src/runs/claim-gate.js";

/** Pure decisions of a wake: which run it joins (issue and non-issue wakes) and the claim-time gate. */
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
