import { isUuid, type Attachment } from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { forbidden, notFound, ruleViolation } from "../errors.js";
import { actorStamp, type Actor } from "../auth/actor.js";
import { assertCanSee } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import { findIssue, type IssueRow } from "../issues/rows.js";
import { sanitizeFilename } from "./filename.js";
import { normalizeContentType } from "./serving.js";

/**
 * Content is stored in chunks of this size: a download reads one chunk per step, and no single
 * statement carries more than this many bytes. Chunks travel as base64 text (decode/encode in SQL):
 * the embedded driver converts bytea parameters and results about ten times slower than text.
 */
export const CHUNK_BYTES = 1024 * 1024;

const COLUMNS = `id, company_id, issue_id, issue_comment_id, content_type, byte_size, sha256, original_filename,
  created_by_agent_id, created_by_user_id, created_by_run_id, created_at, updated_at`;

interface AttachmentRow {
  id: string;
  companyId: string;
  issueId: string;
  issueCommentId: string | null;
  contentType: string;
  byteSize: number;
  sha256: string;
  originalFilename: string | null;
  createdByAgentId: string | null;
  createdByUserId: string | null;
  createdByRunId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const attachmentContentPath = (id: string) => `/api/attachments/${id}/content`;

/** The API shape `Attachment` (timestamps still Dates until serialized). */
export type AttachmentView = AttachmentRow & Pick<Attachment, "assetId" | "provider" | "originatingRunId" | "contentPath">;

/** Paperclip's field names, plus Staple's createdByRunId (the same run as originatingRunId). */
function present(row: AttachmentRow): AttachmentView {
  return {
    ...row,
    assetId: row.id,
    provider: "postgres",
    originatingRunId: row.createdByRunId,
    contentPath: attachmentContentPath(row.id),
  };
}

export interface NewAttachment {
  filename: string | undefined;
  contentType: string | undefined;
  data: Buffer;
  sha256: string;
  issueCommentId?: string;
}

export interface CompactAttachment {
  id: string;
  filename: string;
  contentType: string;
  byteSize: number;
  contentPath: string;
  createdAt: Date;
}

/** The attachments of an issue in the heartbeat context's compact form, newest first. */
export async function listIssueAttachmentsCompact(q: Queryable, issueId: string): Promise<CompactAttachment[]> {
  const rows = await q.query<Omit<CompactAttachment, "contentPath">>(
    `SELECT id, coalesce(original_filename, 'attachment') AS filename, content_type, byte_size, created_at
       FROM issue_attachments WHERE issue_id = $1 ORDER BY created_at DESC, id DESC`,
    [issueId],
  );
  return rows.map((r) => ({ ...r, contentPath: attachmentContentPath(r.id) }));
}

/**
 * Issue attachments stored in Postgres. Who may do what:
 * - upload, list, read: the board and every agent of the issue's company;
 * - delete: the board, or the agent that uploaded the file (another agent gets 403);
 * - anything of another company is a 404, as if it did not exist.
 * An agent's upload records its run (X-Paperclip-Run-Id or the run JWT) as `createdByRunId`.
 */
export function createAttachmentService(db: Database) {
  async function visible(actor: Actor, attachmentId: string): Promise<AttachmentRow> {
    const [row] = isUuid(attachmentId)
      ? await db.query<AttachmentRow>(`SELECT ${COLUMNS} FROM issue_attachments WHERE id = $1`, [attachmentId])
      : [];
    if (!row) throw notFound("Attachment not found");
    assertCanSee(actor, row.companyId, "Attachment");
    return row;
  }

  return {
    /**
     * The issue an upload goes to, checked before any of the body is read. The path's company has
     * passed the scope check; an issue the actor cannot see is a 404, one of another company it can
     * see a 422 (Paperclip's answer).
     */
    async uploadTarget(actor: Actor, companyId: string, issueRef: string): Promise<IssueRow> {
      const issue = await findIssue(db, issueRef);
      if (!issue) throw notFound("Issue not found");
      assertCanSee(actor, issue.companyId, "Issue");
      if (issue.companyId !== companyId) throw ruleViolation("Issue does not belong to company", undefined, "issue_company_mismatch");
      return issue;
    },

    async create(actor: Actor, issue: IssueRow, file: NewAttachment): Promise<AttachmentView> {
      if (file.data.byteLength === 0) throw ruleViolation("Attachment is empty", undefined, "attachment_empty");
      const stamp = actorStamp(actor);
      return db.tx(async (q) => {
        if (file.issueCommentId !== undefined) {
          const [comment] = isUuid(file.issueCommentId)
            ? await q.query("SELECT 1 FROM issue_comments WHERE id = $1 AND issue_id = $2", [file.issueCommentId, issue.id])
            : [];
          if (!comment) throw ruleViolation("issueCommentId is not a comment of this issue", undefined, "comment_not_on_issue");
        }
        const [row] = await q.query<AttachmentRow>(
          `INSERT INTO issue_attachments (company_id, issue_id, issue_comment_id, content_type, byte_size, sha256, original_filename,
             created_by_agent_id, created_by_user_id, created_by_run_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
          [
            issue.companyId,
            issue.id,
            file.issueCommentId?.toLowerCase() ?? null,
            normalizeContentType(file.contentType),
            file.data.byteLength,
            file.sha256,
            sanitizeFilename(file.filename),
            stamp.agentId,
            actor.kind === "board" ? actor.userId : null,
            stamp.runId,
          ],
        );
        for (let seq = 0, offset = 0; offset < file.data.byteLength; seq++, offset += CHUNK_BYTES) {
          await q.query("INSERT INTO issue_attachment_chunks (attachment_id, seq, data) VALUES ($1, $2, decode($3, 'base64'))", [
            row!.id,
            seq,
            file.data.subarray(offset, offset + CHUNK_BYTES).toString("base64"),
          ]);
        }
        await recordActivity(q, {
          companyId: issue.companyId,
          actor,
          action: "issue.attachment_added",
          entityType: "issue",
          entityId: issue.id,
          details: {
            identifier: issue.identifier,
            attachmentId: row!.id,
            originalFilename: row!.originalFilename,
            contentType: row!.contentType,
            byteSize: row!.byteSize,
          },
        });
        return present(row!);
      });
    },

    /** Newest first (as Paperclip lists them). */
    async list(actor: Actor, issueRef: string): Promise<AttachmentView[]> {
      const issue = await findIssue(db, issueRef);
      if (!issue) throw notFound("Issue not found");
      assertCanSee(actor, issue.companyId, "Issue");
      const rows = await db.query<AttachmentRow>(
        `SELECT ${COLUMNS} FROM issue_attachments WHERE issue_id = $1 ORDER BY created_at DESC, id DESC`,
        [issue.id],
      );
      return rows.map(present);
    },

    /**
     * The attachment and its bytes as a stream that reads one chunk per pull. Attachments never
     * change; if one is deleted mid-download the stream errors rather than end short silently.
     */
    async content(actor: Actor, attachmentId: string): Promise<{ attachment: AttachmentView; body: ReadableStream<Uint8Array> }> {
      const row = await visible(actor, attachmentId);
      let seq = 0;
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const [chunk] = await db.query<{ data: string }>(
            "SELECT encode(data, 'base64') AS data FROM issue_attachment_chunks WHERE attachment_id = $1 AND seq = $2",
            [row.id, seq++],
          );
          if (chunk) {
            const bytes = Buffer.from(chunk.data, "base64");
            sent += bytes.byteLength;
            controller.enqueue(bytes);
          }
          if (sent >= row.byteSize) controller.close();
          else if (!chunk) controller.error(new Error(`attachment ${row.id} was removed while it was being read`));
        },
      });
      return { attachment: present(row), body };
    },

    async remove(actor: Actor, attachmentId: string): Promise<void> {
      const row = await visible(actor, attachmentId);
      if (actor.kind === "agent" && row.createdByAgentId !== actor.agentId) {
        throw forbidden("Only the board or the agent that uploaded an attachment can delete it", "attachment_not_owner");
      }
      await db.tx(async (q) => {
        const [deleted] = await q.query<{ id: string }>("DELETE FROM issue_attachments WHERE id = $1 RETURNING id", [row.id]);
        if (!deleted) throw notFound("Attachment not found");
        await recordActivity(q, {
          companyId: row.companyId,
          actor,
          action: "issue.attachment_removed",
          entityType: "issue",
          entityId: row.issueId,
          details: { attachmentId: row.id, originalFilename: row.originalFilename },
        });
      });
    },
  };
}
export type AttachmentService = ReturnType<typeof createAttachmentService>;
