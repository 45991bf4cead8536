import { isDeepStrictEqual } from "node:util";
import {
  COMMENT_SUPERSEDABLE_INTERACTION_KINDS,
  INTERACTION_PAYLOADS,
  isUuid,
  NON_INVOKABLE_AGENT_STATUSES,
  TARGET_BOUND_INTERACTION_KINDS,
  type AcceptInteractionBody,
  type CreateInteractionBody,
  type InteractionReasonBody,
  type IssueInteraction,
  type RespondInteractionBody,
  type SubmitVerdictsBody,
} from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { DomainError, conflict, ruleViolation, unauthenticated } from "../errors.js";
import { actorStamp, type Actor } from "../auth/actor.js";
import type { IssueService } from "../issues/service.js";
import { findIssue, type IssueRow } from "../issues/rows.js";
import type { IssueMutationHooks } from "../issues/hooks.js";
import type { RunEngine } from "../runs/engine.js";
import { agentWriteRedactor } from "../secrets/agent-writes.js";
import { administrativeResult, expireForClosedIssue } from "./lifecycle.js";
import { applyVerdicts, normalizeAnswers, selectCheckboxOptions, selectSuggestedTasks } from "./responses.js";
import { finishCard, INTERACTION_COLUMNS, lockInteraction, recordInteractionActivity, toInteraction, type InteractionRow } from "./rows.js";
import {
  actionRefusal,
  continuationPolicyFor,
  continuationWakes,
  isClosedIssueStatus,
  normalizeResolverPolicy,
  resolverRefusal,
  withdrawRefusal,
  type InteractionAction,
  type Refusal,
  type ResolverActor,
} from "./rules.js";
import { createSuggestedTasks } from "./suggested-tasks.js";

/** Partial verdict submissions within this window share one assignee wake. */
const VERDICT_WAKE_WINDOW_MS = 2_000;

const notFoundInteraction = () => new DomainError("not_found", "Interaction not found", undefined, "interaction_not_found");
const fail = (r: Refusal, details?: unknown) => new DomainError(r.kind, r.message, details, r.code);
const resolverOf = (actor: Actor): ResolverActor =>
  actor.kind === "board" ? { kind: "board", userId: actor.userId } : { kind: "agent", agentId: actor.agentId, runId: actor.runId };

type Target = {
  type?: string;
  issueId?: string | null;
  documentId?: string | null;
  key?: string;
  revisionId?: string;
  revisionNumber?: number | null;
};
const targetOf = (payload: Record<string, unknown>): Target | null =>
  payload.target && typeof payload.target === "object" ? (payload.target as Target) : null;

/** What a resolving action did: the card after it, its activity, and how (if at all) it wakes the assignee. */
interface Outcome {
  row: InteractionRow;
  activity: string | null;
  details?: Record<string, unknown>;
  wake: { source: string; newlyResolvedItemIds?: string[] } | null;
}

