import { z } from "zod";
import {
  CompanyExport,
  CompanyImportBody,
  CompanyImportPreview,
  CompanyImportResult,
  CompanyScopedImportBody,
  CompanyTemplate,
  CreateFromTemplateBody,
  ExportFidelity,
} from "@staple/contracts";
import { importBodyFromMultipart, importBodyFromZip, ZIP_CONTENT_TYPES } from "../../portability/zip-upload.js";
import { created, defineRoute, ok } from "../route.js";

const base = { tag: "companies" } as const;
/** Paperclip's export body (include, selections) is accepted; Staple always exports the whole company. */
const ExportBody = z.looseObject({});
const invalid = { 422: { description: "The package is malformed; the message names the file and field" } };
/** The package may also come as its zip, as Paperclip takes it: multipart (`package` + JSON `meta`) or a bare zip (`?meta=`). */
const zipBodies = {
  "multipart/form-data": {
    schema: {
      type: "object",
      properties: {
        package: { type: "string", format: "binary", description: "The company package as a .zip" },
        meta: { type: "string", description: "JSON of the other import fields (target, collisionStrategy); a source here is ignored" },
      },
      required: ["package"],
    },
    read: importBodyFromMultipart,
  },
  ...Object.fromEntries(ZIP_CONTENT_TYPES.map((type) => [type, { schema: { type: "string", format: "binary" }, read: importBodyFromZip }])),
};

/** Company packages: import (preview and apply), export, fidelity and starter templates. */
export const portabilityRoutes = [
  defineRoute({
    ...base,
    access: "board",
    method: "post",
    path: "/api/companies/import/preview",
    summary: "Preview importing a company package: what is created, ignored (and why) and what conflicts",
    body: CompanyImportBody,
    altBodies: zipBodies,
    responses: { 200: { description: "The plan", schema: CompanyImportPreview }, ...invalid },
    handler: async ({ actor, services, body }) => ok(await services.portability.preview(actor, body)),
  }),
  defineRoute({
    ...base,
    access: "board",
    method: "post",
    path: "/api/companies/import",
    summary: "Import a company package in one transaction (a new company by default)",
    body: CompanyImportBody,
    altBodies: zipBodies,
    responses: { 200: { description: "What was created", schema: CompanyImportResult }, ...invalid },
    handler: async ({ actor, services, body }) => ok(await services.portability.apply(actor, body)),
  }),
  defineRoute({
    ...base,
    access: "board",
    method: "post",
    path: "/api/companies/:companyId/imports/preview",
    summary: "Preview importing a company package into this company",
    body: CompanyScopedImportBody,
    altBodies: zipBodies,
    responses: { 200: { description: "The plan", schema: CompanyImportPreview }, ...invalid },
    handler: async ({ actor, services, company, body }) => ok(await services.portability.previewInto(actor, company.id, body)),
  }),
  defineRoute({
    ...base,
    access: "board",
    method: "post",
    path: "/api/companies/:companyId/imports/apply",
    summary: "Import a company package into this company in one transaction",
    body: CompanyScopedImportBody,
    altBodies: zipBodies,
    responses: { 200: { description: "What was created", schema: CompanyImportResult }, ...invalid },
    handler: async ({ actor, services, company, body }) => ok(await services.portability.applyInto(actor, company.id, body)),
  }),
  ...["/api/companies/:companyId/exports", "/api/companies/:companyId/export"].map((path) =>
    defineRoute({
      ...base,
      access: "board",
      method: "post",
      path,
      summary: "Export the company as a package (Paperclip's layout: COMPANY.md, agents/, projects/, tasks/, .paperclip.yaml)",
      body: ExportBody,
      bodyOptional: true,
      responses: { 200: { description: "The package", schema: CompanyExport } },
      handler: async ({ actor, services, company }) => ok(await services.portability.export(actor, company.id)),
    }),
  ),
  defineRoute({
    ...base,
    access: "any",
    method: "get",
    path: "/api/companies/:companyId/export/fidelity",
    summary: "What an export of this company does not carry, by kind",
    responses: { 200: { description: "Fidelity report", schema: ExportFidelity } },
    handler: async ({ actor, services, company }) => ok(await services.portability.fidelity(actor, company.id)),
  }),
  defineRoute({
    ...base,
    access: "board",
    method: "get",
    path: "/api/company-templates",
    summary: "The bundled starter templates (Staple addition)",
    responses: { 200: { description: "Templates", schema: z.array(CompanyTemplate) } },
    handler: async ({ services }) => ok(services.portability.templates()),
  }),
  defineRoute({
    ...base,
    access: "board",
    method: "post",
    path: "/api/companies/from-template",
    summary: "Create a ready company from a bundled starter template (Staple addition)",
    body: CreateFromTemplateBody,
    responses: { 201: { description: "What was created", schema: CompanyImportResult }, 404: { description: "No such template" } },
    handler: async ({ actor, services, body }) => created(await services.portability.fromTemplate(actor, body)),
  }),
];
