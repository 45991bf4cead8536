import { PaperclipDbImportBody, PaperclipDbImportPreview, PaperclipDbImportResult } from "@staple/contracts";
import { defineRoute, ok } from "../route.js";

/** A whole installation's history can be large: these board-only routes read up to 64 MB of JSON. */
const PAPERCLIP_DB_MAX_BODY_BYTES = 64 * 1024 * 1024;
const base = {
  tag: "instance",
  access: "board",
  method: "post",
  body: PaperclipDbImportBody,
  maxBodyBytes: PAPERCLIP_DB_MAX_BODY_BYTES,
} as const;
const errors = {
  403: { description: "Only a board user who sees every company (an instance admin)" },
  422: { description: "The import document names a row it does not carry; the message says which" },
};

/** Import every company of a Paperclip installation, read from its database by `staple import paperclip` (Staple addition). */
export const paperclipImportRoutes = [
  defineRoute({
    ...base,
    path: "/api/instance/imports/paperclip-db/preview",
    summary: "Preview importing a Paperclip installation: per company what is created, ignored (and why), conflicts, history counts",
    responses: { 200: { description: "The plan per company", schema: PaperclipDbImportPreview }, ...errors },
    handler: async ({ actor, services, body }) => ok(await services.portability.previewPaperclipDb(actor, body)),
  }),
  defineRoute({
    ...base,
    path: "/api/instance/imports/paperclip-db/apply",
    summary: "Import every company of a Paperclip installation with its history, in one transaction",
    responses: { 200: { description: "What was created per company", schema: PaperclipDbImportResult }, ...errors },
    handler: async ({ actor, services, body }) => ok(await services.portability.applyPaperclipDb(actor, body)),
  }),
];
