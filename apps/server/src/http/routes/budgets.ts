import { z } from "zod";
import { BudgetIncident, BudgetPolicy } from "@staple/contracts";
import { CreateBudgetPolicyBody } from "../../budgets/service.js";
import { created, defineRoute, ok } from "../route.js";

const base = { tag: "budgets" } as const;

export const budgetRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/budgets/policies",
    summary: "Budget policies (company, agent or project scope; calendar month or lifetime)",
    access: "any",
    responses: { 200: { description: "Policies", schema: z.array(BudgetPolicy) } },
    handler: async ({ actor, services, company }) => ok(await services.budgets.listPolicies(actor, company.id)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/companies/:companyId/budgets/policies",
    summary: "Add a budget policy: warn at warnPercent, hard stop (pause the scope, cancel its runs) at amount",
    access: "board",
    body: CreateBudgetPolicyBody,
    responses: { 201: { description: "Created", schema: BudgetPolicy } },
    handler: async ({ actor, services, company, body }) => created(await services.budgets.createPolicy(actor, company.id, body)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/budgets/incidents",
    summary: "Budget incidents (soft warnings and hard stops), newest first",
    access: "any",
    responses: { 200: { description: "Incidents", schema: z.array(BudgetIncident) } },
    handler: async ({ actor, services, company }) => ok(await services.budgets.listIncidents(actor, company.id)),
  }),
];
