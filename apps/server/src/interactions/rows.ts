import type {
  InteractionContinuationPolicy,
  InteractionKind,
  InteractionResolverPolicy,
  InteractionResolverProvenance,
  InteractionStatus,
  IssueInteraction,
} from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import { actorStamp, type Actor } from "../auth/actor.js";
import { recordActivity } from "../activity/record.js";
import { legacyResolverAlias } from "./rules.js";

export const INTERACTION_COLUMNS = `id, company_id, issue_id, kind, status, continuation_policy, requested_resolver_policy,
  effective_resolver_policy, resolver_policy_provenance, idempotency_key, source_comment_id, source_run_id, title, summary,
  created_by_agent_id, created_by_user_id, addressee_agent_id, addressee_user_id, payload, result, resolved_by_agent_id,
  resolved_by_run_id, resolved_by_user_id, resolved_at, created_at, updated_at`;

export interface InteractionRow {
  id: string;
  companyId: string;
  issueId: string;
  kind: InteractionKind;
  status: InteractionStatus;
  continuationPolicy: InteractionContinuationPolicy;
  requestedResolverPolicy: InteractionResolverPolicy;
  effectiveResolverPolicy: InteractionResolverPolicy;
  resolverPolicyProvenance: InteractionResolverProvenance;
  idempotencyKey: string | null;
  sourceCommentId: string | null;
  sourceRunId: string | null;
  title: string | null;
  summary: string | null;
  createdByAgentId: string | null;
  createdByUserId: string | null;
  addresseeAgentId: string | null;
  addresseeUserId: string | null;
  payload: Record<string, unknown>;
  result: Record<string, unknown> | null;
  resolvedByAgentId: string | null;
  resolvedByRunId: string | null;
  resolvedByUserId: string | null;
  resolvedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The API shape: the row plus the policy fields Paperclip reports next to it. */
export function toInteraction(row: InteractionRow): IssueInteraction {
  return {
    ...row,
    resolverPolicy: row.requestedResolverPolicy,
    effectiveResolverPolicySource: "requested",
    legacyResolverPolicyAliases: {
      requested: legacyResolverAlias(row.requestedResolverPolicy),
      effective: legacyResolverAlias(row.effectiveResolverPolicy),
    },
  } as unknown as IssueInteraction;
}

export async function lockInteraction(q: Queryable, id: string): Promise<InteractionRow | undefined> {
  const [row] = await q.query<InteractionRow>(`SELECT ${INTERACTION_COLUMNS} FROM issue_thread_interactions WHERE id = $1 FOR UPDATE`, [
    id,
  ]);
  return row;
}

/**
 * Moves a pending card to its final status. Guarded on `pending`: a card another request resolved
 * meanwhile is left alone and `undefined` comes back. `resolved` stamps the resolver columns.
 */
export async function finishCard(
  q: Queryable,
  id: string,
  status: InteractionStatus,
  result: Record<string, unknown>,
  actor: Actor | "system",
  extra: { payload?: Record<string, unknown> } = {},
): Promise<InteractionRow | undefined> {
  const stamp = actor === "system" ? null : actorStamp(actor);
  const [row] = await q.query<InteractionRow>(
    `UPDATE issue_thread_interactions
        SET status = $2, result = $3::jsonb, payload = COALESCE($4::jsonb, payload), resolved_by_agent_id = $5, resolved_by_run_id = $6,
            resolved_by_user_id = $7, resolved_at = now(), updated_at = now()
      WHERE id = $1 AND status = 'pending' RETURNING ${INTERACTION_COLUMNS}`,
    [
      id,
      status,
      JSON.stringify(result),
      extra.payload ? JSON.stringify(extra.payload) : null,
      stamp?.agentId ?? null,
      stamp?.runId ?? null,
      actor !== "system" && actor.kind === "board" ? actor.userId : null,
    ],
  );
  return row;
}

/**
 * The activity row of a card's state change (Paperclip's `issue.thread_interaction_*` actions, on
 * the issue). The activity trigger announces it on the live feed as `activity.logged`.
 */
export async function recordInteractionActivity(
  q: Queryable,
  actor: Actor | "system",
  row: InteractionRow,
  action: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  await recordActivity(q, {
    companyId: row.companyId,
    actor,
    action: `issue.thread_interaction_${action}`,
    entityType: "issue",
    entityId: row.issueId,
    details: {
      interactionId: row.id,
      interactionKind: row.kind,
      interactionStatus: row.status,
      continuationPolicy: row.continuationPolicy,
      effectiveResolverPolicy: row.effectiveResolverPolicy,
      ...details,
    },
  });
}