export function createInteractionService(
  db: Database,
  issues: IssueService,
  engine: Pick<RunEngine, "wake">,
  issueHooks: Pick<IssueMutationHooks, "afterCreate">,
) {
  async function continuation(q: Queryable, issue: IssueRow, row: InteractionRow, actor: Actor, wake: NonNullable<Outcome["wake"]>) {
    const target = targetOf(row.payload);
    const rejectedOwnPlan = target?.type === "issue_document" && target.key === "plan" && (target.issueId ?? row.issueId) === issue.id;
    const wakes = continuationWakes({
      policy: row.continuationPolicy,
      kind: row.kind,
      status: row.status,
      issueStatus: issue.status,
      assigneeAgentId: issue.assigneeAgentId,
      rejectedOwnPlan,
    });
    if (!wakes || !issue.assigneeAgentId) return;
    const ids = {
      issueId: issue.id,
      interactionId: row.id,
      interactionKind: row.kind,
      interactionStatus: row.status,
      sourceCommentId: row.sourceCommentId,
      sourceRunId: row.sourceRunId,
    };
    const selected = row.kind === "request_checkbox_confirmation" && row.status === "accepted" ? row.result?.selectedOptionIds : undefined;
    const extra = {
      ...(selected ? { checkboxSelection: { selectedOptionIds: selected } } : {}),
      ...(wake.newlyResolvedItemIds
        ? {
            itemVerdicts: { newlyResolvedItemIds: wake.newlyResolvedItemIds, coalesceWindowMs: VERDICT_WAKE_WINDOW_MS },
            newlyResolvedItemIds: wake.newlyResolvedItemIds,
          }
        : {}),
    };
    const stamp = actorStamp(actor);
    try {
      await engine.wake(
        {
          agentId: issue.assigneeAgentId,
          source: "automation",
          triggerDetail: "system",
          // Paperclip delivers an interaction's resolution as a comment-style wake of the assignee.
          reason: "issue_commented",
          payload: { ...ids, ...extra, mutation: "interaction" },
          context: { ...ids, taskId: issue.id, ...extra, wakeReason: "issue_commented", source: wake.source },
          idempotencyKey: wake.newlyResolvedItemIds
            ? `request_item_verdicts:${issue.id}:${row.id}:${Math.floor(Date.now() / VERDICT_WAKE_WINDOW_MS)}`
            : `interaction:${row.id}:${row.status}`,
          requestedBy: { type: stamp.actorType, id: stamp.actorId },
        },
        q,
      );
    } catch (error) {
      // A paused or terminated assignee is simply not woken; the resolution stands.
      if (!(error instanceof DomainError)) throw error;
    }
  }

  /**
   * One resolving action: lock the issue row (the order every issue write uses), then the card;
   * check who may act, then whether the action fits the card's kind and state; run it; record the
   * activity; wake the assignee when the continuation policy says so. All in one transaction.
   */
  async function act(
    actor: Actor,
    issueRef: string,
    interactionId: string,
    action: InteractionAction,
    run: (q: Queryable, issue: IssueRow, row: InteractionRow) => Promise<Outcome>,
    early?: (issue: IssueRow, row: InteractionRow) => IssueInteraction | null,
  ): Promise<IssueInteraction> {
    const visible = await issues.visibleIssue(actor, issueRef);
    if (!isUuid(interactionId)) throw notFoundInteraction();
    return db.tx(async (q) => {
      const issue = (await findIssue(q, visible.id, true))!;
      const row = await lockInteraction(q, interactionId);
      if (!row || row.issueId !== issue.id) throw notFoundInteraction();
      const who = resolverOf(actor);
      const audience =
        action === "withdraw"
          ? withdrawRefusal(row, issue, who)
          : action === "skip" || action === "cancel"
            ? null
            : resolverRefusal(row, who);
      if (audience) throw fail(audience, { effectiveResolverPolicy: row.effectiveResolverPolicy });
      const shortcut = early?.(issue, row);
      if (shortcut) return shortcut;
      const refusal = actionRefusal(action, row, issue.status);
      if (refusal) throw fail(refusal);
      const outcome = await run(q, issue, row);
      if (outcome.activity) await recordInteractionActivity(q, actor, outcome.row, outcome.activity, outcome.details);
      if (outcome.wake) await continuation(q, issue, outcome.row, actor, outcome.wake);
      return toInteraction(outcome.row);
    });
  }

  async function finish(
    q: Queryable,
    row: InteractionRow,
    status: InteractionRow["status"],
    result: Record<string, unknown>,
    actor: Actor,
  ) {
    const done = await finishCard(q, row.id, status, result, actor);
    // The card row is locked by this transaction, so the guarded update cannot lose a race.
    if (!done) throw fail({ kind: "conflict", code: "interaction_already_resolved", message: "Interaction has already been resolved" });
    return done;
  }

  async function validateCreate(q: Queryable, issue: IssueRow, body: CreateInteractionBody, actor: Actor) {
    if (body.addresseeAgentId && body.addresseeUserId) {
      throw ruleViolation(
        "An issue-thread interaction cannot address both an agent and a user",
        undefined,
        "interaction_addressee_invalid",
      );
    }
    if (body.addresseeAgentId) {
      if (actor.kind === "agent" && body.addresseeAgentId === actor.agentId) {
        throw ruleViolation("Agents cannot address issue-thread interactions to themselves", undefined, "interaction_addressee_invalid");
      }
      const [agent] = await q.query<{ companyId: string; status: string }>("SELECT company_id, status FROM agents WHERE id = $1", [
        body.addresseeAgentId,
      ]);
      if (!agent || agent.companyId !== issue.companyId) {
        throw ruleViolation("addresseeAgentId must belong to the same company", undefined, "interaction_addressee_invalid");
      }
      if ((NON_INVOKABLE_AGENT_STATUSES as readonly string[]).includes(agent.status)) {
        throw ruleViolation(
          "addresseeAgentId must reference an invokable agent",
          { status: agent.status },
          "interaction_addressee_invalid",
        );
      }
    }
    if (body.sourceCommentId) {
      const [comment] = await q.query("SELECT 1 FROM issue_comments WHERE id = $1 AND issue_id = $2", [body.sourceCommentId, issue.id]);
      if (!comment)
        throw ruleViolation("sourceCommentId must belong to the same issue and company", undefined, "interaction_source_invalid");
    }
    if (actor.kind === "board" && body.sourceRunId) {
      const [run] = await q.query("SELECT 1 FROM heartbeat_runs WHERE id = $1 AND company_id = $2", [body.sourceRunId, issue.companyId]);
      if (!run) throw ruleViolation("sourceRunId must belong to the same company", undefined, "interaction_source_invalid");
    }
    const target = targetOf(body.payload as Record<string, unknown>);
    if (target?.type === "issue_document" && (TARGET_BOUND_INTERACTION_KINDS as readonly string[]).includes(body.kind)) {
      // Locks the document: a revision landing concurrently waits, then finds this card and stales it.
      const [doc] = await q.query<{ documentId: string; latestRevisionId: string; latestRevisionNumber: number }>(
        `SELECT doc.id AS document_id, doc.latest_revision_id, doc.latest_revision_number
           FROM issue_documents d JOIN documents doc ON doc.id = d.document_id
          WHERE d.company_id = $1 AND d.issue_id = $2 AND d.key = $3 FOR UPDATE OF doc`,
        [issue.companyId, target.issueId ?? issue.id, target.key],
      );
      const current =
        doc &&
        doc.latestRevisionId === target.revisionId &&
        (!target.documentId || target.documentId === doc.documentId) &&
        (target.revisionNumber == null || target.revisionNumber === doc.latestRevisionNumber);
      if (!current) {
        throw ruleViolation(
          `${body.kind} target must reference the current issue document revision`,
          {
            key: target.key,
            currentRevisionId: doc?.latestRevisionId ?? null,
            currentRevisionNumber: doc?.latestRevisionNumber ?? null,
          },
          "interaction_target_not_current",
        );
      }
    }
  }

  /** An agent's new confirmation or question card replaces its own still-pending ones of that kind. */
  async function supersedeSiblings(q: Queryable, created: InteractionRow, actor: Actor) {
    if (actor.kind !== "agent" || (created.kind !== "request_confirmation" && created.kind !== "ask_user_questions")) return;
    const siblings = await q.query<InteractionRow>(
      `SELECT ${INTERACTION_COLUMNS} FROM issue_thread_interactions
        WHERE issue_id = $1 AND kind = $2 AND created_by_agent_id = $3 AND status = 'pending' AND id <> $4 FOR UPDATE`,
      [created.issueId, created.kind, actor.agentId, created.id],
    );
    for (const sibling of siblings) {
      const result =
        sibling.kind === "ask_user_questions"
          ? {
              version: 1,
              answers: [],
              expirationReason: "superseded_by_newer_interaction",
              supersededByInteractionId: created.id,
              summaryMarkdown: null,
            }
          : { version: 1, outcome: "superseded_by_newer_request", supersededByInteractionId: created.id };
      const done = await finishCard(q, sibling.id, "expired", result, actor);
      if (done)
        await recordInteractionActivity(q, actor, done, "expired", {
          outcome: "superseded_by_newer_request",
          supersededByInteractionId: created.id,
        });
    }
  }

  return {
    /** The issue's cards, oldest first. A closed issue's leftover pending cards are expired first. */
    async list(actor: Actor, issueRef: string): Promise<IssueInteraction[]> {
      const issue = await issues.visibleIssue(actor, issueRef);
      if (isClosedIssueStatus(issue.status)) {
        await db.tx(async (q) => {
          const locked = (await findIssue(q, issue.id, true))!;
          if (isClosedIssueStatus(locked.status)) await expireForClosedIssue(q, locked, "system");
        });
      }
      const rows = await db.query<InteractionRow>(
        `SELECT ${INTERACTION_COLUMNS} FROM issue_thread_interactions WHERE issue_id = $1 ORDER BY created_at, id LIMIT 1000`,
        [issue.id],
      );
      return rows.map(toInteraction);
    },

    /**
     * Creates a pending card. With an idempotencyKey already used on this issue, the same request
     * gets the existing card back (`replayed`); a different request under that key is a 409.
     */
    async create(
      actor: Actor,
      issueRef: string,
      sent: CreateInteractionBody,
    ): Promise<{ interaction: IssueInteraction; replayed: boolean }> {
      const visible = await issues.visibleIssue(actor, issueRef);
      if (actor.kind === "agent" && !actor.runId) throw unauthenticated("Agent run id required", "agent_run_id_required");
      const redactor = await agentWriteRedactor(db, actor, visible.companyId, [sent.title, sent.summary, sent.payload]);
      const payload: Record<string, unknown> = redactor.deep({ ...sent.payload }) as Record<string, unknown>;
      if ((COMMENT_SUPERSEDABLE_INTERACTION_KINDS as readonly string[]).includes(sent.kind)) payload.supersedeOnUserComment ??= true;
      const body = { ...sent, title: redactor.text(sent.title), summary: redactor.text(sent.summary), payload } as CreateInteractionBody;
      // Redaction may have changed strings the payload schema bounds; re-check the stored shape.
      INTERACTION_PAYLOADS[body.kind].parse(payload);
      const { policy, provenance } = normalizeResolverPolicy(body.resolverPolicy);
      const continuationPolicy = continuationPolicyFor(body.kind, body.continuationPolicy);
      const stamp = actorStamp(actor);
      const sourceRunId = actor.kind === "agent" ? actor.runId : (body.sourceRunId ?? null);
      const createdByUserId = actor.kind === "board" ? actor.userId : null;

      return db.tx(async (q) => {
        const issue = (await findIssue(q, visible.id, true))!;
        if (body.idempotencyKey) {
          const [existing] = await q.query<InteractionRow>(
            `SELECT ${INTERACTION_COLUMNS} FROM issue_thread_interactions WHERE company_id = $1 AND issue_id = $2 AND idempotency_key = $3`,
            [issue.companyId, issue.id, body.idempotencyKey],
          );
          if (existing) {
            const same =
              existing.kind === body.kind &&
              existing.requestedResolverPolicy === policy &&
              existing.continuationPolicy === continuationPolicy &&
              existing.createdByAgentId === stamp.agentId &&
              existing.createdByUserId === createdByUserId &&
              existing.addresseeAgentId === (body.addresseeAgentId ?? null) &&
              existing.addresseeUserId === (body.addresseeUserId ?? null) &&
              existing.title === (body.title ?? null) &&
              existing.summary === (body.summary ?? null) &&
              isDeepStrictEqual(existing.payload, JSON.parse(JSON.stringify(payload)));
            if (!same) {
              throw conflict(
                "Interaction idempotency key already exists for a different request",
                { idempotencyKey: body.idempotencyKey, interactionId: existing.id },
                "interaction_idempotency_conflict",
              );
            }
            return { interaction: toInteraction(existing), replayed: true };
          }
        }
        if (isClosedIssueStatus(issue.status))
          throw conflict("Cannot create an interaction on a closed issue", { status: issue.status }, "interaction_issue_closed");
        await validateCreate(q, issue, body, actor);
        // The issue row lock serialises creates on this issue, so the idempotency check above cannot race.
        const [row] = await q.query<InteractionRow>(
          `INSERT INTO issue_thread_interactions (company_id, issue_id, kind, continuation_policy, requested_resolver_policy,
             effective_resolver_policy, resolver_policy_provenance, idempotency_key, source_comment_id, source_run_id, title, summary,
             created_by_agent_id, created_by_user_id, addressee_agent_id, addressee_user_id, payload)
           VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb) RETURNING ${INTERACTION_COLUMNS}`,
          [
            issue.companyId,
            issue.id,
            body.kind,
            continuationPolicy,
            policy,
            provenance,
            body.idempotencyKey ?? null,
            body.sourceCommentId ?? null,
            sourceRunId,
            body.title ?? null,
            body.summary ?? null,
            stamp.agentId,
            createdByUserId,
            body.addresseeAgentId ?? null,
            body.addresseeUserId ?? null,
            JSON.stringify(payload),
          ],
        );
        await supersedeSiblings(q, row!, actor);
        await q.query("UPDATE issues SET updated_at = now() WHERE id = $1", [issue.id]);
        await recordInteractionActivity(q, actor, row!, "created", {
          requestedResolverPolicy: policy,
          resolverPolicyProvenance: provenance,
          addresseeAgentId: row!.addresseeAgentId,
          addresseeUserId: row!.addresseeUserId,
        });
        if (row!.addresseeAgentId) {
          try {
            const ids = {
              issueId: issue.id,
              interactionId: row!.id,
              interactionKind: row!.kind,
              sourceCommentId: row!.sourceCommentId,
              sourceRunId: row!.sourceRunId,
            };
            await engine.wake(
              {
                agentId: row!.addresseeAgentId,
                source: "automation",
                triggerDetail: "system",
                reason: "interaction_pending",
                payload: { ...ids, mutation: "interaction" },
                context: { ...ids, taskId: issue.id, wakeReason: "interaction_pending", source: "issue.interaction.created" },
                idempotencyKey: `interaction-pending:${row!.id}`,
                requestedBy: { type: stamp.actorType, id: stamp.actorId },
              },
              q,
            );
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
          }
        }
        return { interaction: toInteraction(row!), replayed: false };
      });
    },

    accept(actor: Actor, issueRef: string, id: string, body: AcceptInteractionBody) {
      return act(actor, issueRef, id, "accept", async (q, issue, row) => {
        if (body.rememberAction)
          throw ruleViolation("Remembered permission is only supported for tool reviews", undefined, "interaction_remember_unsupported");
        let result: Record<string, unknown>;
        let details: Record<string, unknown> = {};
        if (row.kind === "suggest_tasks") {
          const payload = INTERACTION_PAYLOADS.suggest_tasks.parse(row.payload);
          const { ordered, skippedClientKeys } = selectSuggestedTasks(payload, body.selectedClientKeys);
          const createdTasks = await createSuggestedTasks(q, issue, payload, ordered, actor, issueHooks.afterCreate);
          result = { version: 1, createdTasks, ...(skippedClientKeys.length ? { skippedClientKeys } : {}) };
          details = { createdTaskCount: createdTasks.length, skippedTaskCount: skippedClientKeys.length };
        } else if (row.kind === "request_checkbox_confirmation") {
          const selectedOptionIds = selectCheckboxOptions(
            INTERACTION_PAYLOADS.request_checkbox_confirmation.parse(row.payload),
            body.selectedOptionIds,
          );
          result = { version: 1, outcome: "accepted", selectedOptionIds };
        } else {
          result = { version: 1, outcome: "accepted" };
        }
        return {
          row: await finish(q, row, "accepted", result, actor),
          activity: "accepted",
          details,
          wake: { source: "issue.interaction.accept" },
        };
      });
    },

    reject(actor: Actor, issueRef: string, id: string, body: InteractionReasonBody) {
      return act(actor, issueRef, id, "reject", async (q, _issue, row) => {
        const reason = body.reason?.trim() || null;
        let result: Record<string, unknown>;
        if (row.kind === "suggest_tasks") {
          result = { version: 1, rejectionReason: reason };
        } else {
          if (row.payload.rejectRequiresReason === true && !reason) {
            throw ruleViolation("A decline reason is required for this confirmation", undefined, "interaction_reason_required");
          }
          result = { version: 1, outcome: "rejected", reason };
        }
        return {
          row: await finish(q, row, "rejected", result, actor),
          activity: "rejected",
          details: { rejectionReason: reason },
          wake: { source: "issue.interaction.reject" },
        };
      });
    },

    respond(actor: Actor, issueRef: string, id: string, body: RespondInteractionBody) {
      return act(actor, issueRef, id, "respond", async (q, _issue, row) => {
        const answers = normalizeAnswers(INTERACTION_PAYLOADS.ask_user_questions.parse(row.payload), body.answers);
        const result = { version: 1, answers, summaryMarkdown: body.summaryMarkdown ?? null };
        return {
          row: await finish(q, row, "answered", result, actor),
          activity: "answered",
          details: { answeredQuestionCount: answers.length },
          wake: { source: "issue.interaction.respond" },
        };
      });
    },

    verdicts(actor: Actor, issueRef: string, id: string, body: SubmitVerdictsBody) {
      return act(
        actor,
        issueRef,
        id,
        "verdicts",
        async (q, _issue, row) => {
          const payload = INTERACTION_PAYLOADS.request_item_verdicts.parse(row.payload);
          const stamp = actorStamp(actor);
          const existing = Array.isArray(row.result?.items) ? (row.result!.items as never[]) : [];
          const by = {
            userId: actor.kind === "board" ? actor.userId : undefined,
            agentId: stamp.agentId ?? undefined,
            runId: stamp.runId ?? undefined,
          };
          const merged = applyVerdicts(payload, existing, body.verdicts, by, new Date().toISOString());
          if (merged.newlyResolvedItemIds.length === 0) return { row, activity: null, wake: null };
          const result = { version: 1, outcome: "resolved", complete: merged.complete, items: merged.items };
          let next: InteractionRow;
          if (merged.complete) {
            next = await finish(q, row, "answered", result, actor);
          } else {
            [next] = (await q.query<InteractionRow>(
              `UPDATE issue_thread_interactions SET result = $2::jsonb, updated_at = now() WHERE id = $1 AND status = 'pending' RETURNING ${INTERACTION_COLUMNS}`,
              [row.id, JSON.stringify(result)],
            )) as [InteractionRow];
          }
          return {
            row: next,
            activity: "item_verdicts_submitted",
            details: { newlyResolvedItemIds: merged.newlyResolvedItemIds, complete: merged.complete },
            wake: { source: "issue.interaction.verdicts", newlyResolvedItemIds: merged.newlyResolvedItemIds },
          };
        },
        // Resubmitting verdicts already recorded on an answered card is a no-op, not an error.
        (issue, row) => {
          if (row.kind !== "request_item_verdicts" || row.status !== "answered" || isClosedIssueStatus(issue.status)) return null;
          const known = new Set((row.payload.items as { id: string }[]).map((i) => i.id));
          const resolved = new Set(((row.result?.items as { id: string }[]) ?? []).map((i) => i.id));
          for (const v of body.verdicts) {
            if (!known.has(v.id)) throw ruleViolation(`Unknown item verdict id: ${v.id}`, undefined, "interaction_response_invalid");
            if (!resolved.has(v.id)) return null;
          }
          return toInteraction(row);
        },
      );
    },

    withdraw(actor: Actor, issueRef: string, id: string, body: InteractionReasonBody) {
      return act(actor, issueRef, id, "withdraw", async (q, issue, row) => {
        const reason = body.reason?.trim() || null;
        const done = await finish(q, row, "cancelled", administrativeResult(row, "withdrawn", { reason }), actor);
        // The assignee withdrawing its own waiting card does not wake itself.
        const selfWithdrawal = actor.kind === "agent" && actor.agentId === issue.assigneeAgentId;
        return {
          row: done,
          activity: "withdrawn",
          details: { reason },
          wake: selfWithdrawal ? null : { source: "issue.interaction.withdraw" },
        };
      });
    },

    cancel(actor: Actor, issueRef: string, id: string, body: InteractionReasonBody) {
      return act(actor, issueRef, id, "cancel", async (q, _issue, row) => {
        const reason = body.reason?.trim() || null;
        const result = { version: 1, answers: [], cancelled: true, cancellationReason: reason, summaryMarkdown: null };
        return {
          row: await finish(q, row, "cancelled", result, actor),
          activity: "cancelled",
          details: { cancellationReason: reason },
          wake: { source: "issue.interaction.cancel" },
        };
      });
    },

    /** The board sets a card aside; no continuation (a later comment steers the agent instead). */
    skip(actor: Actor, issueRef: string, id: string, body: InteractionReasonBody) {
      return act(actor, issueRef, id, "skip", async (q, _issue, row) => {
        const reason = body.reason?.trim() || null;
        const extra = row.kind === "ask_user_questions" ? { reason, cancelled: true, cancellationReason: reason } : { reason };
        return {
          row: await finish(q, row, "cancelled", administrativeResult(row, "skipped", extra), actor),
          activity: "skipped",
          details: { reason },
          wake: null,
        };
      });
    },
  };
}
export type InteractionService = ReturnType<typeof createInteractionService>;
