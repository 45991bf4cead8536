import { CreateAgentBody, OPEN_APPROVAL_STATUSES, type DecideApprovalBody } from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { DomainError, notFound, ruleViolation } from "../errors.js";
import type { Actor } from "../auth/actor.js";
import { assertBoard, assertCanSee } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import type { AgentService } from "../agents/service.js";
import type { RunEngine } from "../runs/engine.js";
import { applyBudgetOverrideDecision } from "../budgets/override.js";
import { APPROVAL_COLUMNS, findApproval, linkedIssueIds, type ApprovalRow } from "./rows.js";

export type Decision = "approved" | "rejected" | "revision_requested";

/** Which states each decision may leave. Approve and reject also close a revision request. */
const FROM: Record<Decision, readonly string[]> = {
  approved: OPEN_APPROVAL_STATUSES,
  rejected: OPEN_APPROVAL_STATUSES,
  revision_requested: ["pending"],
};

/** The agent fields a `hire_agent` payload without an agent id may carry (an approval created by hand). */
const HIRE_FIELDS = [
  "name",
  "role",
  "title",
  "icon",
  "capabilities",
  "reportsTo",
  "adapterType",
  "adapterConfig",
  "runtimeConfig",
  "budgetMonthlyCents",
  "metadata",
] as const;

/**
 * The board's decisions (approve, reject, request revision). Each is one transaction: a guarded
 * UPDATE naming the states it may leave, the type's effect (hire: activate or terminate the agent;
 * budget override: resolve the incident and resume the scope), the activity row, and the wake of the
 * requesting agent (`approval_<status>`), which therefore exists iff the decision commits.
 *
 * Repeating the decision an approval already has is a no-op answered with the approval (no second
 * wake); any other decision on a decided approval is a 422 `approval_already_decided`.
 */
export function createApprovalDecisions(db: Database, agents: AgentService, engine: Pick<RunEngine, "wake">) {
  async function wakeRequester(q: Queryable, approval: ApprovalRow, actor: Actor) {
    if (!approval.requestedByAgentId) return;
    const issueIds = await linkedIssueIds(q, approval.id);
    // The wake is issue-scoped only for a linked issue the requester is assigned: a run on someone
    // else's issue would be cancelled at claim (assignee changed), and the decision never delivered.
    const [own] = await q.query<{ issueId: string }>(
      `SELECT l.issue_id FROM issue_approvals l JOIN issues i ON i.id = l.issue_id
        WHERE l.approval_id = $1 AND i.assignee_agent_id = $2 ORDER BY l.created_at, l.issue_id LIMIT 1`,
      [approval.id, approval.requestedByAgentId],
    );
    const primary = own?.issueId ?? null;
    const wakeReason = `approval_${approval.status}`;
    const ids = {
      approvalId: approval.id,
      approvalStatus: approval.status,
      issueIds,
      ...(primary ? { issueId: primary } : { taskKey: `approval:${approval.id}` }),
    };
    try {
      await engine.wake(
        {
          agentId: approval.requestedByAgentId,
          source: "automation",
          triggerDetail: "system",
          reason: wakeReason,
          payload: ids,
          context: { ...ids, ...(primary ? { taskId: primary } : {}), wakeReason, source: `approval.${approval.status}` },
          requestedBy: { type: "user", id: actor.kind === "board" ? actor.userId : null },
        },
        q,
      );
    } catch (error) {
      // A paused, terminated or pending agent is not woken; the decision itself stands.
      if (!(error instanceof DomainError)) throw error;
    }
  }

  /** Inside `q`: the guarded transition, its effect and the wake. `hiredAgentId` names an agent just created for the hire. */
  async function decideIn(
    q: Queryable,
    actor: Actor,
    existing: ApprovalRow,
    decision: Decision,
    note: string | null,
    hiredAgentId?: string,
  ): Promise<ApprovalRow> {
    const [approval] = await q.query<ApprovalRow>(
      `UPDATE approvals SET status = $2, decision_note = $3, decided_by_user_id = $4, decided_at = now(), updated_at = now(),
              payload = CASE WHEN $5::uuid IS NULL THEN payload ELSE coalesce(payload, '{}'::jsonb) || jsonb_build_object('agentId', $5::uuid) END
        WHERE id = $1 AND status = ANY($6::text[]) RETURNING ${APPROVAL_COLUMNS}`,
      [existing.id, decision, note, actor.kind === "board" ? actor.userId : null, hiredAgentId ?? null, FROM[decision]],
    );
    if (!approval) {
      const current = (await findApproval(q, existing.id))!;
      // The hire's agent was created for this decision: roll it back with the lost race.
      if (current.status === decision && !hiredAgentId) return current;
      throw ruleViolation(
        `Approval is ${current.status}; it cannot become ${decision}`,
        { status: current.status },
        "approval_already_decided",
      );
    }
    const hireAgentId = hiredAgentId ?? (typeof approval.payload.agentId === "string" ? approval.payload.agentId : null);
    if (approval.type === "hire_agent" && hireAgentId && decision !== "revision_requested") {
      // Only an agent still waiting for this decision changes: a board that already terminated it keeps it terminated.
      const [agent] = await q.query<{ id: string }>(
        `UPDATE agents SET status = $3, updated_at = now() WHERE id = $1 AND company_id = $2 AND status = 'pending_approval' RETURNING id`,
        [hireAgentId, approval.companyId, decision === "approved" ? "idle" : "terminated"],
      );
      if (agent) {
        await recordActivity(q, {
          companyId: approval.companyId,
          actor,
          action: decision === "approved" ? "agent.hire_approved" : "agent.terminated",
          entityType: "agent",
          entityId: agent.id,
          agentId: agent.id,
          details: { approvalId: approval.id },
        });
      }
    }
    if (approval.type === "budget_override_required" && decision !== "revision_requested") {
      await applyBudgetOverrideDecision(q, approval, decision, actor);
    }
    await recordActivity(q, {
      companyId: approval.companyId,
      actor,
      action: `approval.${decision}`,
      entityType: "approval",
      entityId: approval.id,
      details: { type: approval.type, requestedByAgentId: approval.requestedByAgentId },
    });
    await wakeRequester(q, approval, actor);
    return approval;
  }

  return {
    async decide(actor: Actor, id: string, decision: Decision, body: DecideApprovalBody | undefined): Promise<ApprovalRow> {
      assertBoard(actor);
      const existing = await findApproval(db, id);
      if (!existing) throw notFound("Approval not found");
      assertCanSee(actor, existing.companyId, "Approval");
      const note = body?.decisionNote ?? null;
      const needsAgent =
        decision === "approved" &&
        existing.type === "hire_agent" &&
        typeof existing.payload.agentId !== "string" &&
        FROM.approved.includes(existing.status);
      if (!needsAgent) return db.tx((q) => decideIn(q, actor, existing, decision, note));
      // A hire approval created by hand describes the agent in its payload: create it (validated like
      // a direct create; a bad payload is a 400 and nothing changes) in the decision's transaction.
      const fields = Object.fromEntries(HIRE_FIELDS.filter((k) => existing.payload[k] !== undefined).map((k) => [k, existing.payload[k]]));
      let decided: ApprovalRow | undefined;
      await agents.create(actor, existing.companyId, CreateAgentBody.parse(fields), {
        pendingApproval: true,
        inTx: async (q, agent) => {
          decided = await decideIn(q, actor, existing, decision, note, agent.id);
        },
      });
      return decided!;
    },
  };
}
export type ApprovalDecisions = ReturnType<typeof createApprovalDecisions>;
