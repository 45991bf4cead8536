import { z } from "zod";
import { Company, CreateCompanyBody, Dashboard, UpdateCompanyBody } from "@staple/contracts";
import { created, defineRoute, ok } from "../route.js";

export const companyRoutes = [
  defineRoute({
    method: "get",
    path: "/api/companies",
    summary: "List companies visible to the caller",
    tag: "companies",
    access: "any",
    responses: { 200: { description: "Companies", schema: z.array(Company) } },
    handler: async ({ actor, services }) => ok(await services.companies.list(actor)),
  }),
  defineRoute({
    method: "post",
    path: "/api/companies",
    summary: "Create a company",
    tag: "companies",
    access: "board",
    body: CreateCompanyBody,
    responses: { 201: { description: "Created", schema: Company } },
    handler: async ({ actor, services, body }) => created(await services.companies.create(actor, body)),
  }),
  defineRoute({
    method: "get",
    path: "/api/companies/:companyId",
    summary: "Get a company",
    tag: "companies",
    access: "any",
    responses: { 200: { description: "Company", schema: Company } },
    handler: async ({ company }) => ok(company),
  }),
  defineRoute({
    method: "patch",
    path: "/api/companies/:companyId",
    summary: "Update a company",
    tag: "companies",
    access: "board",
    body: UpdateCompanyBody,
    responses: { 200: { description: "Updated", schema: Company } },
    handler: async ({ actor, services, params, body }) => ok(await services.companies.update(actor, params.companyId!, body)),
  }),
  defineRoute({
    method: "post",
    path: "/api/companies/:companyId/archive",
    summary: "Archive a company",
    tag: "companies",
    access: "board",
    responses: { 200: { description: "Archived", schema: Company } },
    handler: async ({ actor, services, params }) => ok(await services.companies.archive(actor, params.companyId!)),
  }),
  defineRoute({
    method: "get",
    path: "/api/companies/:companyId/dashboard",
    summary: "Agent and issue counts by status, month spend against budget",
    tag: "companies",
    access: "any",
    responses: { 200: { description: "Dashboard", schema: Dashboard } },
    handler: async ({ actor, services, company }) => ok(await services.dashboard.get(actor, company.id, company)),
  }),
];
