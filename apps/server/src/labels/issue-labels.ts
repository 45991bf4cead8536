import type { Label } from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import { ruleViolation } from "../errors.js";
import { LABEL_COLUMNS } from "./sql.js";

export interface IssueLabels {
  labelIds: string[];
  labels: Label[];
}

/** The labels an issue carries, ordered by name. */
export async function issueLabels(q: Queryable, issueId: string): Promise<IssueLabels> {
  const labels = await q.query<Label>(
    `SELECT ${LABEL_COLUMNS.split(", ")
      .map((c) => `l.${c}`)
      .join(", ")}
       FROM issue_labels il JOIN labels l ON l.id = il.label_id
      WHERE il.issue_id = $1 ORDER BY lower(l.name), l.id`,
    [issueId],
  );
  return { labelIds: labels.map((l) => l.id), labels };
}

/**
 * Replaces an issue's labels with `labelIds` (duplicates collapse) inside the caller's transaction.
 * Every id must be a label of the issue's company: an unknown id, or one of another company, is a
 * 422 naming the ids (`label_invalid`), indistinguishable from each other. Returns the sets before
 * and after, for the activity row.
 */
export async function replaceIssueLabels(
  q: Queryable,
  companyId: string,
  issueId: string,
  labelIds: readonly string[],
): Promise<{ from: string[]; to: string[] }> {
  const wanted = [...new Set(labelIds)];
  if (wanted.length) {
    const found = await q.query<{ id: string }>("SELECT id FROM labels WHERE company_id = $1 AND id = ANY($2::uuid[])", [
      companyId,
      wanted,
    ]);
    const known = new Set(found.map((r) => r.id));
    const invalid = wanted.filter((id) => !known.has(id));
    if (invalid.length) {
      throw ruleViolation("One or more labels are invalid for this company", { invalidLabelIds: invalid }, "label_invalid");
    }
  }
  const before = await q.query<{ labelId: string }>("SELECT label_id FROM issue_labels WHERE issue_id = $1 ORDER BY label_id", [issueId]);
  const from = before.map((r) => r.labelId);
  const to = [...wanted].sort();
  if (from.length === to.length && from.every((id, i) => id === to[i])) return { from, to };
  await q.query("DELETE FROM issue_labels WHERE issue_id = $1 AND NOT (label_id = ANY($2::uuid[]))", [issueId, to]);
  if (to.length) {
    await q.query(
      `INSERT INTO issue_labels (issue_id, label_id, company_id)
       SELECT $1, unnest($2::uuid[]), $3 ON CONFLICT (issue_id, label_id) DO NOTHING`,
      [issueId, to, companyId],
    );
  }
  return { from, to };
}
