import { DocumentKey, isUuid, type CreateWorkProductBody, type PutDocumentBody } from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { tableColumns, type Assert, type ColumnsOf, type RowMatches } from "../db/row-columns.js";
import { conflict, notFound, validationError } from "../errors.js";
import { actorStamp, type Actor } from "../auth/actor.js";
import { recordActivity } from "../activity/record.js";
import { findIssue, type IssueRow } from "../issues/rows.js";
import type { IssueService } from "../issues/service.js";
import { agentWriteRedactor } from "../secrets/agent-writes.js";

/**
 * The columns a document row reads: the issue's link (issue_documents d) and the document (documents
 * doc); the link's id is read as link_id and the latest body as body. test/row-types.test.ts checks
 * both lists against the migrated schema.
 */
export const ISSUE_DOCUMENT_ROW = tableColumns("issue_documents", ["id", "company_id", "issue_id", "key"]);
export const DOCUMENT_ROW = tableColumns("documents", [
  "id",
  "title",
  "format",
  "latest_body",
  "latest_revision_id",
  "latest_revision_number",
  "created_at",
  "updated_at",
]);
const DOC_COLUMNS = [
  ...ISSUE_DOCUMENT_ROW.columns.map((c) => (c === "id" ? "d.id AS link_id" : `d.${c}`)),
  ...DOCUMENT_ROW.columns.map((c) => (c === "latest_body" ? "doc.latest_body AS body" : `doc.${c}`)),
].join(", ");
const REVISION_COLUMNS = `id, document_id, revision_number, title, body, change_summary, created_by_agent_id,
  created_by_user_id, created_by_run_id, created_at`;
const WORK_PRODUCT_COLUMNS = `id, company_id, issue_id, project_id, type, provider, external_id, title, url, status, is_primary,
  summary, metadata, created_by_run_id, created_at, updated_at`;

interface DocRow {
  linkId: string;
  companyId: string;
  issueId: string;
  key: string;
  id: string;
  title: string | null;
  format: string;
  body: string;
  latestRevisionId: string | null;
  latestRevisionNumber: number;
  createdAt: Date;
  updatedAt: Date;
}
export type DocRowCheck = Assert<
  RowMatches<
    DocRow,
    Exclude<ColumnsOf<typeof ISSUE_DOCUMENT_ROW>, "id"> | "link_id" | Exclude<ColumnsOf<typeof DOCUMENT_ROW>, "latest_body"> | "body"
  >
>;

function checkKey(key: string): string {
  const result = DocumentKey.safeParse(key);
  if (!result.success) throw validationError("Invalid document key", result.error.issues);
  return key;
}

const publicDoc = ({ linkId: _l, ...doc }: DocRow) => doc;

/** A document got a new revision, or was deleted (`revisionId` null). */
export interface DocumentRevisionChange {
  companyId: string;
  issueId: string;
  documentId: string;
  key: string;
  revisionId: string | null;
  revisionNumber: number | null;
}

/** Called inside the write's transaction (e.g. interactions about an older revision go stale). */
export interface DocumentHooks {
  afterRevision?(q: Queryable, change: DocumentRevisionChange, actor: Actor): Promise<void>;
}

async function findDoc(q: Queryable, issueId: string, key: string, lock = false): Promise<DocRow | undefined> {
  const [doc] = await q.query<DocRow>(
    `SELECT ${DOC_COLUMNS} FROM issue_documents d JOIN documents doc ON doc.id = d.document_id
      WHERE d.issue_id = $1 AND d.key = $2${lock ? " FOR UPDATE OF d, doc" : ""}`,
    [issueId, key],
  );
  return doc;
}

/**
 * Issue documents with revisions. A write names the revision it was based on; if another write
 * landed since, it is refused with 409 instead of silently overwriting (optimistic concurrency).
 */
