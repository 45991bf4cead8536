import { z } from "zod";
import type { Database } from "../db/database.js";
import type { Actor } from "../auth/actor.js";
import { assertBoard, assertCompanyAccess } from "../auth/access.js";
import { conflict, forbidden, notFound, validationError } from "../errors.js";
import { recordActivity } from "../activity/record.js";
import { billedCents, normalizeBillingType } from "../runs/outcome.js";
import { DISPATCH_CHANNEL } from "../runs/dispatch-channel.js";
import { applySpend } from "./spend.js";

/**
 * The cost ledger read side (spend by company, agent, project over a window) and manual cost events
 * (spec A cost_events, C.17). Reads sum `cost_events`, the one ledger every run's cost lands in, so
 * the figures always agree with budget enforcement.
 */
export const CostWindowQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
export type CostWindowQuery = z.infer<typeof CostWindowQuery>;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const CreateCostEventBody = z.strictObject({
  agentId: z.uuid(),
  issueId: z.uuid().nullish(),
  projectId: z.uuid().nullish(),
  goalId: z.uuid().nullish(),
  heartbeatRunId: z.uuid().nullish(),
  billingCode: z.string().max(200).nullish(),
  provider: z.string().max(200).nullish(),
  biller: z.string().max(200).nullish(),
  billingType: z.string().max(100).nullish(),
  model: z.string().max(200).nullish(),
  inputTokens: count.default(0),
  cachedInputTokens: count.default(0),
  outputTokens: count.default(0),
  /** Either cents, or USD (converted with the ledger's rule: round(usd × 100), 0 for subscription_included). */
  costCents: z.number().int().min(0).max(2_000_000_000).optional(),
  costUsd: z.number().min(0).max(20_000_000).optional(),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
});
export type CreateCostEventBody = z.infer<typeof CreateCostEventBody>;

const TOTALS = `coalesce(sum(e.cost_cents), 0)::bigint AS cost_cents, coalesce(sum(e.input_tokens), 0)::bigint AS input_tokens,
  coalesce(sum(e.cached_input_tokens), 0)::bigint AS cached_input_tokens, coalesce(sum(e.output_tokens), 0)::bigint AS output_tokens,
  count(DISTINCT e.heartbeat_run_id)::int AS run_count`;
const WINDOW = "($2::timestamptz IS NULL OR e.occurred_at >= $2) AND ($3::timestamptz IS NULL OR e.occurred_at < $3)";

type Totals = { costCents: string | number; inputTokens: string | number; cachedInputTokens: string | number; outputTokens: string | number; runCount: number };
const numbers = <T extends Totals>(row: T) => ({
  ...row,
  costCents: Number(row.costCents),
  inputTokens: Number(row.inputTokens),
  cachedInputTokens: Number(row.cachedInputTokens),
  outputTokens: Number(row.outputTokens),
});

