import { ACTIVE_WORK_ISSUE_STATUSES, CLOSED_ISSUE_STATUSES, INVOKABLE_AGENT_STATUSES } from "@staple/contracts";
/**
 * Run liveness (docs/runs.md#liveness-and-continuation): did a finished run move its issue forward?
 * A pure classification of the run's evidence, tested by a table; the finalize steps gather the
 * evidence and act on it.
 */
export type LivenessState = "completed" | "advanced" | "plan_only" | "empty_response" | "blocked" | "failed" | "needs_followup";

export interface LivenessEvidence {
  issueCommentsCreated: number;
  documentRevisionsCreated: number;
  planDocumentRevisionsCreated: number;
  workProductsCreated: number;
  activityEventsCreated: number;
  toolEventsCreated: number;
}

export interface LivenessInput {
  runStatus: string;
  errorCode: string | null;
  issue: { status: string; title: string; description: string | null } | null;
  /** What the agent said: its result summary, else the tail of its stdout. */
  output: string | null;
  evidence: LivenessEvidence;
}

export interface LivenessResult {
  state: LivenessState;
  reason: string;
  nextAction: string | null;
}

const FUTURE_WORK_RE = /^\s*(?:[-*]\s*)?(?:i will|i'll|i am going to|i'm going to|i plan to|let me|next,? i|next steps?:|plan:|todo:)/im;
const DONE_RE = /\b(?:done|completed|finished|implemented|fixed|merged|resolved|shipped)\b/i;
const RUNNABLE_RE =
  /\b(?:inspect|implement|fix|run|check|read|write|update|create|add|test|investigate|review|refactor|build|open|edit|deploy)\b/i;
const BLOCKER_RE =
  /\b(?:blocked (?:on|by)|waiting (?:for|on) (?:approval|review|input|access|credentials)|need(?:s)? (?:approval|board approval|access|credentials|your input)|cannot proceed|can't proceed)\b/i;
const PLANNING_TASK_RE = /\b(?:plan|planning|design|document|spec|write-?up|proposal|outline)\b/i;

const total = (e: LivenessEvidence) =>
  e.issueCommentsCreated + e.documentRevisionsCreated + e.workProductsCreated + e.activityEventsCreated + e.toolEventsCreated;

/** First match wins; the order is the table in docs/runs.md#liveness-and-continuation. */
export function classifyRunLiveness(input: LivenessInput): LivenessResult {
  const output = input.output?.trim() ?? "";
  if (input.runStatus !== "succeeded") {
    return {
      state: "failed",
      reason: `Run ended with ${input.runStatus}${input.errorCode ? ` (${input.errorCode})` : ""}`,
      nextAction: null,
    };
  }
  if (input.issue && (CLOSED_ISSUE_STATUSES as readonly string[]).includes(input.issue.status)) {
    return { state: "completed", reason: `Issue is ${input.issue.status}`, nextAction: null };
  }
  if (input.issue?.status === "blocked" || BLOCKER_RE.test(output)) {
    return {
      state: "blocked",
      reason: input.issue?.status === "blocked" ? "Issue is blocked" : "Run output declares a blocker",
      nextAction: null,
    };
  }
  if (!output && total(input.evidence) === 0) {
    return {
      state: "empty_response",
      reason: "Run produced no output and no action evidence",
      nextAction: "Do the work of the issue and leave evidence (a comment, a document, a work product)",
    };
  }
  if (total(input.evidence) > 0) {
    return { state: "advanced", reason: "Run left concrete action evidence on the issue", nextAction: null };
  }
  const planningTask = input.issue ? PLANNING_TASK_RE.test(`${input.issue.title} ${input.issue.description ?? ""}`) : false;
  if (output && (planningTask || input.evidence.planDocumentRevisionsCreated > 0)) {
    return { state: "advanced", reason: "Planning output on a planning task", nextAction: null };
  }
  if (FUTURE_WORK_RE.test(output) && !DONE_RE.test(output)) {
    const step =
      output
        .split("\n")
        .find((l) => FUTURE_WORK_RE.test(l))
        ?.trim()
        .slice(0, 300) ?? null;
    return RUNNABLE_RE.test(output)
      ? { state: "plan_only", reason: "Run only described work it would do next", nextAction: step }
      : { state: "needs_followup", reason: "Run described future work without a runnable next step", nextAction: step };
  }
  return { state: "needs_followup", reason: "Run produced useful output but no concrete action evidence", nextAction: null };
}

/** Continuations per issue line before the run is left for a human. */
export const MAX_LIVENESS_CONTINUATIONS = 2;

export type ContinuationDecision =
  | { kind: "none"; why: string }
  | { kind: "exhausted" }
  | { kind: "enqueue"; attempt: number; idempotencyKey: string };

/** Whether a plan-only or empty run gets a bounded continuation. Pure. */
export function decideContinuation(input: {
  state: LivenessState;
  runId: string;
  runAgentId: string;
  continuationAttempt: number;
  issue: { id: string; status: string; assigneeAgentId: string | null; assigneeUserId: string | null; executionState: unknown } | null;
  agentStatus: string | null;
  budgetBlocked: boolean;
}): ContinuationDecision {
  if (input.state !== "plan_only" && input.state !== "empty_response") return { kind: "none", why: "state" };
  const issue = input.issue;
  if (!issue) return { kind: "none", why: "no issue" };
  if (!(ACTIVE_WORK_ISSUE_STATUSES as readonly string[]).includes(issue.status)) return { kind: "none", why: "issue status" };
  if (issue.assigneeAgentId !== input.runAgentId || issue.assigneeUserId) return { kind: "none", why: "assignee changed" };
  if (issue.executionState) return { kind: "none", why: "execution state" };
  if (!input.agentStatus || !(INVOKABLE_AGENT_STATUSES as readonly string[]).includes(input.agentStatus))
    return { kind: "none", why: "agent not invokable" };
  if (input.budgetBlocked) return { kind: "none", why: "budget" };
  if (input.continuationAttempt >= MAX_LIVENESS_CONTINUATIONS) return { kind: "exhausted" };
  const attempt = input.continuationAttempt + 1;
  return { kind: "enqueue", attempt, idempotencyKey: `run_liveness_continuation:${issue.id}:${input.runId}:${input.state}:${attempt}` };
}
