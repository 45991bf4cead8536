import type {
  AskUserQuestionsPayload,
  RequestCheckboxConfirmationPayload,
  RequestItemVerdictsPayload,
  ResolvedVerdictItem,
  RespondInteractionBody,
  SubmitVerdictsBody,
  SuggestedTask,
  SuggestTasksPayload,
} from "@staple/contracts";
import { ruleViolation } from "../errors.js";

/**
 * Pure checks of a response against the card it answers. Each throws a 422 naming the offending
 * id; the request body itself was already validated by its schema (400).
 */

const refuse = (message: string, code = "interaction_response_invalid") => ruleViolation(message, undefined, code);

/** The chosen options (the payload's defaults when none were sent), de-duplicated, in payload order. */
export function selectCheckboxOptions(payload: RequestCheckboxConfirmationPayload, sent: readonly string[] | undefined): string[] {
  const known = new Set(payload.options.map((o) => o.id));
  const chosen = new Set<string>();
  for (const id of sent ?? payload.defaultSelectedOptionIds ?? []) {
    if (!known.has(id)) throw refuse(`Unknown checkbox confirmation optionId: ${id}`);
    chosen.add(id);
  }
  const min = payload.minSelected ?? 0;
  if (chosen.size < min) throw refuse(`Select at least ${min} checkbox confirmation option(s)`);
  if (payload.maxSelected != null && chosen.size > payload.maxSelected) {
    throw refuse(`Select no more than ${payload.maxSelected} checkbox confirmation option(s)`);
  }
  return payload.options.filter((o) => chosen.has(o.id)).map((o) => o.id);
}

/**
 * The suggested tasks to create, parents before children, and the keys left out. A selected task
 * needs its whole parent chain selected (a child cannot be created under a task that will not exist).
 */
export function selectSuggestedTasks(
  payload: SuggestTasksPayload,
  sent: readonly string[] | undefined,
): { ordered: SuggestedTask[]; skippedClientKeys: string[] } {
  const byKey = new Map(payload.tasks.map((t) => [t.clientKey, t]));
  const chosen = new Set<string>();
  for (const key of sent ?? payload.tasks.map((t) => t.clientKey)) {
    if (!byKey.has(key)) throw refuse(`Unknown suggested task clientKey: ${key}`);
    chosen.add(key);
  }
  if (chosen.size === 0) throw refuse("Select at least one suggested task to accept");
  for (const key of chosen) {
    // The payload schema refused cycles, so this walk ends within tasks.length steps.
    for (let parent = byKey.get(key)!.parentClientKey, steps = 0; parent && steps <= payload.tasks.length; steps++) {
      if (!chosen.has(parent)) throw refuse(`Suggested task ${key} requires its parent ${parent} to also be selected`);
      parent = byKey.get(parent)?.parentClientKey;
    }
  }
  const ordered: SuggestedTask[] = [];
  const placed = new Set<string>();
  const place = (task: SuggestedTask, depth: number) => {
    if (placed.has(task.clientKey) || depth > payload.tasks.length) return;
    if (task.parentClientKey) place(byKey.get(task.parentClientKey)!, depth + 1);
    placed.add(task.clientKey);
    ordered.push(task);
  };
  for (const task of payload.tasks) if (chosen.has(task.clientKey)) place(task, 0);
  return { ordered, skippedClientKeys: payload.tasks.filter((t) => !chosen.has(t.clientKey)).map((t) => t.clientKey) };
}

export interface NormalizedAnswer {
  questionId: string;
  optionIds: string[];
  otherText?: string;
}

/** Answers in question order; unknown questions/options, duplicates and missing required answers are refused. */
export function normalizeAnswers(payload: AskUserQuestionsPayload, answers: RespondInteractionBody["answers"]): NormalizedAnswer[] {
  const questions = new Map(payload.questions.map((q) => [q.id, q]));
  const byQuestion = new Map<string, NormalizedAnswer>();
  for (const answer of answers) {
    const question = questions.get(answer.questionId);
    if (!question) throw refuse(`Unknown questionId: ${answer.questionId}`);
    if (byQuestion.has(answer.questionId)) throw refuse(`Duplicate answer for questionId: ${answer.questionId}`);
    const optionIds = [...new Set(answer.optionIds)];
    const valid = new Set(question.options.map((o) => o.id));
    for (const id of optionIds) if (!valid.has(id)) throw refuse(`Unknown optionId for question ${answer.questionId}: ${id}`);
    if (question.selectionMode === "single" && optionIds.length > 1) throw refuse(`Question ${answer.questionId} only allows one answer`);
    const otherText = answer.otherText?.trim() ?? "";
    byQuestion.set(answer.questionId, { questionId: answer.questionId, optionIds, ...(otherText ? { otherText } : {}) });
  }
  for (const question of payload.questions) {
    const answer = byQuestion.get(question.id);
    if (question.required && (!answer || (answer.optionIds.length === 0 && !answer.otherText))) {
      throw refuse(`Question ${question.id} requires an answer`);
    }
  }
  return payload.questions.flatMap((q) => (byQuestion.has(q.id) ? [byQuestion.get(q.id)!] : []));
}

/**
 * Merges submitted verdicts into the ones already recorded. An item that already has a verdict
 * keeps it (a resubmission is a no-op); `complete` when every item has one.
 */
export function applyVerdicts(
  payload: RequestItemVerdictsPayload,
  existing: readonly ResolvedVerdictItem[],
  submitted: SubmitVerdictsBody["verdicts"],
  by: { userId?: string; agentId?: string; runId?: string },
  at: string,
): { items: ResolvedVerdictItem[]; complete: boolean; newlyResolvedItemIds: string[] } {
  const known = new Set(payload.items.map((i) => i.id));
  const enabled = new Set(payload.verdicts ?? ["approve", "reject"]);
  const needsReason = new Set(payload.requireReasonOn ?? ["reject"]);
  const resolved = new Map(existing.map((i) => [i.id, i]));
  const newlyResolvedItemIds: string[] = [];
  for (const s of submitted) {
    if (!known.has(s.id)) throw refuse(`Unknown item verdict id: ${s.id}`);
    if (resolved.has(s.id)) continue;
    if (!enabled.has(s.verdict)) throw refuse(`Verdict ${s.verdict} is not enabled for this item verdict request`);
    const reason = s.reason?.trim() ?? "";
    if (needsReason.has(s.verdict) && !reason) throw refuse(`A reason is required when verdict is ${s.verdict}`);
    resolved.set(s.id, {
      id: s.id,
      verdict: s.verdict,
      ...(reason ? { reason } : {}),
      ...(by.userId ? { resolvedByUserId: by.userId } : {}),
      ...(by.agentId ? { resolvedByAgentId: by.agentId } : {}),
      ...(by.runId ? { resolvedByRunId: by.runId } : {}),
      resolvedAt: at,
    });
    newlyResolvedItemIds.push(s.id);
  }
  const items = payload.items.flatMap((i) => (resolved.has(i.id) ? [resolved.get(i.id)!] : []));
  return { items, complete: items.length === payload.items.length, newlyResolvedItemIds };
}
