import { describe, expect, it } from "vitest";
import { classifyRunLiveness, decideContinuation, MAX_LIVENESS_CONTINUATIONS, type LivenessEvidence } from "../src/runs/liveness.js";

const none: LivenessEvidence = {
  issueCommentsCreated: 0,
  documentRevisionsCreated: 0,
  planDocumentRevisionsCreated: 0,
  workProductsCreated: 0,
  activityEventsCreated: 0,
  toolEventsCreated: 0,
};
const open = { status: "in_progress", title: "Fix the login bug", description: null };

describe("classifyRunLiveness (docs/runs.md#liveness-and-continuation, first match wins)", () => {
  it.each([
    ["failed run", { runStatus: "failed", errorCode: "adapter_failed" }, "failed"],
    ["timed out run", { runStatus: "timed_out", errorCode: "timeout" }, "failed"],
    ["issue done", { issue: { ...open, status: "done" }, output: "I will do more" }, "completed"],
    ["issue cancelled", { issue: { ...open, status: "cancelled" } }, "completed"],
    ["issue blocked", { issue: { ...open, status: "blocked" }, output: "ok" }, "blocked"],
    ["output declares a blocker", { output: "I am blocked on credentials for the staging database" }, "blocked"],
    ["needs approval", { output: "This needs board approval before I can deploy." }, "blocked"],
    ["no output, no evidence", { output: null }, "empty_response"],
    ["whitespace output", { output: "   \n" }, "empty_response"],
    ["comment evidence", { output: null, evidence: { ...none, issueCommentsCreated: 1 } }, "advanced"],
    ["work product evidence", { output: "I will look later", evidence: { ...none, workProductsCreated: 1 } }, "advanced"],
    ["tool event evidence", { output: "done", evidence: { ...none, toolEventsCreated: 3 } }, "advanced"],
    [
      "plan revision with output",
      { output: "Plan: 1. read 2. fix", evidence: { ...none, planDocumentRevisionsCreated: 1, documentRevisionsCreated: 0 } },
      "advanced",
    ],
    ["planning task with output", { issue: { ...open, title: "Write a design proposal" }, output: "Here is an outline" }, "advanced"],
    ["plan only, runnable", { output: "I will inspect the repo next and then implement the fix." }, "plan_only"],
    ["next steps, runnable", { output: "Next steps:\n- run the tests\n- fix failures" }, "plan_only"],
    ["plan only, not runnable", { output: "I will think about it." }, "needs_followup"],
    ["future words but done", { output: "I'll summarise: fixed the bug and merged it." }, "needs_followup"],
    ["other output", { output: "hello from process agent" }, "needs_followup"],
  ] as const)("%s -> %s", (_label, patch, state) => {
    const result = classifyRunLiveness({
      runStatus: "succeeded",
      errorCode: null,
      issue: open,
      output: null,
      evidence: none,
      ...(patch as object),
    });
    expect(result.state).toBe(state);
    expect(result.reason.length).toBeGreaterThan(0);
  });

  it("names the error code of a failed run in its reason, and the next step of a plan-only one", () => {
    expect(classifyRunLiveness({ runStatus: "failed", errorCode: "process_lost", issue: open, output: null, evidence: none }).reason).toBe(
      "Run ended with failed (process_lost)",
    );
    expect(
      classifyRunLiveness({
        runStatus: "succeeded",
        errorCode: null,
        issue: open,
        output: "Looked around.\nI will inspect src/auth next.",
        evidence: none,
      }).nextAction,
    ).toBe("I will inspect src/auth next.");
  });
});

describe("decideContinuation", () => {
  const base = {
    state: "plan_only" as const,
    runId: "r1",
    runAgentId: "a1",
    continuationAttempt: 0,
    issue: { id: "i1", status: "in_progress", assigneeAgentId: "a1", assigneeUserId: null, executionState: null },
    agentStatus: "idle",
    budgetBlocked: false,
  };
  it.each([
    ["plan_only first time", {}, { kind: "enqueue", attempt: 1 }],
    ["empty response", { state: "empty_response" }, { kind: "enqueue", attempt: 1 }],
    ["second continuation", { continuationAttempt: 1 }, { kind: "enqueue", attempt: 2 }],
    ["cap reached", { continuationAttempt: MAX_LIVENESS_CONTINUATIONS }, { kind: "exhausted" }],
    ["advanced run", { state: "advanced" }, { kind: "none" }],
    ["needs_followup", { state: "needs_followup" }, { kind: "none" }],
    ["issue done", { issue: { ...base.issue, status: "done" } }, { kind: "none" }],
    ["reassigned", { issue: { ...base.issue, assigneeAgentId: "a2" } }, { kind: "none" }],
    ["user assignee", { issue: { ...base.issue, assigneeUserId: "local-board" } }, { kind: "none" }],
    ["execution state", { issue: { ...base.issue, executionState: { stage: "review" } } }, { kind: "none" }],
    ["agent paused", { agentStatus: "paused" }, { kind: "none" }],
    ["budget blocked", { budgetBlocked: true }, { kind: "none" }],
    ["no issue", { issue: null }, { kind: "none" }],
  ] as const)("%s", (_label, patch, expected) => {
    expect(decideContinuation({ ...base, ...(patch as object) })).toMatchObject(expected);
  });

  it("gives each continuation a stable idempotency key", () => {
    const d = decideContinuation(base);
    expect(d).toEqual({ kind: "enqueue", attempt: 1, idempotencyKey: "run_liveness_continuation:i1:r1:plan_only:1" });
  });
});