export function createDocumentService(db: Database, issues: IssueService, hooks: DocumentHooks = {}) {
  return {
    async list(actor: Actor, issueRef: string) {
      const issue = await issues.visibleIssue(actor, issueRef);
      const rows = await db.query<DocRow>(
        `SELECT ${DOC_COLUMNS} FROM issue_documents d JOIN documents doc ON doc.id = d.document_id
          WHERE d.issue_id = $1 ORDER BY d.key`,
        [issue.id],
      );
      return rows.map(publicDoc);
    },

    async get(actor: Actor, issueRef: string, key: string) {
      const issue = await issues.visibleIssue(actor, issueRef);
      const doc = await findDoc(db, issue.id, checkKey(key));
      if (!doc) throw notFound("Document not found");
      return publicDoc(doc);
    },

    async revisions(actor: Actor, issueRef: string, key: string) {
      const issue = await issues.visibleIssue(actor, issueRef);
      const doc = await findDoc(db, issue.id, checkKey(key));
      if (!doc) throw notFound("Document not found");
      return db.query(`SELECT ${REVISION_COLUMNS} FROM document_revisions WHERE document_id = $1 ORDER BY revision_number DESC`, [doc.id]);
    },

    /** Returns `created` so the route can answer 201 for a new document and 200 for a new revision. */
    async put(actor: Actor, issueRef: string, key: string, sent: PutDocumentBody) {
      checkKey(key);
      const visible = await issues.visibleIssue(actor, issueRef);
      // Secrets an agent writes are stored as [REDACTED], in the document and its revision alike.
      const redactor = await agentWriteRedactor(db, actor, visible.companyId, [sent.title, sent.body, sent.changeSummary]);
      const body = {
        ...sent,
        title: redactor.text(sent.title),
        body: redactor.text(sent.body),
        changeSummary: redactor.text(sent.changeSummary),
      };
      const stamp = actorStamp(actor);
      const userId = actor.kind === "board" ? actor.userId : null;
      return db.tx(async (q) => {
        const issue = (await findIssue(q, visible.id, true)) as IssueRow;
        const existing = await findDoc(q, issue.id, key, true);
        if (!existing) {
          if (body.baseRevisionId) {
            throw conflict("Document does not exist yet; omit baseRevisionId to create it", { key }, "document_base_stale");
          }
          const [doc] = await q.query<{ id: string }>(
            `INSERT INTO documents (company_id, title, format, latest_body, latest_revision_number)
             VALUES ($1, $2, $3, $4, 1) RETURNING id`,
            [issue.companyId, body.title ?? null, body.format, body.body],
          );
          const [rev] = await q.query<{ id: string }>(
            `INSERT INTO document_revisions (company_id, document_id, revision_number, title, body, change_summary,
               created_by_agent_id, created_by_user_id, created_by_run_id)
             VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8) RETURNING id`,
            [issue.companyId, doc!.id, body.title ?? null, body.body, body.changeSummary ?? null, stamp.agentId, userId, stamp.runId],
          );
          await q.query("UPDATE documents SET latest_revision_id = $2 WHERE id = $1", [doc!.id, rev!.id]);
          await q.query("INSERT INTO issue_documents (company_id, issue_id, document_id, key) VALUES ($1, $2, $3, $4)", [
            issue.companyId,
            issue.id,
            doc!.id,
            key,
          ]);
          await q.query("UPDATE issues SET updated_at = now() WHERE id = $1", [issue.id]);
          await recordActivity(q, {
            companyId: issue.companyId,
            actor,
            action: "issue.document_created",
            entityType: "issue",
            entityId: issue.id,
            details: { identifier: issue.identifier, key, documentId: doc!.id, revisionId: rev!.id, revisionNumber: 1 },
          });
          return { created: true, document: publicDoc((await findDoc(q, issue.id, key))!) };
        }
        if (body.baseRevisionId && body.baseRevisionId !== existing.latestRevisionId) {
          throw conflict(
            "Document was changed since baseRevisionId; reload it and reapply your change",
            {
              key,
              baseRevisionId: body.baseRevisionId,
              currentRevisionId: existing.latestRevisionId,
              currentRevisionNumber: existing.latestRevisionNumber,
            },
            "document_base_stale",
          );
        }
        const number = existing.latestRevisionNumber + 1;
        const title = body.title !== undefined ? body.title : (existing.title as string | null);
        const [rev] = await q.query<{ id: string }>(
          `INSERT INTO document_revisions (company_id, document_id, revision_number, title, body, change_summary,
             created_by_agent_id, created_by_user_id, created_by_run_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
          [issue.companyId, existing.id, number, title, body.body, body.changeSummary ?? null, stamp.agentId, userId, stamp.runId],
        );
        // Guarded by the revision we read: a concurrent writer that slipped past the row lock cannot be overwritten.
        await q.query(
          `UPDATE documents SET title = $2, format = $3, latest_body = $4, latest_revision_id = $5, latest_revision_number = $6,
             updated_at = now() WHERE id = $1 AND latest_revision_id = $7`,
          [existing.id, title, body.format, body.body, rev!.id, number, existing.latestRevisionId],
        );
        await q.query("UPDATE issue_documents SET updated_at = now() WHERE id = $1", [existing.linkId]);
        await q.query("UPDATE issues SET updated_at = now() WHERE id = $1", [issue.id]);
        await recordActivity(q, {
          companyId: issue.companyId,
          actor,
          action: "issue.document_updated",
          entityType: "issue",
          entityId: issue.id,
          details: { identifier: issue.identifier, key, documentId: existing.id, revisionId: rev!.id, revisionNumber: number },
        });
        await hooks.afterRevision?.(
          q,
          { companyId: issue.companyId, issueId: issue.id, documentId: existing.id, key, revisionId: rev!.id, revisionNumber: number },
          actor,
        );
        return { created: false, document: publicDoc((await findDoc(q, issue.id, key))!) };
      });
    },

    async remove(actor: Actor, issueRef: string, key: string) {
      checkKey(key);
      const visible = await issues.visibleIssue(actor, issueRef);
      return db.tx(async (q) => {
        const doc = await findDoc(q, visible.id, key, true);
        if (!doc) throw notFound("Document not found");
        await q.query("DELETE FROM documents WHERE id = $1", [doc.id]); // cascades to revisions and the issue link
        await recordActivity(q, {
          companyId: visible.companyId,
          actor,
          action: "issue.document_deleted",
          entityType: "issue",
          entityId: visible.id,
          details: { identifier: visible.identifier, key, documentId: doc.id },
        });
        await hooks.afterRevision?.(
          q,
          { companyId: visible.companyId, issueId: visible.id, documentId: doc.id, key, revisionId: null, revisionNumber: null },
          actor,
        );
        return { ok: true as const };
      });
    },

    async listWorkProducts(actor: Actor, issueRef: string) {
      const issue = await issues.visibleIssue(actor, issueRef);
      return db.query(`SELECT ${WORK_PRODUCT_COLUMNS} FROM issue_work_products WHERE issue_id = $1 ORDER BY created_at, id`, [issue.id]);
    },

    async createWorkProduct(actor: Actor, issueRef: string, sent: CreateWorkProductBody) {
      const issue = await issues.visibleIssue(actor, issueRef);
      // Every free-text field of an agent's work product is redacted (the activity copies the title).
      const { projectId: _p, ...texts } = sent;
      const body = { ...sent, ...(await agentWriteRedactor(db, actor, issue.companyId, [texts])).deep(texts) } as CreateWorkProductBody;
      const projectId = body.projectId !== undefined ? body.projectId : issue.projectId;
      if (projectId && !isUuid(projectId)) throw notFound("Project not found");
      const stamp = actorStamp(actor);
      return db.tx(async (q) => {
        if (projectId) {
          const [p] = await q.query<{ companyId: string }>("SELECT company_id FROM projects WHERE id = $1", [projectId]);
          if (!p || p.companyId !== issue.companyId) throw notFound("Project not found");
        }
        // A pull request already recorded for the issue (e.g. found in the run's output) is not recorded twice.
        if (body.type === "pull_request" && body.url) {
          const [same] = await q.query<{ id: string }>(
            `SELECT ${WORK_PRODUCT_COLUMNS} FROM issue_work_products WHERE issue_id = $1 AND type = 'pull_request' AND url = $2 LIMIT 1`,
            [issue.id, body.url],
          );
          if (same) return same;
        }
        const [product] = await q.query<{ id: string }>(
          `INSERT INTO issue_work_products (company_id, issue_id, project_id, type, provider, external_id, title, url, status,
             is_primary, summary, metadata, created_by_run_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13) RETURNING ${WORK_PRODUCT_COLUMNS}`,
          [
            issue.companyId,
            issue.id,
            projectId ?? null,
            body.type,
            body.provider,
            body.externalId ?? null,
            body.title,
            body.url ?? null,
            body.status ?? "active",
            body.isPrimary ?? false,
            body.summary ?? null,
            body.metadata ? JSON.stringify(body.metadata) : null,
            stamp.runId,
          ],
        );
        await recordActivity(q, {
          companyId: issue.companyId,
          actor,
          action: "issue.work_product_created",
          entityType: "issue",
          entityId: issue.id,
          details: { identifier: issue.identifier, workProductId: product!.id, type: body.type, title: body.title },
        });
        return product!;
      });
    },
  };
}
export type DocumentService = ReturnType<typeof createDocumentService>;
