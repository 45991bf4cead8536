import { isUuid, type CreateGoalBody, type UpdateGoalBody } from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { buildSetClause } from "../db/update-set.js";
import { forbidden, notFound, ruleViolation } from "../errors.js";
import type { Actor } from "../auth/actor.js";
import { assertCanSee, assertCompanyAccess } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";

const GOAL_COLUMNS = "id, company_id, title, description, level, status, parent_id, owner_agent_id, created_at, updated_at";
const FIELDS = {
  title: "title",
  description: "description",
  level: "level",
  status: "status",
  parentId: "parent_id",
  ownerAgentId: "owner_agent_id",
};

export interface GoalRow {
  id: string;
  companyId: string;
  title: string;
  parentId: string | null;
  [key: string]: unknown;
}

export function createGoalService(db: Database) {
  async function get(actor: Actor, id: string): Promise<GoalRow> {
    const [goal] = isUuid(id) ? await db.query<GoalRow>(`SELECT ${GOAL_COLUMNS} FROM goals WHERE id = $1`, [id]) : [];
    if (!goal) throw notFound("Goal not found");
    assertCanSee(actor, goal.companyId, "Goal");
    return goal;
  }

  async function checkRefs(q: Queryable, companyId: string, goalId: string | null, body: UpdateGoalBody) {
    if (body.ownerAgentId) {
      const [a] = await q.query<{ companyId: string }>("SELECT company_id FROM agents WHERE id = $1", [body.ownerAgentId]);
      if (!a || a.companyId !== companyId) throw notFound("Agent not found");
    }
    if (body.parentId) {
      if (body.parentId === goalId) throw ruleViolation("A goal cannot be its own parent", undefined, "parent_cycle");
      // Re-parenting is serialised per company, so two opposite edits cannot both pass the check below
      // against the old tree. Goal updates take no other lock before this one.
      if (goalId) await q.query("SELECT pg_advisory_xact_lock(hashtextextended('staple.goal-tree:' || $1::text, 0))", [companyId]);
      const [parent] = await q.query<{ companyId: string }>("SELECT company_id FROM goals WHERE id = $1", [body.parentId]);
      if (!parent || parent.companyId !== companyId) throw notFound("Parent goal not found");
      if (goalId) {
        // The goal must not be the new parent's ancestor, at any depth. `UNION` over the id alone ends
        // the walk even on a corrupt loop (a repeated id adds no row).
        const [cycle] = await q.query<{ found: boolean }>(
          `WITH RECURSIVE up(id) AS (SELECT $1::uuid UNION
             SELECT g.parent_id FROM goals g JOIN up ON g.id = up.id WHERE g.parent_id IS NOT NULL)
           SELECT EXISTS (SELECT 1 FROM up WHERE id = $2::uuid) AS found`,
          [body.parentId, goalId],
        );
        if (cycle?.found) throw ruleViolation("parentId would create a goal cycle", undefined, "parent_cycle");
      }
    }
  }

  function assertBoardWrites(actor: Actor) {
    if (actor.kind === "agent") throw forbidden("Only the board can change goals", "board_only");
  }

  return {
    get,
    async list(actor: Actor, companyId: string) {
      assertCompanyAccess(actor, companyId);
      return db.query(`SELECT ${GOAL_COLUMNS} FROM goals WHERE company_id = $1 ORDER BY created_at, id`, [companyId]);
    },
    async create(actor: Actor, companyId: string, body: CreateGoalBody) {
      assertCompanyAccess(actor, companyId);
      assertBoardWrites(actor);
      return db.tx(async (q) => {
        await checkRefs(q, companyId, null, body);
        const [goal] = await q.query<GoalRow>(
          `INSERT INTO goals (company_id, title, description, level, status, parent_id, owner_agent_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${GOAL_COLUMNS}`,
          [
            companyId,
            body.title,
            body.description ?? null,
            body.level ?? "task",
            body.status ?? "planned",
            body.parentId ?? null,
            body.ownerAgentId ?? null,
          ],
        );
        await recordActivity(q, {
          companyId,
          actor,
          action: "goal.created",
          entityType: "goal",
          entityId: goal!.id,
          details: { title: goal!.title },
        });
        return goal!;
      });
    },
    async update(actor: Actor, id: string, body: UpdateGoalBody) {
      const goal = await get(actor, id);
      assertBoardWrites(actor);
      return db.tx(async (q) => {
        await checkRefs(q, goal.companyId, goal.id, body);
        const params: unknown[] = [id];
        const sets = buildSetClause(FIELDS, body, params);
        const [updated] = await q.query<GoalRow>(
          `UPDATE goals SET ${[...sets, "updated_at = now()"].join(", ")} WHERE id = $1 RETURNING ${GOAL_COLUMNS}`,
          params,
        );
        await recordActivity(q, {
          companyId: goal.companyId,
          actor,
          action: "goal.updated",
          entityType: "goal",
          entityId: id,
          details: { changes: body },
        });
        return updated!;
      });
    },
    async remove(actor: Actor, id: string) {
      const goal = await get(actor, id);
      assertBoardWrites(actor);
      return db.tx(async (q) => {
        await q.query("DELETE FROM goals WHERE id = $1", [id]);
        await recordActivity(q, {
          companyId: goal.companyId,
          actor,
          action: "goal.deleted",
          entityType: "goal",
          entityId: id,
          details: { title: goal.title },
        });
        return goal;
      });
    },
  };
}
export type GoalService = ReturnType<typeof createGoalService>;
