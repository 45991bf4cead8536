import {
  CLOSED_ISSUE_STATUSES,
  DEFAULT_CONTINUATION_POLICY,
  type InteractionContinuationPolicy,
  type InteractionKind,
  type InteractionResolverPolicy,
  type InteractionResolverProvenance,
  type InteractionStatus,
} from "@staple/contracts";

/**
 * Pure decisions of the interaction module: who may resolve a card, which action applies to which
 * kind and state, and when a resolution wakes the assignee. No I/O; the service turns a refusal into
 * a DomainError and tests pin these as tables.
 */

export type InteractionAction = "accept" | "reject" | "respond" | "verdicts" | "withdraw" | "cancel" | "skip";

/** The kinds each action applies to; anything else is a 422 naming the kind. */
export const ACTION_KINDS: Readonly<Record<InteractionAction, readonly InteractionKind[] | "any">> = Object.freeze<
  Record<InteractionAction, readonly InteractionKind[] | "any">
>({
  accept: ["request_confirmation", "request_checkbox_confirmation", "suggest_tasks"],
  reject: ["request_confirmation", "request_checkbox_confirmation", "suggest_tasks"],
  respond: ["ask_user_questions"],
  verdicts: ["request_item_verdicts"],
  withdraw: "any",
  cancel: ["ask_user_questions"],
  skip: "any",
});

/** A refusal: the HTTP layer maps `kind` (403 forbidden, 409 conflict, 422 rule) and sends `code`. */
export interface Refusal {
  kind: "forbidden" | "conflict" | "rule_violation";
  code: string;
  message: string;
}

export const isClosedIssueStatus = (status: string) => (CLOSED_ISSUE_STATUSES as readonly string[]).includes(status);

/** Why a card that is no longer pending cannot be acted on, read from its result (Paperclip's codes). */
export function terminalRefusal(result: unknown): Refusal {
  const outcome = result && typeof result === "object" ? (result as { outcome?: unknown }).outcome : undefined;
  if (outcome === "stale_target") return { kind: "conflict", code: "interaction_stale_target", message: "Interaction target is stale" };
  if (outcome === "superseded_by_comment" || outcome === "superseded_by_newer_request") {
    return { kind: "conflict", code: "interaction_superseded", message: "Interaction has been superseded" };
  }
  if (outcome === "issue_closed") return ISSUE_CLOSED;
  return { kind: "conflict", code: "interaction_already_resolved", message: "Interaction has already been resolved" };
}

const ISSUE_CLOSED: Refusal = {
  kind: "conflict",
  code: "interaction_issue_closed",
  message: "Interaction is no longer actionable because the issue is closed",
};

/**
 * Whether `action` may run on a card of `kind` in `status` on an issue in `issueStatus`. Order: a
 * closed issue, then a card that already ended, then an action that does not fit the kind.
 */
export function actionRefusal(
  action: InteractionAction,
  card: { kind: InteractionKind; status: InteractionStatus; result: unknown },
  issueStatus: string,
): Refusal | null {
  if (isClosedIssueStatus(issueStatus)) return ISSUE_CLOSED;
  if (card.status !== "pending") return terminalRefusal(card.result);
  const kinds = ACTION_KINDS[action];
  if (kinds !== "any" && !kinds.includes(card.kind)) {
    return {
      kind: "rule_violation",
      code: "interaction_kind_mismatch",
      message: `Interactions of kind ${card.kind} cannot be handled by ${action}`,
    };
  }
  return null;
}

export type ResolverActor = { kind: "board"; userId: string } | { kind: "agent"; agentId: string; runId: string | null };

export interface AudienceFacts {
  effectiveResolverPolicy: InteractionResolverPolicy;
  createdByAgentId: string | null;
  createdByUserId: string | null;
  sourceRunId: string | null;
  addresseeAgentId: string | null;
  addresseeUserId: string | null;
}

/**
 * May `actor` resolve (accept, reject, respond, submit verdicts on) this card? `human_only` excludes
 * agents; `not_creator` excludes the creating user, the creating agent and the creating run; an
 * addressed card is for its addressee (a board user may always answer an agent-addressed card).
 * An agent must act from a run so the resolution is attributable.
 */
