import { z } from "zod";
import type { Database } from "../db/database.js";
import type { Actor } from "../auth/actor.js";
import { assertBoard, assertCanSee, assertCompanyAccess } from "../auth/access.js";
import { conflict, forbidden, notFound, ruleViolation, validationError } from "../errors.js";
import { recordActivity } from "../activity/record.js";
import { billedCents, normalizeBillingType } from "../runs/outcome.js";
import { DISPATCH_CHANNEL } from "../runs/dispatch-channel.js";
import { applySpend } from "./spend.js";

/**
 * The cost ledger read side (spend by company, agent, project over a window) and manual cost events
 * (docs/budgets.md#the-cost-ledger). Reads sum `cost_events`, the one ledger every run's cost
 * lands in, so the figures always agree with budget enforcement.
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
  count(DISTINCT coalesce(e.heartbeat_run_id, e.reported_run_id))::int AS run_count`;
// A run's costs are its own ledger row (heartbeat_run_id) plus what its agent reported from it
// (reported_run_id), so runs are counted over both.
const WINDOW = "($2::timestamptz IS NULL OR e.occurred_at >= $2) AND ($3::timestamptz IS NULL OR e.occurred_at < $3)";

type Totals = {
  costCents: string | number;
  inputTokens: string | number;
  cachedInputTokens: string | number;
  outputTokens: string | number;
  runCount: number;
};
const numbers = <T extends Totals>(row: T) => ({
  ...row,
  costCents: Number(row.costCents),
  inputTokens: Number(row.inputTokens),
  cachedInputTokens: Number(row.cachedInputTokens),
  outputTokens: Number(row.outputTokens),
});

/** Spend as a percentage of a budget, two decimals; 0 without a budget. */
const percent = (cents: number, budgetCents: number) => (budgetCents > 0 ? Math.round((cents / budgetCents) * 10_000) / 100 : 0);

/** Floor of the per-event cap on agent-reported costs: $100. */
export const AGENT_REPORT_FLOOR_CENTS = 10_000;

/** The most one agent-reported cost event may carry: the larger of $100 and the agent's monthly budget. */
export function agentReportLimitCents(agentBudgetMonthlyCents: number): number {
  return Math.max(AGENT_REPORT_FLOOR_CENTS, agentBudgetMonthlyCents);
}

