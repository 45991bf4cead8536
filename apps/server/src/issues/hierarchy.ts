import type { Queryable } from "../db/database.js";
import { notFound, ruleViolation } from "../errors.js";
import { ISSUE_REF_COLUMNS, type IssueRef } from "./rows.js";

/*
 * Parent walks have no depth cap: a chain may be as deep as the company has issues. The no-cycle
 * invariant is kept by `checkParent` (under `lockIssueTree`), and every walk is still safe on a
 * corrupt row that forms a loop: upward walks are `UNION` over the id alone, so an id seen twice
 * adds no row and the recursion ends; each walk is linear in the number of issues it visits.
 */

/** The issue's parents, nearest first (complete at any depth; stops at a loop). */
export async function ancestorsOf(q: Queryable, parentId: string | null): Promise<IssueRef[]> {
  if (!parentId) return [];
  const rows = await q.query<IssueRef & { walkParentId: string | null }>(
    `WITH RECURSIVE up(id) AS (
       SELECT $1::uuid
       UNION
       SELECT i.parent_id FROM issues i JOIN up ON i.id = up.id WHERE i.parent_id IS NOT NULL
     )
     SELECT ${ISSUE_REF_COLUMNS}, i.parent_id AS walk_parent_id FROM up JOIN issues i ON i.id = up.id`,
    [parentId],
  );
  // Order by following the parent links from the nearest one (the set has no depth column).
  const byId = new Map(rows.map((r) => [r.id, r]));
  const ordered: IssueRef[] = [];
  for (let at = byId.get(parentId); at && ordered.length < rows.length; at = at.walkParentId ? byId.get(at.walkParentId) : undefined) {
    const { walkParentId: _parent, ...ref } = at;
    ordered.push(ref);
  }
  return ordered;
}

/** Whether `ancestorId` is `issueId` or one of its ancestors, at any depth. */
export async function isSelfOrAncestor(q: Queryable, issueId: string, ancestorId: string): Promise<boolean> {
  const [row] = await q.query<{ found: boolean }>(
    `WITH RECURSIVE up(id) AS (
       SELECT $1::uuid
       UNION
       SELECT i.parent_id FROM issues i JOIN up ON i.id = up.id WHERE i.parent_id IS NOT NULL
     )
     SELECT EXISTS (SELECT 1 FROM up WHERE id = $2::uuid) AS found`,
    [issueId, ancestorId],
  );
  return Boolean(row?.found);
}

/**
 * Serialises parent changes within a company for the rest of the transaction. Two opposite edits
 * (A under B, B under A) would each pass a cycle check against the old tree; with this lock the
 * second one checks after the first committed. Lock order: take it before any issue row lock (the
 * issue update does), so it can never wait on a row held by a transaction waiting for it.
 */
export async function lockIssueTree(q: Queryable, companyId: string): Promise<void> {
  await q.query("SELECT pg_advisory_xact_lock(hashtextextended('staple.issue-tree:' || $1::text, 0))", [companyId]);
}

export async function childrenOf(q: Queryable, issueId: string): Promise<IssueRef[]> {
  return q.query<IssueRef>(
    `SELECT ${ISSUE_REF_COLUMNS} FROM issues i WHERE i.parent_id = $1 AND i.hidden_at IS NULL ORDER BY i.issue_number`,
    [issueId],
  );
}

/**
 * The parent must be an issue of the same company and must not be the issue or its descendant (at
 * any depth). When re-parenting an existing issue, hold `lockIssueTree` first.
 */
export async function checkParent(q: Queryable, companyId: string, issueId: string | null, parentId: string) {
  const [parent] = await q.query<{ companyId: string; requestDepth: number }>(
    "SELECT company_id, request_depth FROM issues WHERE id = $1",
    [parentId],
  );
  if (!parent || parent.companyId !== companyId) throw notFound("Parent issue not found");
  if (issueId) {
    if (issueId === parentId) throw ruleViolation("An issue cannot be its own parent", undefined, "parent_cycle");
    if (await isSelfOrAncestor(q, parentId, issueId)) {
      throw ruleViolation("parentId would make the issue its own ancestor", undefined, "parent_cycle");
    }
  }
  return parent;
}

/**
 * Replaces the set of issues blocking `issueId` (`blockedByIssueIds` has replace semantics,
 * docs/issues.md#blockers).
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
