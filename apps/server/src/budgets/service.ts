import { z } from "zod";
import { isUuid, NonNegativeInt4, Uuid } from "@staple/contracts";
import type { Database } from "../db/database.js";
import { notFound } from "../errors.js";
import type { Actor } from "../auth/actor.js";
import { assertBoard, assertCompanyAccess } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";

export const CreateBudgetPolicyBody = z.strictObject({
  scopeType: z.enum(["company", "agent", "project"]),
  scopeId: Uuid.optional(),
  windowKind: z.enum(["calendar_month_utc", "lifetime"]).optional(),
  amount: NonNegativeInt4,
  warnPercent: z.number().int().min(1).max(100).optional(),
  hardStopEnabled: z.boolean().optional(),
  notifyEnabled: z.boolean().optional(),
});
export type CreateBudgetPolicyBody = z.infer<typeof CreateBudgetPolicyBody>;

const POLICY_COLUMNS = `id, company_id, scope_type, scope_id, metric, window_kind, amount, warn_percent, hard_stop_enabled, notify_enabled,
  is_active, created_at, updated_at`;

/**
 * Budget policies of a company (docs/budgets.md#policies-and-windows): company, agent or project
 * scope; month or lifetime.
 */
export function createBudgetService(db: Database) {
  return {
    async listPolicies(actor: Actor, companyId: string) {
      assertCompanyAccess(actor, companyId);
      return db.query(`SELECT ${POLICY_COLUMNS} FROM budget_policies WHERE company_id = $1 ORDER BY created_at, id`, [companyId]);
    },
    async listIncidents(actor: Actor, companyId: string) {
      assertCompanyAccess(actor, companyId);
      return db.query(
        `SELECT id, policy_id, window_start, threshold_type, amount, observed, status, approval_id, created_at FROM budget_incidents
          WHERE company_id = $1 ORDER BY created_at DESC LIMIT 200`,
        [companyId],
      );
    },
    async createPolicy(actor: Actor, companyId: string, body: CreateBudgetPolicyBody) {
      assertBoard(actor);
      assertCompanyAccess(actor, companyId);
      const scopeId = body.scopeType === "company" ? companyId : body.scopeId;
      if (!scopeId || !isUuid(scopeId)) throw notFound(`${body.scopeType} not found`);
      if (body.scopeType !== "company") {
        const table = body.scopeType === "agent" ? "agents" : "projects";
        const [row] = await db.query<{ companyId: string }>(`SELECT company_id FROM ${table} WHERE id = $1`, [scopeId]);
        if (!row || row.companyId !== companyId) throw notFound(`${body.scopeType === "agent" ? "Agent" : "Project"} not found`);
      }
      return db.tx(async (q) => {
        const [policy] = await q.query<{ id: string }>(
          `INSERT INTO budget_policies (company_id, scope_type, scope_id, window_kind, amount, warn_percent, hard_stop_enabled, notify_enabled)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${POLICY_COLUMNS}`,
          [
            companyId,
            body.scopeType,
            scopeId,
            body.windowKind ?? "calendar_month_utc",
            body.amount,
            body.warnPercent ?? 80,
            body.hardStopEnabled ?? true,
            body.notifyEnabled ?? true,
          ],
        );
        await recordActivity(q, {
          companyId,
          actor,
          action: "budget.policy_created",
          entityType: "budget_policy",
          entityId: policy!.id,
          details: { scopeType: body.scopeType, scopeId, amount: body.amount },
        });
        return policy!;
      });
    },
  };
}
export type BudgetService = ReturnType<typeof createBudgetService>;
