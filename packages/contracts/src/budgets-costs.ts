import { z } from "zod";
import {
  AGENT_STATUSES,
  BILLING_TYPES,
  BUDGET_INCIDENT_STATUSES,
  BUDGET_METRICS,
  BUDGET_SCOPE_TYPES,
  BUDGET_THRESHOLD_TYPES,
  BUDGET_WINDOW_KINDS,
} from "./enums.js";
import { Timestamp, Uuid } from "./common.js";

/** A budget policy: warn at warnPercent of amount, hard stop (pause the scope) at amount. */
export const BudgetPolicy = z
  .object({
    id: Uuid,
    companyId: Uuid,
    scopeType: z.enum(BUDGET_SCOPE_TYPES),
    scopeId: Uuid,
    metric: z.enum(BUDGET_METRICS),
    windowKind: z.enum(BUDGET_WINDOW_KINDS),
    amount: z.number().int(),
    warnPercent: z.number().int(),
    hardStopEnabled: z.boolean(),
    notifyEnabled: z.boolean(),
    isActive: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "BudgetPolicy" });
export type BudgetPolicy = z.infer<typeof BudgetPolicy>;

export const BudgetIncident = z
  .object({
    id: Uuid,
    policyId: Uuid,
    windowStart: Timestamp,
    thresholdType: z.enum(BUDGET_THRESHOLD_TYPES),
    amount: z.number().int(),
    observed: z.number().int(),
    status: z.enum(BUDGET_INCIDENT_STATUSES),
    approvalId: Uuid.nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: "BudgetIncident" });
export type BudgetIncident = z.infer<typeof BudgetIncident>;

const costTotals = {
  costCents: z.number().int(),
  inputTokens: z.number().int(),
  cachedInputTokens: z.number().int(),
  outputTokens: z.number().int(),
  runCount: z.number().int(),
};

export const CostSummary = z
  .object({
    companyId: Uuid,
    spendCents: z.number().int(),
    budgetCents: z.number().int(),
    utilizationPercent: z.number(),
    inputTokens: z.number().int(),
    cachedInputTokens: z.number().int(),
    outputTokens: z.number().int(),
    runCount: z.number().int(),
  })
  .meta({ id: "CostSummary" });
export type CostSummary = z.infer<typeof CostSummary>;

export const CostByAgentRow = z
  .object({
    agentId: Uuid,
    agentName: z.string(),
    agentStatus: z.enum(AGENT_STATUSES),
    ...costTotals,
    /** The agent's monthly budget (0 = none). */
    budgetMonthlyCents: z.number().int(),
    /** The window's spend as a percentage of the monthly budget (0 without a budget). */
    utilizationPercent: z.number(),
  })
  .meta({ id: "CostByAgentRow" });
export type CostByAgentRow = z.infer<typeof CostByAgentRow>;

/** Spend of one agent on one provider and model (model null: the event named none). */
export const CostByAgentModelRow = z
  .object({
    agentId: Uuid,
    agentName: z.string(),
    provider: z.string().nullable(),
    biller: z.string(),
    model: z.string().nullable(),
    ...costTotals,
  })
  .meta({ id: "CostByAgentModelRow" });
export type CostByAgentModelRow = z.infer<typeof CostByAgentModelRow>;

/** Spend of one UTC day (days without spend are left out). */
export const CostByDayRow = z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), ...costTotals }).meta({ id: "CostByDayRow" });
export type CostByDayRow = z.infer<typeof CostByDayRow>;

/** What the cost ledger holds for one run: its own row plus what its agent reported from it. */
export const RunCostSummary = z
  .object({
    runId: Uuid,
    agentId: Uuid,
    costCents: z.number().int(),
    inputTokens: z.number().int(),
    cachedInputTokens: z.number().int(),
    outputTokens: z.number().int(),
    /** Ledger rows counted (0 = the run reported no cost). */
    eventCount: z.number().int(),
    /** Distinct models named by those rows. */
    models: z.array(z.string()),
  })
  .meta({ id: "RunCostSummary" });
export type RunCostSummary = z.infer<typeof RunCostSummary>;

/** projectId null: costs of work outside any project. */
export const CostByProjectRow = z
  .object({ projectId: Uuid.nullable(), projectName: z.string().nullable(), ...costTotals })
  .meta({ id: "CostByProjectRow" });
export type CostByProjectRow = z.infer<typeof CostByProjectRow>;

/** One row of the cost ledger. */
export const CostEvent = z
  .object({
    id: Uuid,
    companyId: Uuid,
    agentId: Uuid.nullable(),
    issueId: Uuid.nullable(),
    projectId: Uuid.nullable(),
    goalId: Uuid.nullable(),
    heartbeatRunId: Uuid.nullable(),
    billingCode: z.string().nullable(),
    provider: z.string().nullable(),
    biller: z.string(),
    billingType: z.enum(BILLING_TYPES),
    model: z.string().nullable(),
    inputTokens: z.number().int(),
    cachedInputTokens: z.number().int(),
    outputTokens: z.number().int(),
    costCents: z.number().int(),
    occurredAt: Timestamp,
    createdAt: Timestamp,
    /** Reported by the agent itself (counts toward its own budget only). */
    agentReported: z.boolean(),
    /** The run an agent reported from (never the run's own ledger row, `heartbeatRunId`). */
    reportedRunId: Uuid.nullable(),
  })
  .meta({ id: "CostEvent" });
export type CostEvent = z.infer<typeof CostEvent>;
