import {
  isUuid,
  type CreateProjectBody,
  type CreateWorkspaceBody,
  type UpdateProjectBody,
  type UpdateWorkspaceBody,
} from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { buildSetClause } from "../db/update-set.js";
import { forbidden, notFound, ruleViolation } from "../errors.js";
import type { Actor } from "../auth/actor.js";
import { assertCanSee, assertCompanyAccess } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";

const PROJECT_COLUMNS = `id, company_id, goal_id, name, description, status, lead_agent_id,
  to_char(target_date, 'YYYY-MM-DD') AS target_date, color, env, execution_workspace_policy, paused_at, archived_at, created_at, updated_at`;
const WORKSPACE_COLUMNS = "id, company_id, project_id, name, cwd, repo_url, repo_ref, is_primary, created_at, updated_at";
const PROJECT_FIELDS = {
  name: "name",
  description: "description",
  status: "status",
  goalId: "goal_id",
  leadAgentId: "lead_agent_id",
  targetDate: "target_date",
  color: "color",
  env: { column: "env", json: true as const },
  executionWorkspacePolicy: { column: "execution_workspace_policy", json: true as const },
};
const WORKSPACE_FIELDS = { name: "name", cwd: "cwd", repoUrl: "repo_url", repoRef: "repo_ref" };

export interface ProjectRow {
  id: string;
  companyId: string;
  name: string;
  [key: string]: unknown;
}
export interface WorkspaceRow {
  id: string;
  projectId: string;
  isPrimary: boolean;
  [key: string]: unknown;
}

function assertBoardWrites(actor: Actor) {
  if (actor.kind === "agent") throw forbidden("Only the board can change projects", "board_only");
}

async function checkRefs(q: Queryable, companyId: string, body: { goalId?: string | null; leadAgentId?: string | null }) {
  if (body.goalId) {
    const [g] = await q.query<{ companyId: string }>("SELECT company_id FROM goals WHERE id = $1", [body.goalId]);
    if (!g || g.companyId !== companyId) throw notFound("Goal not found");
  }
  if (body.leadAgentId) {
    const [a] = await q.query<{ companyId: string }>("SELECT company_id FROM agents WHERE id = $1", [body.leadAgentId]);
    if (!a || a.companyId !== companyId) throw notFound("Agent not found");
  }
}

/**
 * Inserts a workspace. The first workspace of a project is primary; marking another primary moves
 * the flag (the partial unique index keeps at most one).
 */
async function insertWorkspace(q: Queryable, project: ProjectRow, body: CreateWorkspaceBody): Promise<WorkspaceRow> {
  // The project row lock serialises workspace changes of one project (exactly one primary).
  await q.query("SELECT id FROM projects WHERE id = $1 FOR UPDATE", [project.id]);
  const [{ count }] = (await q.query<{ count: number }>("SELECT count(*)::int AS count FROM project_workspaces WHERE project_id = $1", [
    project.id,
  ])) as [{ count: number }];
  // The first workspace is always the primary one: a project with workspaces has exactly one.
  const primary = count === 0 || body.isPrimary === true;
  if (primary)
    await q.query("UPDATE project_workspaces SET is_primary = false, updated_at = now() WHERE project_id = $1 AND is_primary", [
      project.id,
    ]);
  // Workspaces created in one transaction (with their project) must still get increasing creation
  // times, since "oldest" decides list order and primary promotion: now() is the same for the whole
  // transaction and the embedded clock ticks in milliseconds, so stay past the project's newest one.
  const [ws] = await q.query<WorkspaceRow>(
    `INSERT INTO project_workspaces (company_id, project_id, name, cwd, repo_url, repo_ref, is_primary, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, GREATEST(clock_timestamp(),
       (SELECT max(w.created_at) + interval '1 microsecond' FROM project_workspaces w WHERE w.project_id = $2)))
     RETURNING ${WORKSPACE_COLUMNS}`,
    [project.companyId, project.id, body.name, body.cwd ?? null, body.repoUrl ?? null, body.repoRef ?? null, primary],
  );
  return ws!;
}

