/**
 * Reading issue-thread interactions for their cards. The server validates every payload strictly
 * on create (packages/contracts/src/interactions.ts); the board imports only those types (the
 * bundle carries the contracts' enums, not their zod schemas), so each reader checks the few
 * fields its card cannot do without and returns null otherwise (the card then shows the raw JSON).
 */
import type {
  AskUserQuestionsPayload,
  ItemVerdict,
  RequestCheckboxConfirmationPayload,
  RequestConfirmationPayload,
  RequestItemVerdictsPayload,
  SuggestTasksPayload,
} from "@staple/contracts";
import type { Comment, Interaction } from "../api/types.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const listOf = (v: unknown): v is Obj[] => Array.isArray(v) && v.every(isObj);

export function confirmationPayload(i: Interaction): RequestConfirmationPayload | null {
  return typeof i.payload.prompt === "string" ? (i.payload as unknown as RequestConfirmationPayload) : null;
}
export function checkboxPayload(i: Interaction): RequestCheckboxConfirmationPayload | null {
  return typeof i.payload.prompt === "string" && listOf(i.payload.options)
    ? (i.payload as unknown as RequestCheckboxConfirmationPayload)
    : null;
}
export function verdictsPayload(i: Interaction): RequestItemVerdictsPayload | null {
  return typeof i.payload.prompt === "string" && listOf(i.payload.items) ? (i.payload as unknown as RequestItemVerdictsPayload) : null;
}
export function questionsPayload(i: Interaction): AskUserQuestionsPayload | null {
  return listOf(i.payload.questions) && i.payload.questions.every((q) => listOf(q.options))
    ? (i.payload as unknown as AskUserQuestionsPayload)
    : null;
}
export function suggestTasksPayload(i: Interaction): SuggestTasksPayload | null {
  return listOf(i.payload.tasks) ? (i.payload as unknown as SuggestTasksPayload) : null;
}

/** The fields of a result the cards read (each kind writes a subset; all optional here). */
export interface InteractionResultView {
  outcome?: string;
  reason?: string | null;
  selectedOptionIds?: string[];
  answers?: { questionId: string; optionIds: string[]; otherText?: string }[];
  summaryMarkdown?: string | null;
  items?: { id: string; verdict: ItemVerdict; reason?: string }[];
  createdTasks?: { clientKey: string; issueId: string; identifier: string | null; title: string }[];
  skippedClientKeys?: string[];
  rejectionReason?: string | null;
  cancellationReason?: string | null;
  expirationReason?: string;
}
export function resultOf(i: Interaction): InteractionResultView {
  return (isObj(i.result) ? i.result : {}) as InteractionResultView;
}

/** Verdicts offered on each item: the payload's list, approve and reject by default. */
export function enabledVerdicts(p: RequestItemVerdictsPayload): ItemVerdict[] {
  return p.verdicts?.length ? [...p.verdicts] : ["approve", "reject"];
}

/** Why a checkbox selection cannot be confirmed yet, or null when it can. */
export function checkboxSelectionProblem(p: RequestCheckboxConfirmationPayload, selected: readonly string[]): string | null {
  const min = p.minSelected ?? 0;
  if (selected.length < min) return `Select at least ${min}.`;
  if (p.maxSelected != null && selected.length > p.maxSelected) return `Select at most ${p.maxSelected}.`;
  return null;
}

export const INTERACTION_KIND_LABELS: Record<Interaction["kind"], string> = {
  request_confirmation: "Confirmation requested",
  request_checkbox_confirmation: "Checklist to confirm",
  request_item_verdicts: "Verdicts requested",
  ask_user_questions: "Questions",
  suggest_tasks: "Suggested tasks",
};

/** Badge tone of an interaction or approval status (the shared statusTone knows run/issue/agent statuses). */
export function decisionTone(status: string): "good" | "bad" | "wait" | "neutral" {
  if (status === "accepted" || status === "answered" || status === "approved") return "good";
  if (status === "rejected") return "bad";
  if (status === "pending" || status === "revision_requested") return "wait";
  return "neutral";
}

export type ThreadEntry = { kind: "comment"; at: string; comment: Comment } | { kind: "interaction"; at: string; interaction: Interaction };

/** Comments and interaction cards in one conversation, by creation time (comments first on a tie: a card usually follows the comment it comes with). */
export function mergeThread(comments: readonly Comment[], interactions: readonly Interaction[]): ThreadEntry[] {
  const entries: ThreadEntry[] = [
    ...comments.map((comment) => ({ kind: "comment" as const, at: comment.createdAt, comment })),
    ...interactions.map((interaction) => ({ kind: "interaction" as const, at: interaction.createdAt, interaction })),
  ];
  const time = (iso: string) => Date.parse(iso) || 0;
  // Array.prototype.sort is stable: equal times keep comments before cards.
  return entries.sort((a, b) => time(a.at) - time(b.at));
}
