import { z } from "zod";
import { CreateLabelBody, Label, UpdateLabelBody } from "@staple/contracts";
import { created, defineRoute, ok } from "../route.js";

const base = { tag: "labels", access: "any" } as const;

/** Company labels (board or any agent of the company, as in Paperclip). */
export const labelRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/labels",
    summary: "List the company's labels, by name",
    responses: { 200: { description: "Labels", schema: z.array(Label) } },
    handler: async ({ actor, services, company }) => ok(await services.labels.list(actor, company.id)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/companies/:companyId/labels",
    summary: "Create a label (name unique per company regardless of case; color #rrggbb)",
    body: CreateLabelBody,
    responses: { 201: { description: "Created", schema: Label }, 409: { description: "A label with this name exists" } },
    handler: async ({ actor, services, company, body }) => created(await services.labels.create(actor, company.id, body)),
  }),
  defineRoute({
    ...base,
    method: "patch",
    path: "/api/labels/:labelId",
    summary: "Rename or recolor a label (Staple addition; Paperclip has no label update)",
    body: UpdateLabelBody,
    responses: { 200: { description: "Updated", schema: Label }, 409: { description: "A label with this name exists" } },
    handler: async ({ actor, services, params, body }) => ok(await services.labels.update(actor, params.labelId!, body)),
  }),
  defineRoute({
    ...base,
    method: "delete",
    path: "/api/labels/:labelId",
    summary: "Delete a label; it is removed from every issue that carried it",
    responses: { 200: { description: "The deleted label", schema: Label } },
    handler: async ({ actor, services, params }) => ok(await services.labels.remove(actor, params.labelId!)),
  }),
];
