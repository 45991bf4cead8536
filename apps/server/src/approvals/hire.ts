import { CreateAgentBody, type AgentHireBody } from "@staple/contracts";
import type { Database } from "../db/database.js";
import { actorStamp, type Actor } from "../auth/actor.js";
import { recordActivity } from "../activity/record.js";
import type { AgentRow, AgentService } from "../agents/service.js";
import type { CompanyService } from "../companies/service.js";
import type { ApprovalService } from "./service.js";
import { APPROVAL_COLUMNS, type ApprovalRow } from "./rows.js";

/**
 * POST /companies/:companyId/agent-hires. The caller must be allowed to create agents (the board, or
 * an agent with `permissions.canCreateAgents`), with or without the company's approval rule.
 * - `requireBoardApprovalForNewAgents` off: the agent is created directly (status idle).
 * - on: the agent is created `pending_approval` (never woken) together with a pending `hire_agent`
 *   approval whose payload describes the hire and names the agent (`payload.agentId`); approving
 *   activates it, rejecting terminates it (decide.ts). Both rows commit in one transaction.
 */
export function createHireService(_db: Database, companies: CompanyService, agents: AgentService, approvals: ApprovalService) {
  return {
    async hire(actor: Actor, companyId: string, body: AgentHireBody): Promise<{ agent: AgentRow; approval: ApprovalRow | null }> {
      const { sourceIssueId, sourceIssueIds, desiredSkills, instructionsBundle, ...agentFields } = body;
      // Validated like a direct create: unknown or malformed fields are a 400 naming them.
      const agentBody = CreateAgentBody.parse(agentFields);
      const company = await companies.require(companyId);
      if (!company.requireBoardApprovalForNewAgents) {
        return { agent: await agents.create(actor, companyId, agentBody), approval: null };
      }
      const issueIds = [...new Set([...(sourceIssueIds ?? []), ...(sourceIssueId ? [sourceIssueId] : [])])];
      const stamp = actorStamp(actor);
      let approval: ApprovalRow | undefined;
      const agent = await agents.create(actor, companyId, agentBody, {
        pendingApproval: true,
        inTx: async (q, created) => {
          const payload = {
            name: created.name,
            role: created.role,
            title: created.title,
            icon: created.icon ?? null,
            reportsTo: created.reportsTo,
            capabilities: created.capabilities ?? null,
            adapterType: created.adapterType,
            // Secret env values are already masked here (the service presents rows masked).
            adapterConfig: created.adapterConfig,
            runtimeConfig: created.runtimeConfig,
            budgetMonthlyCents: created.budgetMonthlyCents ?? 0,
            permissions: created.permissions,
            metadata: created.metadata ?? null,
            desiredSkills: desiredSkills ?? [],
            ...(instructionsBundle ? { instructionsBundle } : {}),
            agentId: created.id,
            requestedByAgentId: stamp.agentId,
          };
          [approval] = await q.query<ApprovalRow>(
            `INSERT INTO approvals (company_id, type, status, payload, requested_by_agent_id, requested_by_user_id)
             VALUES ($1, 'hire_agent', 'pending', $2::jsonb, $3, $4) RETURNING ${APPROVAL_COLUMNS}`,
            [companyId, JSON.stringify(payload), stamp.agentId, stamp.actorType === "user" ? stamp.actorId : null],
          );
          await approvals.linkIssues(q, actor, approval!, issueIds);
          await recordActivity(q, {
            companyId,
            actor,
            action: "approval.created",
            entityType: "approval",
            entityId: approval!.id,
            details: { type: "hire_agent", linkedAgentId: created.id, issueIds },
          });
        },
      });
      return { agent, approval: approval! };
    },
  };
}
export type HireService = ReturnType<typeof createHireService>;
