import { z } from "zod";
import {
  CostByAgentModelRow,
  CostByAgentRow,
  CostByDayRow,
  CostByProjectRow,
  CostEvent,
  CostSummary,
  RunCostSummary,
} from "@staple/contracts";
import { CostWindowQuery, CreateCostEventBody } from "../../budgets/costs.js";
import { created, defineRoute, ok } from "../route.js";

const base = { tag: "costs" } as const;

/** Spend read from the cost ledger, and manual cost events (docs/budgets.md#the-cost-ledger). */
export const costRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/costs/summary",
    summary: "Spend, budget and tokens of the company over a window (from/to ISO times; default all time)",
    access: "board",
    query: CostWindowQuery,
    responses: { 200: { description: "Summary", schema: CostSummary } },
    handler: async ({ actor, services, company, query }) => ok(await services.costs.summary(actor, company.id, query)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/costs/by-agent",
    summary: "Spend and tokens per agent over a window, most expensive first (every agent listed)",
    access: "board",
    query: CostWindowQuery,
    responses: { 200: { description: "Rows", schema: z.array(CostByAgentRow) } },
    handler: async ({ actor, services, company, query }) => ok(await services.costs.byAgent(actor, company.id, query)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/costs/by-project",
    summary: "Spend and tokens per project over a window (projectId null = work outside projects)",
    access: "board",
    query: CostWindowQuery,
    responses: { 200: { description: "Rows", schema: z.array(CostByProjectRow) } },
    handler: async ({ actor, services, company, query }) => ok(await services.costs.byProject(actor, company.id, query)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/costs/by-agent-model",
    summary: "Spend and tokens per agent, provider and model over a window, most expensive first",
    access: "board",
    query: CostWindowQuery,
    responses: { 200: { description: "Rows", schema: z.array(CostByAgentModelRow) } },
    handler: async ({ actor, services, company, query }) => ok(await services.costs.byAgentModel(actor, company.id, query)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/costs/by-day",
    summary: "Spend and tokens per UTC day over a window, oldest first (days without spend left out)",
    access: "board",
    query: CostWindowQuery,
    responses: { 200: { description: "Rows", schema: z.array(CostByDayRow) } },
    handler: async ({ actor, services, company, query }) => ok(await services.costs.byDay(actor, company.id, query)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/heartbeat-runs/:id/cost-summary",
    summary: "Spend and tokens the cost ledger holds for one run (its own row and what its agent reported from it)",
    access: "any",
    responses: { 200: { description: "Run totals", schema: RunCostSummary } },
    handler: async ({ actor, services, params }) => ok(await services.costs.forRun(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/companies/:companyId/cost-events",
    // Agent self-reports are capped per event and count toward the agent's own budget only (budgets/costs.ts).
    summary:
      "Report a cost (board for any agent; an agent for itself, at most max($100, its monthly budget) per event, attributed to its run and counted toward its own budget only); budgets are evaluated at once",
    access: "any",
    body: CreateCostEventBody,
    responses: { 201: { description: "Created", schema: CostEvent } },
    handler: async ({ actor, services, company, body }) => created(await services.costs.record(actor, company.id, body)),
  }),
];