export function createCostService(db: Database) {
  const window = (companyId: string, w: CostWindowQuery) => {
    if (w.from && w.to && Date.parse(w.from) >= Date.parse(w.to)) throw validationError("`from` must be before `to`", [{ path: ["from"], message: "must be before to" }]);
    return [companyId, w.from ?? null, w.to ?? null];
  };
  return {
    async summary(actor: Actor, companyId: string, w: CostWindowQuery) {
      assertCompanyAccess(actor, companyId);
      const [row] = await db.query<Totals & { budgetCents: number }>(
        `SELECT ${TOTALS}, (SELECT budget_monthly_cents FROM companies WHERE id = $1) AS budget_cents
           FROM cost_events e WHERE e.company_id = $1 AND ${WINDOW}`,
        window(companyId, w),
      );
      const t = numbers(row!);
      const budgetCents = Number(row!.budgetCents ?? 0);
      return {
        companyId,
        spendCents: t.costCents,
        budgetCents,
        utilizationPercent: budgetCents > 0 ? Math.round((t.costCents / budgetCents) * 10_000) / 100 : 0,
        inputTokens: t.inputTokens,
        cachedInputTokens: t.cachedInputTokens,
        outputTokens: t.outputTokens,
        runCount: t.runCount,
      };
    },
    /** Every agent of the company (zero rows included), most expensive first. */
    async byAgent(actor: Actor, companyId: string, w: CostWindowQuery) {
      assertCompanyAccess(actor, companyId);
      const rows = await db.query<Totals & { agentId: string; agentName: string; agentStatus: string }>(
        `SELECT a.id AS agent_id, a.name AS agent_name, a.status AS agent_status, ${TOTALS}
           FROM agents a LEFT JOIN cost_events e ON e.agent_id = a.id AND ${WINDOW}
          WHERE a.company_id = $1
          GROUP BY a.id ORDER BY coalesce(sum(e.cost_cents), 0) DESC, a.name, a.id`,
        window(companyId, w),
      );
      return rows.map(numbers);
    },
    /** Spend per project; costs of issues without a project are one row with projectId null. */
    async byProject(actor: Actor, companyId: string, w: CostWindowQuery) {
      assertCompanyAccess(actor, companyId);
      const rows = await db.query<Totals & { projectId: string | null; projectName: string | null }>(
        `SELECT e.project_id, p.name AS project_name, ${TOTALS}
           FROM cost_events e LEFT JOIN projects p ON p.id = e.project_id
          WHERE e.company_id = $1 AND ${WINDOW}
          GROUP BY e.project_id, p.name ORDER BY coalesce(sum(e.cost_cents), 0) DESC, p.name NULLS LAST`,
        window(companyId, w),
      );
      return rows.map(numbers);
    },
    /**
     * Records a cost the board or an agent reports outside a run (board: any agent of the company;
     * an agent: only itself). Budgets are evaluated in the same transaction: a hard stop pauses the
     * scope and cancels its work, exactly as a run's cost would.
     */
    async record(actor: Actor, companyId: string, body: CreateCostEventBody) {
      assertCompanyAccess(actor, companyId);
      if (actor.kind === "agent" && actor.agentId !== body.agentId) throw forbidden("An agent may only report its own costs");
      if (actor.kind !== "agent") assertBoard(actor);
      if (body.costCents !== undefined && body.costUsd !== undefined) throw validationError("Give costCents or costUsd, not both", [{ path: ["costUsd"], message: "conflicts with costCents" }]);
      const billingType = normalizeBillingType(body.billingType ?? null);
      const cents = body.costCents ?? billedCents(body.costUsd ?? null, billingType);
      return db.tx(async (q) => {
        const [agent] = await q.query<{ id: string }>("SELECT id FROM agents WHERE id = $1 AND company_id = $2", [body.agentId, companyId]);
        if (!agent) throw notFound("Agent not found in this company");
        let projectId = body.projectId ?? null;
        if (body.issueId) {
          const [issue] = await q.query<{ projectId: string | null }>("SELECT project_id FROM issues WHERE id = $1 AND company_id = $2", [body.issueId, companyId]);
          if (!issue) throw notFound("Issue not found in this company");
          projectId ??= issue.projectId;
        }
        if (projectId) {
          const [project] = await q.query("SELECT id FROM projects WHERE id = $1 AND company_id = $2", [projectId, companyId]);
          if (!project) throw notFound("Project not found in this company");
        }
        if (body.heartbeatRunId) {
          const [run] = await q.query("SELECT id FROM heartbeat_runs WHERE id = $1 AND company_id = $2", [body.heartbeatRunId, companyId]);
          if (!run) throw notFound("Heartbeat run not found in this company");
        }
        const [event] = await q.query<Record<string, unknown>>(
          `INSERT INTO cost_events (company_id, agent_id, issue_id, project_id, goal_id, heartbeat_run_id, billing_code, provider, biller,
             billing_type, model, input_tokens, cached_input_tokens, output_tokens, cost_cents, occurred_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, 'unknown'), $10, $11, $12, $13, $14, $15, coalesce($16::timestamptz, now()))
           ON CONFLICT (heartbeat_run_id) WHERE heartbeat_run_id IS NOT NULL DO NOTHING
           RETURNING *`,
          [companyId, body.agentId, body.issueId ?? null, projectId, body.goalId ?? null, body.heartbeatRunId ?? null, body.billingCode ?? null,
            body.provider ?? null, body.biller ?? null, billingType, body.model ?? null, body.inputTokens, body.cachedInputTokens, body.outputTokens,
            cents, body.occurredAt ?? null],
        );
        // One cost event per run (the ledger's unique index): a second report for the same run is a conflict.
        if (!event) throw conflict("This run already has a cost event");
        for (const agentId of await applySpend(q, { companyId, agentId: body.agentId, projectId, cents })) {
          await q.query(`SELECT pg_notify('${DISPATCH_CHANNEL}', $1::text)`, [agentId]);
        }
        await recordActivity(q, { companyId, actor, action: "cost.reported", entityType: "cost_event", entityId: String(event!.id), details: { agentId: body.agentId, costCents: cents } });
        return event!;
      });
    },
  };
}
export type CostService = ReturnType<typeof createCostService>;
