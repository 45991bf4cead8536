import { z } from "zod";
import { CreateWorkProductBody, DocumentRevision, IssueDocument, OkBody, PutDocumentBody, WorkProduct } from "@staple/contracts";
import { created, defineRoute, ok } from "../route.js";

const base = { tag: "documents", access: "any" } as const;

export const documentRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/documents",
    summary: "List the issue's documents",
    responses: { 200: { description: "Documents", schema: z.array(IssueDocument) } },
    handler: async ({ actor, services, params }) => ok(await services.documents.list(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/documents/:key",
    summary: "Get a document (latest revision)",
    responses: { 200: { description: "Document", schema: IssueDocument } },
    handler: async ({ actor, services, params }) => ok(await services.documents.get(actor, params.id!, params.key!)),
  }),
  defineRoute({
    ...base,
    method: "put",
    path: "/api/issues/:id/documents/:key",
    summary: "Create (201) or revise (200) a document; a stale baseRevisionId is a 409",
    body: PutDocumentBody,
    responses: {
      200: { description: "New revision", schema: IssueDocument },
      201: { description: "Created", schema: IssueDocument },
      409: { description: "baseRevisionId is not the latest revision" },
    },
    async handler({ actor, services, params, body }) {
      const result = await services.documents.put(actor, params.id!, params.key!, body);
      return result.created ? created(result.document) : ok(result.document);
    },
  }),
  defineRoute({
    ...base,
    method: "delete",
    path: "/api/issues/:id/documents/:key",
    summary: "Delete a document and its revisions",
    responses: { 200: { description: "Deleted", schema: OkBody } },
    handler: async ({ actor, services, params }) => ok(await services.documents.remove(actor, params.id!, params.key!)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/documents/:key/revisions",
    summary: "A document's revisions, newest first",
    responses: { 200: { description: "Revisions", schema: z.array(DocumentRevision) } },
    handler: async ({ actor, services, params }) => ok(await services.documents.revisions(actor, params.id!, params.key!)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/work-products",
    summary: "List the issue's work products",
    responses: { 200: { description: "Work products", schema: z.array(WorkProduct) } },
    handler: async ({ actor, services, params }) => ok(await services.documents.listWorkProducts(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/issues/:id/work-products",
    summary: "Record a work product (pull request, preview, commit, artifact…)",
    body: CreateWorkProductBody,
    responses: { 201: { description: "Created", schema: WorkProduct } },
    handler: async ({ actor, services, params, body }) => created(await services.documents.createWorkProduct(actor, params.id!, body)),
  }),
];
