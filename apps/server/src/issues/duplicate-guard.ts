import type { Queryable } from "../db/database.js";
import { openIssueSql } from "../db/predicates.js";
import { ISSUE_COLUMNS, type IssueRow } from "./rows.js";

/** How far back an open issue with the same title counts as the one being created again. */
const DUPLICATE_WINDOW_HOURS = 48;

/** Titles compare trimmed, with inner whitespace runs collapsed, case-insensitively. */
export function normalizeIssueTitle(title: string): string {
  return title.trim().replace(/\s+/g, " ").toLowerCase();
}

/**
 * Paperclip clients send `allowDuplicate: false` on issue creation: an open, visible issue of the
 * same company and parent with the same normalized title, created in the last 48 hours, is answered
 * instead of a new one (a retried create does not make a second task). Must run inside the creating
 * transaction: the advisory lock on (company, parent, title) is held until commit, so two concurrent
 * creates of one title serialise and the second finds the first.
 */
export async function lockAndFindRecentDuplicate(
  q: Queryable,
  companyId: string,
  parentId: string | null,
  title: string,
): Promise<IssueRow | undefined> {
  const normalized = normalizeIssueTitle(title);
  await q.query(
    "SELECT pg_advisory_xact_lock(hashtextextended('staple.issue-title:' || $1::text || ':' || $2::text || ':' || $3::text, 0))",
    [companyId, parentId ?? "root", normalized],
  );
  const [row] = await q.query<IssueRow>(
    `SELECT ${ISSUE_COLUMNS} FROM issues
      WHERE company_id = $1 AND parent_id IS NOT DISTINCT FROM $2 AND hidden_at IS NULL
        AND ${openIssueSql()}
        AND created_at >= now() - make_interval(hours => ${DUPLICATE_WINDOW_HOURS})
        AND lower(regexp_replace(btrim(title), '\\s+', ' ', 'g')) = $3
      ORDER BY created_at, id LIMIT 1`,
    [companyId, parentId, normalized],
  );
  return row;
}
