import type { Queryable } from "../db/database.js";
import { notFound, ruleViolation } from "../errors.js";
import { ISSUE_REF_COLUMNS, type IssueRef } from "./rows.js";

/** Ancestor walks stop here even if the data holds a loop. */
export const MAX_ANCESTOR_DEPTH = 100;

/** The issue's parents, nearest first. */
export async function ancestorsOf(q: Queryable, parentId: string | null): Promise<IssueRef[]> {
  if (!parentId) return [];
  return q.query<IssueRef>(
    `WITH RECURSIVE up(id, depth) AS (
       SELECT $1::uuid, 1
       UNION
       SELECT i.parent_id, up.depth + 1 FROM issues i JOIN up ON i.id = up.id
        WHERE i.parent_id IS NOT NULL AND up.depth < ${MAX_ANCESTOR_DEPTH}
     )
     SELECT ${ISSUE_REF_COLUMNS} FROM up JOIN issues i ON i.id = up.id ORDER BY up.depth`,
    [parentId],
  );
}

export async function childrenOf(q: Queryable, issueId: string): Promise<IssueRef[]> {
  return q.query<IssueRef>(
    `SELECT ${ISSUE_REF_COLUMNS} FROM issues i WHERE i.parent_id = $1 AND i.hidden_at IS NULL ORDER BY i.issue_number`,
    [issueId],
  );
}

/** The parent must be an issue of the same company and must not be the issue or its descendant. */
export async function checkParent(q: Queryable, companyId: string, issueId: string | null, parentId: string) {
  const [parent] = await q.query<{ companyId: string; requestDepth: number }>(
    "SELECT company_id, request_depth FROM issues WHERE id = $1",
    [parentId],
  );
  if (!parent || parent.companyId !== companyId) throw notFound("Parent issue not found");
  if (issueId) {
    if (issueId === parentId) throw ruleViolation("An issue cannot be its own parent", undefined, "parent_cycle");
    const ancestors = await ancestorsOf(q, parentId);
    if (ancestors.some((a) => a.id === issueId)) {
      throw ruleViolation("parentId would make the issue its own ancestor", undefined, "parent_cycle");
    }
  }
  return parent;
}

/**
 * Replaces the set of issues blocking `issueId` (spec: `blockedByIssueIds` has replace semantics).
 * Blockers must be issues of the same company, never the issue itself, and never something the
 * issue already blocks (directly or transitively): that would be a dependency cycle.
 */
export async function replaceBlockers(
  q: Queryable,
  companyId: string,
  issueId: string,
  blockerIds: readonly string[],
  createdBy: { agentId: string | null; userId: string | null },
): Promise<{ added: string[]; removed: string[] }> {
  // Uuids are case-insensitive: compare them in the canonical lower-case form the database returns.
  const wanted = [...new Set(blockerIds.map((id) => id.toLowerCase()))];
  if (wanted.includes(issueId)) throw ruleViolation("An issue cannot block itself", undefined, "blocker_cycle");
  if (wanted.length > 0) {
    const found = await q.query<{ id: string }>("SELECT id FROM issues WHERE id = ANY($1::uuid[]) AND company_id = $2", [
      wanted,
      companyId,
    ]);
    const missing = wanted.filter((id) => !found.some((f) => f.id === id));
    if (missing.length > 0) throw notFound(`Blocking issue not found: ${missing.join(", ")}`);
    const [cycle] = await q.query<{ id: string }>(
      `WITH RECURSIVE downstream(id) AS (
         SELECT related_issue_id FROM issue_relations WHERE issue_id = $1 AND type = 'blocks'
         UNION
         SELECT r.related_issue_id FROM issue_relations r JOIN downstream d ON r.issue_id = d.id WHERE r.type = 'blocks'
       ) SELECT id FROM downstream WHERE id = ANY($2::uuid[]) LIMIT 1`,
      [issueId, wanted],
    );
    if (cycle) {
      throw ruleViolation("blockedByIssueIds would create a dependency cycle", { issueId: cycle.id }, "blocker_cycle");
    }
  }
  const removed = await q.query<{ issueId: string }>(
    `DELETE FROM issue_relations WHERE related_issue_id = $1 AND type = 'blocks' AND NOT (issue_id = ANY($2::uuid[]))
     RETURNING issue_id`,
    [issueId, wanted],
  );
  const added = await q.query<{ issueId: string }>(
    `INSERT INTO issue_relations (company_id, issue_id, related_issue_id, type, created_by_agent_id, created_by_user_id)
     SELECT $1, b, $2, 'blocks', $4, $5 FROM unnest($3::uuid[]) AS b
     ON CONFLICT (issue_id, related_issue_id, type) DO NOTHING RETURNING issue_id`,
    [companyId, issueId, wanted, createdBy.agentId, createdBy.userId],
  );
  return { added: added.map((r) => r.issueId), removed: removed.map((r) => r.issueId) };
}