export function createProjectService(db: Database) {
  async function find(q: Queryable, id: string): Promise<ProjectRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [p] = await q.query<ProjectRow>(`SELECT ${PROJECT_COLUMNS} FROM projects WHERE id = $1`, [id]);
    return p;
  }
  async function get(actor: Actor, id: string): Promise<ProjectRow> {
    const project = await find(db, id);
    if (!project) throw notFound("Project not found");
    assertCanSee(actor, project.companyId, "Project");
    return project;
  }
  async function withWorkspaces(q: Queryable, project: ProjectRow) {
    const workspaces = await q.query(`SELECT ${WORKSPACE_COLUMNS} FROM project_workspaces WHERE project_id = $1 ORDER BY created_at, id`, [
      project.id,
    ]);
    return { ...project, workspaces };
  }
  async function getWorkspace(q: Queryable, project: ProjectRow, workspaceId: string): Promise<WorkspaceRow> {
    const [ws] = isUuid(workspaceId)
      ? await q.query<WorkspaceRow>(`SELECT ${WORKSPACE_COLUMNS} FROM project_workspaces WHERE id = $1 AND project_id = $2`, [
          workspaceId,
          project.id,
        ])
      : [];
    if (!ws) throw notFound("Project workspace not found");
    return ws;
  }
  const audit = (q: Queryable, actor: Actor, project: ProjectRow, action: string, details: Record<string, unknown>) =>
    recordActivity(q, { companyId: project.companyId, actor, action, entityType: "project", entityId: project.id, details });

  return {
    async get(actor: Actor, id: string) {
      return withWorkspaces(db, await get(actor, id));
    },

    async list(actor: Actor, companyId: string) {
      assertCompanyAccess(actor, companyId);
      const projects = await db.query<ProjectRow>(`SELECT ${PROJECT_COLUMNS} FROM projects WHERE company_id = $1 ORDER BY created_at, id`, [
        companyId,
      ]);
      const workspaces = await db.query<WorkspaceRow>(
        `SELECT ${WORKSPACE_COLUMNS} FROM project_workspaces WHERE company_id = $1 ORDER BY created_at, id`,
        [companyId],
      );
      return projects.map((p) => ({ ...p, workspaces: workspaces.filter((w) => w.projectId === p.id) }));
    },

    async create(actor: Actor, companyId: string, body: CreateProjectBody) {
      assertCompanyAccess(actor, companyId);
      assertBoardWrites(actor);
      if ((body.workspaces ?? []).filter((w) => w.isPrimary).length > 1) {
        throw ruleViolation("At most one workspace can be primary", undefined, "workspace_primary");
      }
      return db.tx(async (q) => {
        await checkRefs(q, companyId, body);
        const [project] = await q.query<ProjectRow>(
          `INSERT INTO projects (company_id, goal_id, name, description, status, lead_agent_id, target_date, color, env, execution_workspace_policy)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb) RETURNING ${PROJECT_COLUMNS}`,
          [
            companyId,
            body.goalId ?? null,
            body.name,
            body.description ?? null,
            body.status ?? "backlog",
            body.leadAgentId ?? null,
            body.targetDate ?? null,
            body.color ?? null,
            body.env ? JSON.stringify(body.env) : null,
            body.executionWorkspacePolicy ? JSON.stringify(body.executionWorkspacePolicy) : null,
          ],
        );
        for (const ws of body.workspaces ?? []) await insertWorkspace(q, project!, ws);
        await audit(q, actor, project!, "project.created", { name: project!.name });
        return withWorkspaces(q, project!);
      });
    },

    async update(actor: Actor, id: string, body: UpdateProjectBody) {
      const project = await get(actor, id);
      assertBoardWrites(actor);
      return db.tx(async (q) => {
        await checkRefs(q, project.companyId, body);
        const params: unknown[] = [id];
        const sets = buildSetClause(PROJECT_FIELDS, body, params);
        if (body.archived !== undefined) sets.push(`archived_at = ${body.archived ? "COALESCE(archived_at, now())" : "NULL"}`);
        const [updated] = await q.query<ProjectRow>(
          `UPDATE projects SET ${[...sets, "updated_at = now()"].join(", ")} WHERE id = $1 RETURNING ${PROJECT_COLUMNS}`,
          params,
        );
        await audit(q, actor, project, "project.updated", { changedFields: Object.keys(body) });
        return withWorkspaces(q, updated!);
      });
    },

    async remove(actor: Actor, id: string) {
      const project = await get(actor, id);
      assertBoardWrites(actor);
      return db.tx(async (q) => {
        await q.query("DELETE FROM projects WHERE id = $1", [id]);
        await audit(q, actor, project, "project.deleted", { name: project.name });
        return project;
      });
    },

    async listWorkspaces(actor: Actor, projectId: string) {
      return (await withWorkspaces(db, await get(actor, projectId))).workspaces;
    },

    async createWorkspace(actor: Actor, projectId: string, body: CreateWorkspaceBody) {
      const project = await get(actor, projectId);
      assertBoardWrites(actor);
      return db.tx(async (q) => {
        const ws = await insertWorkspace(q, project, body);
        await audit(q, actor, project, "project.workspace_created", { workspaceId: ws.id, name: body.name });
        return ws;
      });
    },

    async updateWorkspace(actor: Actor, projectId: string, workspaceId: string, body: UpdateWorkspaceBody) {
      const project = await get(actor, projectId);
      assertBoardWrites(actor);
      return db.tx(async (q) => {
        const ws = await getWorkspace(q, project, workspaceId);
        const params: unknown[] = [workspaceId];
        const sets = buildSetClause(WORKSPACE_FIELDS, body, params);
        if (body.isPrimary === true && !ws.isPrimary) {
          await q.query("UPDATE project_workspaces SET is_primary = false, updated_at = now() WHERE project_id = $1 AND is_primary", [
            projectId,
          ]);
          sets.push("is_primary = true");
        } else if (body.isPrimary === false && ws.isPrimary) {
          throw ruleViolation("Mark another workspace primary instead of unmarking the primary one", undefined, "workspace_primary");
        }
        const [updated] = await q.query(
          `UPDATE project_workspaces SET ${[...sets, "updated_at = now()"].join(", ")} WHERE id = $1 RETURNING ${WORKSPACE_COLUMNS}`,
          params,
        );
        await audit(q, actor, project, "project.workspace_updated", { workspaceId, changedFields: Object.keys(body) });
        return updated!;
      });
    },

    async removeWorkspace(actor: Actor, projectId: string, workspaceId: string) {
      const project = await get(actor, projectId);
      assertBoardWrites(actor);
      return db.tx(async (q) => {
        const ws = await getWorkspace(q, project, workspaceId);
        await q.query("DELETE FROM project_workspaces WHERE id = $1", [workspaceId]);
        if (ws.isPrimary) {
          // Keep exactly one primary while any workspace remains: promote the oldest.
          await q.query(
            `UPDATE project_workspaces SET is_primary = true, updated_at = now()
              WHERE id = (SELECT id FROM project_workspaces WHERE project_id = $1 ORDER BY created_at, id LIMIT 1)`,
            [projectId],
          );
        }
        await audit(q, actor, project, "project.workspace_deleted", { workspaceId });
        return ws;
      });
    },
  };
}
export type ProjectService = ReturnType<typeof createProjectService>;
