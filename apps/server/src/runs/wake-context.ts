import { INTERACTION_WAKE_REASONS } from "@staple/contracts";

/**
 * Pure helpers over a run's context snapshot (the JSON describing why it woke). No I/O here: the
 * enqueue, claim and promotion code call these and are tested through them.
 */
export type WakeContext = Record<string, unknown>;

export const WAKE_COMMENT_IDS_KEY = "wakeCommentIds";
/** Deferred wakes keep the full context of the wake they stand for under this payload key. */
export const DEFERRED_WAKE_CONTEXT_KEY = "_paperclipWakeContext";
/** Timer wakes without an issue share one task key, so they can resume one session. */
export const HEARTBEAT_TASK_KEY = "__heartbeat__";
/** Reasons that need a fresh run even when the same agent's run for the issue is already running. */
const FOLLOWUP_REASONS = new Set(["approval_approved"]);

export const str = (value: unknown): string | null => (typeof value === "string" && value.trim() !== "" ? value : null);
export const obj = (value: unknown): Record<string, unknown> =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

export function wakeCommentIds(context: WakeContext | null | undefined): string[] {
  const list = context?.[WAKE_COMMENT_IDS_KEY];
  return Array.isArray(list) ? list.filter((v): v is string => typeof v === "string" && v !== "") : [];
}

export function deriveTaskKey(context: WakeContext | null | undefined, payload?: Record<string, unknown> | null): string | null {
  return (
    str(context?.taskKey) ??
    str(context?.taskId) ??
    str(context?.issueId) ??
    str(payload?.taskKey) ??
    str(payload?.taskId) ??
    str(payload?.issueId)
  );
}

export function deriveCommentId(context: WakeContext | null | undefined, payload?: Record<string, unknown> | null): string | null {
  return wakeCommentIds(context).at(-1) ?? str(context?.wakeCommentId) ?? str(context?.commentId) ?? str(payload?.commentId);
}

/** Ordered, de-duplicated union of the comment ids of two contexts (plus one more id). */
export function mergeCommentIds(a: WakeContext | null | undefined, b: WakeContext | null | undefined, extra?: string | null): string[] {
  const out: string[] = [];
  const add = (id: string | null | undefined) => {
    if (id && !out.includes(id)) out.push(id);
  };
  for (const ctx of [a, b]) {
    wakeCommentIds(ctx).forEach(add);
    if (ctx && wakeCommentIds(ctx).length === 0) add(str(ctx.wakeCommentId) ?? str(ctx.commentId));
  }
  add(extra);
  return out;
}

export interface WakeInput {
  source: string;
  triggerDetail: string | null;
  reason: string | null;
  payload: Record<string, unknown> | null;
  context?: WakeContext;
}

/**
 * Builds a wake's context: reason, issue/task ids and task key from the payload,
 * the ordered comment-id list with the newest as commentId/wakeCommentId, source and trigger.
 */
export function enrichWakeContext(input: WakeInput): {
  context: WakeContext;
  issueId: string | null;
  taskKey: string | null;
  commentId: string | null;
} {
  const context: WakeContext = { ...(input.context ?? {}) };
  const payload = input.payload ?? {};
  const issueId = str(context.issueId) ?? str(payload.issueId);
  if (!str(context.wakeReason) && input.reason) context.wakeReason = input.reason;
  if (issueId) {
    context.issueId ??= issueId;
    context.taskId ??= issueId;
  }
  const taskKey = deriveTaskKey(context, payload);
  if (taskKey && !str(context.taskKey)) context.taskKey = taskKey;
  const commentIds = mergeCommentIds(context, null, str(payload.commentId));
  if (commentIds.length > 0) {
    const newest = commentIds.at(-1)!;
    context[WAKE_COMMENT_IDS_KEY] = commentIds;
    context.commentId = newest;
    context.wakeCommentId = newest;
  }
  if (!str(context.wakeSource)) context.wakeSource = input.source;
  if (!str(context.wakeTriggerDetail) && input.triggerDetail) context.wakeTriggerDetail = input.triggerDetail;
  if (payload.forceFreshSession === true) context.forceFreshSession = true;
  return { context, issueId: str(context.issueId), taskKey: str(context.taskKey), commentId: deriveCommentId(context) };
}

/** Merges a new wake into an existing run's (or deferred wake's) context; comment ids accumulate. */
export function mergeContexts(existing: unknown, incoming: WakeContext): WakeContext {
  const base = obj(existing);
  const merged: WakeContext = { ...base, ...incoming };
  const ids = mergeCommentIds(base, incoming);
  if (ids.length > 0) {
    merged[WAKE_COMMENT_IDS_KEY] = ids;
    merged.commentId = ids.at(-1);
    merged.wakeCommentId = ids.at(-1);
  }
  return merged;
}

/** A comment interaction (comment, reopen, mention) carrying a comment id. */
export function isInteractionWake(context: WakeContext | null | undefined): boolean {
  const reason = str(context?.wakeReason);
  return Boolean(reason && (INTERACTION_WAKE_REASONS as readonly string[]).includes(reason) && deriveCommentId(context));
}

/** A wake that must not be folded into a run that is already running (it brings new input). */
export function needsFollowupRun(context: WakeContext | null | undefined): boolean {
  return Boolean(deriveCommentId(context)) || FOLLOWUP_REASONS.has(str(context?.wakeReason) ?? "");
}
