import { ORPHAN_BLOCKER_ISSUE_STATUSES } from "@staple/contracts";
import { sqlList } from "../../db/sql-list.js";
import { invokableAgentSql, openIssueSql } from "../../db/predicates.js";
import type { Database } from "../../db/database.js";
import { recordActivity } from "../../activity/record.js";
import type { WakeupEnqueuer } from "../enqueue.js";

/**
 * Orphan blockers (docs/runs.md#orphan-blockers): an unassigned todo/blocked issue that an agent
 * created and that blocks an open issue would never be worked. Assign it back to its creator (when
 * invokable), say so in one comment linking the issues it blocks, and wake the creator. One query
 * finds them all; each is claimed with a guarded UPDATE (still unassigned), so concurrent passes
 * act once.
 */
export async function assignOrphanBlockers(
  db: Database,
  enqueuer: WakeupEnqueuer,
  opts: { companyId?: string; limit?: number } = {},
): Promise<string[]> {
  const orphans = await db.query<{
    id: string;
    companyId: string;
    identifier: string;
    creatorId: string;
    blocked: { identifier: string }[];
  }>(
    `SELECT b.id, b.company_id, b.identifier, b.created_by_agent_id AS creator_id,
            json_agg(json_build_object('identifier', d.identifier) ORDER BY d.issue_number) AS blocked
       FROM issues b
       JOIN agents a ON a.id = b.created_by_agent_id AND ${invokableAgentSql("a")}
       JOIN issue_relations rel ON rel.issue_id = b.id AND rel.type = 'blocks'
       JOIN issues d ON d.id = rel.related_issue_id AND ${openIssueSql("d")} AND d.hidden_at IS NULL
      WHERE b.status IN ${sqlList(ORPHAN_BLOCKER_ISSUE_STATUSES)} AND b.assignee_agent_id IS NULL AND b.assignee_user_id IS NULL AND b.hidden_at IS NULL
        ${opts.companyId ? "AND b.company_id = $1" : ""}
      GROUP BY b.id ORDER BY b.created_at LIMIT ${opts.limit ?? 100}`,
    opts.companyId ? [opts.companyId] : [],
  );
  const assigned: string[] = [];
  for (const orphan of orphans) {
    const done = await db.tx(async (q) => {
      const [claimed] = await q.query<{ id: string }>(
        "UPDATE issues SET assignee_agent_id = $2, updated_at = now() WHERE id = $1 AND assignee_agent_id IS NULL AND assignee_user_id IS NULL RETURNING id",
        [orphan.id, orphan.creatorId],
      );
      if (!claimed) return false;
      const links = orphan.blocked.map((d) => `[${d.identifier}](/${d.identifier.split("-")[0]}/issues/${d.identifier})`).join(", ");
      await q.query("INSERT INTO issue_comments (company_id, issue_id, author_type, body) VALUES ($1, $2, 'system', $3)", [
        orphan.companyId,
        orphan.id,
        `## Assigned Orphan Blocker\n\nThis issue blocks ${links} but had no assignee, so it is assigned back to the agent that created it.`,
      ]);
      await recordActivity(q, {
        companyId: orphan.companyId,
        actor: "system",
        action: "issue.updated",
        entityType: "issue",
        entityId: orphan.id,
        details: {
          identifier: orphan.identifier,
          changes: { assigneeAgentId: { from: null, to: orphan.creatorId } },
          reason: "orphan_blocker",
        },
      });
      await enqueuer
        .enqueue(
          {
            agentId: orphan.creatorId,
            source: "assignment",
            triggerDetail: "system",
            reason: "issue_assigned",
            payload: { issueId: orphan.id, mutation: "unassigned_blocker_recovery" },
            requestedBy: { type: "system", id: "orphan_blocker_recovery" },
          },
          q,
        )
        .catch(() => null);
      return true;
    });
    if (done) assigned.push(orphan.id);
  }
  return assigned;
}
