import { z } from "zod";
import { Timestamp, Uuid } from "./common.js";

/** Default upload limit in bytes (STAPLE_ATTACHMENT_MAX_BYTES overrides it). */
export const ATTACHMENT_MAX_BYTES_DEFAULT = 25 * 1024 * 1024;
/** Longest stored filename, in characters (longer names are shortened, keeping the extension). */
export const ATTACHMENT_FILENAME_MAX = 200;

export const Attachment = z
  .object({
    id: Uuid,
    companyId: Uuid,
    issueId: Uuid,
    issueCommentId: Uuid.nullable(),
    /** Paperclip names the stored file an asset; here the attachment is its own asset (same id). */
    assetId: Uuid,
    /** Where the bytes are kept: always `postgres` (served by any server on the database). */
    provider: z.literal("postgres"),
    contentType: z.string(),
    byteSize: z.number().int(),
    sha256: z.string(),
    originalFilename: z.string().nullable(),
    createdByAgentId: Uuid.nullable(),
    createdByUserId: z.string().nullable(),
    /** The run an agent uploaded from; `originatingRunId` is Paperclip's name for the same value. */
    createdByRunId: Uuid.nullable(),
    originatingRunId: Uuid.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    /** `GET` this path for the bytes. */
    contentPath: z.string(),
  })
  .meta({ id: "Attachment" });
export type Attachment = z.infer<typeof Attachment>;
