import { z } from "zod";
import { Attachment, OkBody } from "@staple/contracts";
import { created, defineRoute, ok } from "../route.js";
import { readMultipartUpload } from "../multipart.js";
import { contentHeaders } from "../../attachments/serving.js";
import { validationError } from "../../errors.js";

const base = { tag: "attachments", access: "any" } as const;

export const attachmentRoutes = [
  defineRoute({
    ...base,
    method: "post",
    path: "/api/companies/:companyId/issues/:issueId/attachments",
    summary:
      "Upload a file to an issue (multipart/form-data, field `file`; optional `issueCommentId`). Over the size limit " +
      "(STAPLE_ATTACHMENT_MAX_BYTES, default 25 MB) -> 413. An agent's upload records its run.",
    rawBody: {
      contentType: "multipart/form-data",
      schema: {
        type: "object",
        properties: { file: { type: "string", format: "binary" }, issueCommentId: { type: "string", format: "uuid" } },
        required: ["file"],
      },
    },
    responses: {
      201: { description: "Stored", schema: Attachment },
      413: { description: "The file is over the upload limit" },
      422: { description: "Empty file, or the issue is of another company" },
    },
    async handler({ actor, services, company, params, request, limits }) {
      // The issue is checked before a byte of the body is read.
      const issue = await services.attachments.uploadTarget(actor, company.id, params.issueId!);
      const upload = await readMultipartUpload(request, {
        fileField: "file",
        maxFileBytes: limits.attachmentMaxBytes,
        fieldNames: ["issueCommentId"],
      });
      if (!upload.file)
        throw validationError('Missing file field "file"', [{ path: ["file"], message: "Send the file in the form field `file`" }]);
      return created(
        await services.attachments.create(actor, issue, {
          filename: upload.file.filename,
          contentType: upload.file.mimeType,
          data: upload.file.data,
          sha256: upload.file.sha256,
          issueCommentId: upload.fields.issueCommentId,
        }),
      );
    },
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/issues/:issueId/attachments",
    summary: "List an issue's attachments, newest first",
    responses: { 200: { description: "Attachments", schema: z.array(Attachment) } },
    async handler({ actor, services, company, params }) {
      const issue = await services.attachments.uploadTarget(actor, company.id, params.issueId!);
      return ok(await services.attachments.list(actor, issue.id));
    },
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/attachments",
    summary: "List an issue's attachments, newest first",
    responses: { 200: { description: "Attachments", schema: z.array(Attachment) } },
    handler: async ({ actor, services, params }) => ok(await services.attachments.list(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/attachments/:attachmentId/content",
    summary:
      "Download an attachment: its stored content type, nosniff, a sandboxing Content-Security-Policy; " +
      "inline only for png/jpeg/gif/webp, every other type (SVG included) as a download",
    responses: {
      200: { description: "The file's bytes (with its stored content type)", contentType: "application/octet-stream" },
      404: { description: "No such attachment (or another company's)" },
    },
    async handler({ actor, services, params }) {
      const { attachment, body } = await services.attachments.content(actor, params.attachmentId!);
      return {
        status: 200,
        body: undefined,
        rawBinary: { body, contentType: attachment.contentType },
        headers: contentHeaders(attachment.contentType, attachment.originalFilename, attachment.byteSize),
      };
    },
  }),
  defineRoute({
    ...base,
    method: "delete",
    path: "/api/attachments/:attachmentId",
    summary: "Delete an attachment (the board, or the agent that uploaded it)",
    responses: { 200: { description: "Deleted", schema: OkBody } },
    async handler({ actor, services, params }) {
      await services.attachments.remove(actor, params.attachmentId!);
      return ok({ ok: true });
    },
  }),
];