export function createCostService(db: Database) {
  const window = (companyId: string, w: CostWindowQuery) => {
    if (w.from && w.to && Date.parse(w.from) >= Date.parse(w.to))
      throw validationError("`from` must be before `to`", [{ path: ["from"], message: "must be before to" }]);
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
        utilizationPercent: percent(t.costCents, budgetCents),
        inputTokens: t.inputTokens,
        cachedInputTokens: t.cachedInputTokens,
        outputTokens: t.outputTokens,
        runCount: t.runCount,
      };
    },
    /** Every agent of the company (zero rows included), most expensive first. */
    async byAgent(actor: Actor, companyId: string, w: CostWindowQuery) {
      assertCompanyAccess(actor, companyId);
      const rows = await db.query<Totals & { agentId: string; agentName: string; agentStatus: string; budgetMonthlyCents: number }>(
        `SELECT a.id AS agent_id, a.name AS agent_name, a.status AS agent_status, a.budget_monthly_cents, ${TOTALS}
           FROM agents a LEFT JOIN cost_events e ON e.agent_id = a.id AND ${WINDOW}
          WHERE a.company_id = $1
          GROUP BY a.id ORDER BY coalesce(sum(e.cost_cents), 0) DESC, a.name, a.id`,
        window(companyId, w),
      );
      return rows.map((row) => {
        const t = numbers(row);
        const budget = Number(row.budgetMonthlyCents ?? 0);
        return { ...t, budgetMonthlyCents: budget, utilizationPercent: percent(t.costCents, budget) };
      });
    },
    /** Spend per agent, provider and model (Paperclip's by-agent-model report), most expensive first. */
    async byAgentModel(actor: Actor, companyId: string, w: CostWindowQuery) {
      assertCompanyAccess(actor, companyId);
      const rows = await db.query<
        Totals & { agentId: string; agentName: string; provider: string | null; biller: string; model: string | null }
      >(
        `SELECT e.agent_id, a.name AS agent_name, e.provider, e.biller, e.model, ${TOTALS}
           FROM cost_events e JOIN agents a ON a.id = e.agent_id
          WHERE e.company_id = $1 AND ${WINDOW}
          GROUP BY e.agent_id, a.name, e.provider, e.biller, e.model
          ORDER BY coalesce(sum(e.cost_cents), 0) DESC, a.name, e.model NULLS LAST, e.provider NULLS LAST`,
        window(companyId, w),
      );
      return rows.map(numbers);
    },
    /** Spend per UTC day of the window, oldest first; days without ledger rows are left out. */
    async byDay(actor: Actor, companyId: string, w: CostWindowQuery) {
      assertCompanyAccess(actor, companyId);
      const rows = await db.query<Totals & { date: string }>(
        `SELECT to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS date, ${TOTALS}
           FROM cost_events e
          WHERE e.company_id = $1 AND ${WINDOW}
          GROUP BY 1 ORDER BY 1`,
        window(companyId, w),
      );
      return rows.map(numbers);
    },
    /** The ledger's totals for one run (another company's run answers 404). */
    async forRun(actor: Actor, runId: string) {
      const [run] = await db.query<{ companyId: string; agentId: string }>(
        "SELECT company_id, agent_id FROM heartbeat_runs WHERE id = $1",
        [runId],
      );
      if (!run) throw notFound("Heartbeat run not found");
      assertCanSee(actor, run.companyId, "Heartbeat run");
      const [row] = await db.query<Omit<Totals, "runCount"> & { eventCount: number; models: string[] | null }>(
        `SELECT coalesce(sum(e.cost_cents), 0)::bigint AS cost_cents, coalesce(sum(e.input_tokens), 0)::bigint AS input_tokens,
                coalesce(sum(e.cached_input_tokens), 0)::bigint AS cached_input_tokens,
                coalesce(sum(e.output_tokens), 0)::bigint AS output_tokens, count(*)::int AS event_count,
                array_remove(array_agg(DISTINCT e.model), NULL) AS models
           FROM cost_events e
          WHERE e.company_id = $1 AND (e.heartbeat_run_id = $2 OR e.reported_run_id = $2)`,
        [run.companyId, runId],
      );
      return {
        runId,
        agentId: run.agentId,
        costCents: Number(row!.costCents),
        inputTokens: Number(row!.inputTokens),
        cachedInputTokens: Number(row!.cachedInputTokens),
        outputTokens: Number(row!.outputTokens),
        eventCount: row!.eventCount,
        models: [...(row!.models ?? [])].sort(),
      };
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
     * Records a cost reported outside a run's own accounting. Budgets are evaluated in the same
     * transaction: a hard stop pauses the scope and cancels its work, exactly as a run's cost would.
     *
     * Who may report what (one agent must not be able to halt its company by itself):
     * - The board: any agent of the company, any amount; the cost counts toward every budget
     *   (company, project, agent), like a run's cost.
     * - An agent: only its own cost, at most `agentReportLimitCents` per event (the larger of $100
     *   and its own monthly budget). The event is marked `agent_reported` and attributed to the run
     *   the agent reports from (`reported_run_id`: its run JWT or X-Paperclip-Run-Id; a body
     *   `heartbeatRunId` must name that same run). It counts toward the agent's own budget policy
     *   only: company and project hard stops sum board- and run-reported costs, so a self-report can
     *   pause the reporting agent but never its company or a shared project.
     */
    async record(actor: Actor, companyId: string, body: CreateCostEventBody) {
      assertCompanyAccess(actor, companyId);
      if (actor.kind === "agent" && actor.agentId !== body.agentId) throw forbidden("An agent may only report its own costs");
      if (actor.kind !== "agent") assertBoard(actor);
      if (body.costCents !== undefined && body.costUsd !== undefined)
        throw validationError("Give costCents or costUsd, not both", [{ path: ["costUsd"], message: "conflicts with costCents" }]);
      const agentReport = actor.kind === "agent";
      const reportedRunId = actor.kind === "agent" ? actor.runId : null;
      if (agentReport && body.heartbeatRunId && body.heartbeatRunId.toLowerCase() !== reportedRunId?.toLowerCase()) {
        throw ruleViolation(
          "An agent reports costs only for the run it is reporting from (heartbeatRunId must be that run)",
          { heartbeatRunId: body.heartbeatRunId, runId: reportedRunId },
          "cost_event_run_mismatch",
        );
      }
      const billingType = normalizeBillingType(body.billingType ?? null);
      const cents = body.costCents ?? billedCents(body.costUsd ?? null, billingType);
      return db.tx(async (q) => {
        const [agent] = await q.query<{ id: string; budgetMonthlyCents: number }>(
          "SELECT id, budget_monthly_cents FROM agents WHERE id = $1 AND company_id = $2",
          [body.agentId, companyId],
        );
        if (!agent) throw notFound("Agent not found in this company");
        if (agentReport && cents > agentReportLimitCents(agent.budgetMonthlyCents)) {
          const limitCents = agentReportLimitCents(agent.budgetMonthlyCents);
          throw ruleViolation(
            `An agent may report at most ${limitCents} cents per cost event`,
            { costCents: cents, limitCents },
            "cost_event_over_limit",
          );
        }
        let projectId = body.projectId ?? null;
        if (body.issueId) {
          const [issue] = await q.query<{ projectId: string | null }>("SELECT project_id FROM issues WHERE id = $1 AND company_id = $2", [
            body.issueId,
            companyId,
          ]);
          if (!issue) throw notFound("Issue not found in this company");
          projectId ??= issue.projectId;
        }
        if (projectId) {
          const [project] = await q.query("SELECT id FROM projects WHERE id = $1 AND company_id = $2", [projectId, companyId]);
          if (!project) throw notFound("Project not found in this company");
        }
        if (body.heartbeatRunId && !agentReport) {
          const [run] = await q.query("SELECT id FROM heartbeat_runs WHERE id = $1 AND company_id = $2", [body.heartbeatRunId, companyId]);
          if (!run) throw notFound("Heartbeat run not found in this company");
        }
        // An agent's report never takes the run's own ledger row (`heartbeat_run_id`, one per run):
        // that row is the run's adapter-reported cost, written at finalization.
        const [event] = await q.query<Record<string, unknown>>(
          `INSERT INTO cost_events (company_id, agent_id, issue_id, project_id, goal_id, heartbeat_run_id, billing_code, provider, biller,
             billing_type, model, input_tokens, cached_input_tokens, output_tokens, cost_cents, occurred_at, agent_reported, reported_run_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, 'unknown'), $10, $11, $12, $13, $14, $15, coalesce($16::timestamptz, now()), $17, $18)
           ON CONFLICT (heartbeat_run_id) WHERE heartbeat_run_id IS NOT NULL DO NOTHING
           RETURNING *`,
          [
            companyId,
            body.agentId,
            body.issueId ?? null,
            projectId,
            body.goalId ?? null,
            agentReport ? null : (body.heartbeatRunId ?? null),
            body.billingCode ?? null,
            body.provider ?? null,
            body.biller ?? null,
            billingType,
            body.model ?? null,
            body.inputTokens,
            body.cachedInputTokens,
            body.outputTokens,
            cents,
            body.occurredAt ?? null,
            agentReport,
            reportedRunId,
          ],
        );
        // One cost event per run (the ledger's unique index): a second report for the same run is a conflict.
        if (!event) throw conflict("This run already has a cost event");
        // A self-report is enforced against the agent's own scope (the company and project sums skip
        // it, budgets/enforcement.ts); passing no project keeps project policies out of it too.
        const spend = { companyId, agentId: body.agentId, projectId: agentReport ? null : projectId, cents };
        for (const agentId of await applySpend(q, spend)) {
          await q.query(`SELECT pg_notify('${DISPATCH_CHANNEL}', $1::text)`, [agentId]);
        }
        await recordActivity(q, {
          companyId,
          actor,
          action: "cost.reported",
          entityType: "cost_event",
          entityId: String(event!.id),
          details: { agentId: body.agentId, costCents: cents, agentReported: agentReport, reportedRunId },
        });
        return event!;
      });
    },
  };
}
export type CostService = ReturnType<typeof createCostService>;
