import type { Queryable } from "../db/database.js";
import type { Actor } from "../auth/actor.js";
import { recordActivity } from "../activity/record.js";

/**
 * The board decided a `budget_override_required` approval (created by a hard stop, see
 * enforcement.ts). Approved: its open hard incident is `resolved` and the scope the stop paused for
 * budget resumes; a resolved hard incident also lifts the policy's hard stop for the rest of that
 * window (invocation-block.ts), and no new stop fires in it (incidents are once per window).
 * Rejected: the incident is `dismissed` and the scope stays paused.
 *
 * Runs in the decision's transaction. Only scopes paused *for budget* are resumed; a manual pause
 * stays. The incident is found by its approval id, never from the approval's payload.
 */
export async function applyBudgetOverrideDecision(
  q: Queryable,
  approval: { id: string; companyId: string },
  decision: "approved" | "rejected",
  actor: Actor,
): Promise<void> {
  const incidents = await q.query<{ id: string; scopeType: "company" | "agent" | "project"; scopeId: string }>(
    `UPDATE budget_incidents bi SET status = $2, updated_at = now()
       FROM budget_policies p
      WHERE bi.approval_id = $1 AND bi.status = 'open' AND p.id = bi.policy_id
      RETURNING bi.id, p.scope_type, p.scope_id`,
    [approval.id, decision === "approved" ? "resolved" : "dismissed"],
  );
  for (const incident of incidents) {
    let resumed = false;
    if (decision === "approved") {
      const sql =
        incident.scopeType === "agent"
          ? "UPDATE agents SET status = 'idle', pause_reason = NULL, paused_at = NULL, updated_at = now() WHERE id = $1 AND status = 'paused' AND pause_reason = 'budget' RETURNING id"
          : incident.scopeType === "project"
            ? "UPDATE projects SET pause_reason = NULL, paused_at = NULL, updated_at = now() WHERE id = $1 AND pause_reason = 'budget' RETURNING id"
            : "UPDATE companies SET status = 'active', pause_reason = NULL, paused_at = NULL, updated_at = now() WHERE id = $1 AND status = 'paused' AND pause_reason = 'budget' RETURNING id";
      resumed = (await q.query(sql, [incident.scopeId])).length > 0;
    }
    await recordActivity(q, {
      companyId: approval.companyId,
      actor,
      action: decision === "approved" ? "budget.incident_resolved" : "budget.incident_dismissed",
      entityType: "budget_incident",
      entityId: incident.id,
      details: { approvalId: approval.id, scopeType: incident.scopeType, scopeId: incident.scopeId, resumed },
    });
  }
}
