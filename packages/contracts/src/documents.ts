import { z } from "zod";
import { DOCUMENT_FORMATS, WORK_PRODUCT_STATUSES, WORK_PRODUCT_TYPES } from "./enums.js";
import { JsonObject, NonEmptyTrimmed, Timestamp, Uuid } from "./common.js";

export const DOCUMENT_KEY_RE = /^[a-z0-9][a-z0-9_-]*$/;
export const DOCUMENT_KEY_MAX = 64;
export const DOCUMENT_BODY_MAX_BYTES = 512 * 1024;

export const DocumentKey = z
  .string()
  .max(DOCUMENT_KEY_MAX, `Document key is at most ${DOCUMENT_KEY_MAX} characters`)
  .regex(DOCUMENT_KEY_RE, "Document key must match [a-z0-9][a-z0-9_-]*");

export const IssueDocument = z
  .object({
    id: Uuid,
    companyId: Uuid,
    issueId: Uuid,
    key: z.string(),
    title: z.string().nullable(),
    format: z.enum(DOCUMENT_FORMATS),
    body: z.string(),
    latestRevisionId: Uuid,
    latestRevisionNumber: z.number().int(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "IssueDocument" });

export const DocumentRevision = z
  .object({
    id: Uuid,
    documentId: Uuid,
    revisionNumber: z.number().int(),
    title: z.string().nullable(),
    body: z.string(),
    changeSummary: z.string().nullable(),
    createdByAgentId: Uuid.nullable(),
    createdByUserId: z.string().nullable(),
    createdByRunId: Uuid.nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: "DocumentRevision" });

export const PutDocumentBody = z.strictObject({
  title: z.string().max(200).nullable().optional(),
  format: z.enum(DOCUMENT_FORMATS).default("markdown"),
  body: z
    .string()
    .refine((b) => Buffer.byteLength(b, "utf8") <= DOCUMENT_BODY_MAX_BYTES, `Document body is at most ${DOCUMENT_BODY_MAX_BYTES} bytes`),
  changeSummary: z.string().max(500).nullable().optional(),
  baseRevisionId: Uuid.nullable().optional(),
});
export type PutDocumentBody = z.infer<typeof PutDocumentBody>;

export const WorkProduct = z
  .object({
    id: Uuid,
    companyId: Uuid,
    issueId: Uuid,
    projectId: Uuid.nullable(),
    type: z.enum(WORK_PRODUCT_TYPES),
    provider: z.string(),
    externalId: z.string().nullable(),
    title: z.string(),
    url: z.string().nullable(),
    status: z.enum(WORK_PRODUCT_STATUSES),
    isPrimary: z.boolean(),
    summary: z.string().nullable(),
    metadata: JsonObject.nullable(),
    createdByRunId: Uuid.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "WorkProduct" });

export const CreateWorkProductBody = z.strictObject({
  type: z.enum(WORK_PRODUCT_TYPES),
  provider: NonEmptyTrimmed.max(100),
  title: NonEmptyTrimmed.max(500),
  externalId: z.string().max(500).nullable().optional(),
  url: z.url().nullable().optional(),
  status: z.enum(WORK_PRODUCT_STATUSES).optional(),
  isPrimary: z.boolean().optional(),
  summary: z.string().max(10_000).nullable().optional(),
  metadata: JsonObject.nullable().optional(),
  projectId: Uuid.nullable().optional(),
});
export type CreateWorkProductBody = z.infer<typeof CreateWorkProductBody>;
