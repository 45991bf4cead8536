import { isUuid, type CreateLabelBody, type Label, type UpdateLabelBody } from "@staple/contracts";
import type { Database } from "../db/database.js";
import { pgConstraint, pgErrorCode, PG_UNIQUE_VIOLATION } from "../db/database.js";
import { conflict, notFound } from "../errors.js";
import type { Actor } from "../auth/actor.js";
import { assertCanSee, assertCompanyAccess } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import { LABEL_COLUMNS } from "./sql.js";

/** A duplicate name (any case) within the company is a 409 naming it; other errors pass through. */
function nameTaken(error: unknown, name: string | undefined): unknown {
  if (pgErrorCode(error) === PG_UNIQUE_VIOLATION && pgConstraint(error) === "labels_company_name_key") {
    return conflict(`A label named "${name}" already exists in this company`, { name }, "label_name_taken");
  }
  return error;
}

/**
 * Company labels: create, rename/recolor, delete. Any actor of the company may manage them (board
 * or agent), as in Paperclip. Deleting a label removes it from every issue (foreign key cascade).
 */
export function createLabelService(db: Database) {
  async function visible(actor: Actor, labelId: string): Promise<Label> {
    const [label] = isUuid(labelId) ? await db.query<Label>(`SELECT ${LABEL_COLUMNS} FROM labels WHERE id = $1`, [labelId]) : [];
    if (!label) throw notFound("Label not found");
    assertCanSee(actor, label.companyId, "Label");
    return label;
  }

  return {
    async list(actor: Actor, companyId: string): Promise<Label[]> {
      assertCompanyAccess(actor, companyId);
      return db.query<Label>(`SELECT ${LABEL_COLUMNS} FROM labels WHERE company_id = $1 ORDER BY lower(name), id`, [companyId]);
    },

    async create(actor: Actor, companyId: string, body: CreateLabelBody): Promise<Label> {
      assertCompanyAccess(actor, companyId);
      try {
        return await db.tx(async (q) => {
          const [label] = await q.query<Label>(
            `INSERT INTO labels (company_id, name, color) VALUES ($1, $2, $3) RETURNING ${LABEL_COLUMNS}`,
            [companyId, body.name, body.color],
          );
          await recordActivity(q, {
            companyId,
            actor,
            action: "label.created",
            entityType: "label",
            entityId: label!.id,
            details: { name: label!.name, color: label!.color },
          });
          return label!;
        });
      } catch (error) {
        throw nameTaken(error, body.name);
      }
    },

    async update(actor: Actor, labelId: string, body: UpdateLabelBody): Promise<Label> {
      const before = await visible(actor, labelId);
      try {
        return await db.tx(async (q) => {
          const [label] = await q.query<Label>(
            `UPDATE labels SET name = coalesce($2, name), color = coalesce($3, color), updated_at = now()
              WHERE id = $1 RETURNING ${LABEL_COLUMNS}`,
            [before.id, body.name ?? null, body.color ?? null],
          );
          if (!label) throw notFound("Label not found");
          await recordActivity(q, {
            companyId: label.companyId,
            actor,
            action: "label.updated",
            entityType: "label",
            entityId: label.id,
            details: { from: { name: before.name, color: before.color }, to: { name: label.name, color: label.color } },
          });
          return label;
        });
      } catch (error) {
        throw nameTaken(error, body.name);
      }
    },

    /** Deletes the label; answers the deleted row (as Paperclip does). */
    async remove(actor: Actor, labelId: string): Promise<Label> {
      const found = await visible(actor, labelId);
      return db.tx(async (q) => {
        const [{ issueCount } = { issueCount: 0 }] = await q.query<{ issueCount: number }>(
          "SELECT count(*)::int AS issue_count FROM issue_labels WHERE label_id = $1",
          [found.id],
        );
        const [label] = await q.query<Label>(`DELETE FROM labels WHERE id = $1 RETURNING ${LABEL_COLUMNS}`, [found.id]);
        if (!label) throw notFound("Label not found");
        await recordActivity(q, {
          companyId: label.companyId,
          actor,
          action: "label.deleted",
          entityType: "label",
          entityId: label.id,
          details: { name: label.name, color: label.color, removedFromIssues: issueCount },
        });
        return label;
      });
    },
  };
}
export type LabelService = ReturnType<typeof createLabelService>;