export function resolverRefusal(card: AudienceFacts, actor: ResolverActor): Refusal | null {
  const notCreator = card.effectiveResolverPolicy === "not_creator";
  if (actor.kind === "board") {
    if (card.addresseeUserId && card.addresseeUserId !== actor.userId) {
      return {
        kind: "forbidden",
        code: "interaction_addressee_mismatch",
        message: "Only the addressed user may resolve this issue-thread interaction",
      };
    }
    if (notCreator && card.createdByUserId === actor.userId) {
      return {
        kind: "forbidden",
        code: "interaction_creator_excluded",
        message: "This issue-thread interaction requires a resolver other than its creator",
      };
    }
    return null;
  }
  if (!actor.runId) {
    return {
      kind: "rule_violation",
      code: "interaction_run_attribution_required",
      message: "A valid authenticated agent run is required to resolve this issue-thread interaction",
    };
  }
  if (card.effectiveResolverPolicy === "human_only") {
    return { kind: "forbidden", code: "interaction_human_only", message: "This issue-thread interaction is human-only" };
  }
  if (card.addresseeUserId) {
    return {
      kind: "forbidden",
      code: "interaction_addressee_mismatch",
      message: "This issue-thread interaction is addressed to a specific user",
    };
  }
  if (card.addresseeAgentId && card.addresseeAgentId !== actor.agentId) {
    return {
      kind: "forbidden",
      code: "interaction_addressee_mismatch",
      message: "Only the addressed agent or a board user may resolve this issue-thread interaction",
    };
  }
  if (notCreator && (card.createdByAgentId === actor.agentId || (card.sourceRunId !== null && card.sourceRunId === actor.runId))) {
    return {
      kind: "forbidden",
      code: "interaction_creator_excluded",
      message: "This issue-thread interaction requires a resolver other than its creator or creating run",
    };
  }
  return null;
}

/** Withdrawing is for the board, the creating agent, or the issue's current assignee agent. */
export function withdrawRefusal(
  card: { createdByAgentId: string | null },
  issue: { assigneeAgentId: string | null },
  actor: ResolverActor,
): Refusal | null {
  if (actor.kind === "board") return null;
  if (card.createdByAgentId === actor.agentId || issue.assigneeAgentId === actor.agentId) return null;
  return {
    kind: "forbidden",
    code: "interaction_withdraw_forbidden",
    message: "Only the interaction creator, current issue assignee, or a board user may withdraw it",
  };
}

/** The stored policy for a create: canonical value, and whether the caller chose it. */
export function normalizeResolverPolicy(input: string | undefined): {
  policy: InteractionResolverPolicy;
  provenance: InteractionResolverProvenance;
} {
  if (input === undefined) return { policy: "anyone", provenance: "inherited" };
  if (input === "board_or_agents") return { policy: "anyone", provenance: "explicit" };
  if (input === "board_only") return { policy: "human_only", provenance: "explicit" };
  return { policy: input as InteractionResolverPolicy, provenance: "explicit" };
}

/** Paperclip's deprecated name for a canonical policy (shown next to it in answers). */
export function legacyResolverAlias(policy: InteractionResolverPolicy): string | null {
  if (policy === "anyone") return "board_or_agents";
  if (policy === "human_only") return "board_only";
  return null;
}

export function continuationPolicyFor(
  kind: InteractionKind,
  requested: InteractionContinuationPolicy | undefined,
): InteractionContinuationPolicy {
  return requested ?? DEFAULT_CONTINUATION_POLICY[kind];
}

/**
 * Does this resolution wake the issue's assignee (the continuation)? Never for a closed issue, an
 * issue without an agent assignee, or an expired card. `wake_assignee` wakes on every resolution,
 * `wake_assignee_on_accept` on an acceptance or an answer. A rejected confirmation of the issue's
 * own `plan` document always wakes: "request changes" must reach the plan's author.
 */
export function continuationWakes(input: {
  policy: InteractionContinuationPolicy;
  kind: InteractionKind;
  status: InteractionStatus;
  issueStatus: string;
  assigneeAgentId: string | null;
  rejectedOwnPlan: boolean;
}): boolean {
  if (!input.assigneeAgentId || isClosedIssueStatus(input.issueStatus) || input.status === "expired") return false;
  if (input.policy === "wake_assignee") return true;
  if (input.policy === "wake_assignee_on_accept" && (input.status === "accepted" || input.status === "answered")) return true;
  return input.status === "rejected" && input.kind === "request_confirmation" && input.rejectedOwnPlan;
}
