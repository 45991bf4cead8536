import { openBlockerIdsSql } from "../db/predicates.js";
import { DORMANT_ISSUE_STATUSES, type CreateIssueBody, type ListIssuesQuery, type UpdateIssueBody } from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { conflict, forbidden, notFound, ruleViolation } from "../errors.js";
import { actorStamp, LOCAL_BOARD_USER_ID, type Actor } from "../auth/actor.js";
import { assertCanSee, assertCompanyAccess } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import type { CompanyService } from "../companies/service.js";
import { insertComment } from "./comments.js";
import { checkParent, lockIssueTree, replaceBlockers } from "./hierarchy.js";
import { buildIssueListQuery, parseStatusList } from "./list-query.js";
import { blockerRefs, findIssue, ISSUE_COLUMNS, type IssueRow } from "./rows.js";
import { assertAssignmentRules, statusEffects } from "./status-rules.js";
import { loadIssueDetail } from "./detail.js";
import { insertIssueRow } from "./insert.js";
import { lockAndFindRecentDuplicate } from "./duplicate-guard.js";
import { jsonArraySql } from "../db/json-rows.js";
import { issueListCacheFromEnv, type IssueListCache, type IssueListPage } from "./list-cache.js";
import { noIssueHooks, type IssueMutationHooks } from "./hooks.js";
import { assertCheckoutOwner } from "./execution.js";
import { agentWriteRedactor } from "../secrets/agent-writes.js";
import { ISSUE_LABEL_COLUMNS, withIssueLabels } from "../labels/sql.js";
import { issueLabels, replaceIssueLabels } from "../labels/issue-labels.js";

const MAX_REQUEST_DEPTH = 1024;

/** Users an issue may be assigned to. Only the local board exists until an authenticated mode lands. */
function resolveAssigneeUser(actor: Actor, value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (value === "me") {
    if (actor.kind !== "board") throw ruleViolation('assigneeUserId "me" is only for board users', undefined, "assignee_user_invalid");
    return actor.userId;
  }
  if (value !== LOCAL_BOARD_USER_ID) throw ruleViolation(`Unknown user: ${value}`, undefined, "assignee_user_invalid");
  return value;
}

async function checkAssigneeAgent(q: Queryable, companyId: string, agentId: string) {
  const [agent] = await q.query<{ companyId: string; status: string }>("SELECT company_id, status FROM agents WHERE id = $1", [agentId]);
  if (!agent || agent.companyId !== companyId) throw notFound("Agent not found");
  if (agent.status === "terminated") throw ruleViolation("Cannot assign an issue to a terminated agent", undefined, "assignee_terminated");
}

async function checkBelongs(q: Queryable, table: "goals" | "projects", id: string, companyId: string, what: string) {
  const [row] = await q.query<{ companyId: string }>(`SELECT company_id FROM ${table} WHERE id = $1`, [id]);
  if (!row || row.companyId !== companyId) throw notFound(`${what} not found`);
}

async function checkWorkspace(q: Queryable, workspaceId: string, projectId: string | null, companyId: string) {
  const [ws] = await q.query<{ companyId: string; projectId: string }>(
    "SELECT company_id, project_id FROM project_workspaces WHERE id = $1",
    [workspaceId],
  );
  if (!ws || ws.companyId !== companyId) throw notFound("Project workspace not found");
  if (projectId && ws.projectId !== projectId) {
    throw ruleViolation("projectWorkspaceId belongs to another project", undefined, "workspace_project_mismatch");
  }
}

/** Work may not start on an issue whose blockers are not all done: 422 (docs/issues.md#blockers). */
async function assertNoOpenBlockers(q: Queryable, issueId: string) {
  const open = await q.query<{ id: string }>(openBlockerIdsSql("$1"), [issueId]);
  if (open.length) throw ruleViolation("Issue has unresolved blockers", { blockedByIssueIds: open.map((o) => o.id) }, "issue_blocked");
}

export function createIssueService(
  db: Database,
  companies: CompanyService,
  hooks: IssueMutationHooks = noIssueHooks,
  listCache: IssueListCache = issueListCacheFromEnv(),
) {
  async function visibleIssue(actor: Actor, ref: string): Promise<IssueRow> {
    const issue = await findIssue(db, ref);
    if (!issue) throw notFound("Issue not found");
    assertCanSee(actor, issue.companyId, "Issue");
    return issue;
  }

  function listQuery(actor: Actor, companyId: string, query: ListIssuesQuery) {
    assertCompanyAccess(actor, companyId);
    let assigneeUser = query.assigneeUserId;
    if (assigneeUser === "me") {
      if (actor.kind !== "board") throw forbidden("assigneeUserId=me is only for board users", "board_only");
      assigneeUser = actor.userId;
    }
    return buildIssueListQuery(companyId, { ...query, statuses: parseStatusList(query.status), assigneeUser });
  }

  async function withRelations(q: Queryable, issue: IssueRow) {
    return { ...issue, ...(await blockerRefs(q, issue.id)), ...(await issueLabels(q, issue.id)) };
  }

  return {
    visibleIssue,

    async get(actor: Actor, ref: string) {
      const issue = await visibleIssue(actor, ref);
      return loadIssueDetail(db, issue);
    },

    async list(actor: Actor, companyId: string, query: ListIssuesQuery) {
      const { sql, params } = listQuery(actor, companyId, query);
      return db.query<IssueRow>(withIssueLabels(sql, ISSUE_COLUMNS), params);
    },

    /**
     * The same list as JSON bytes built by the database (the list route's fast path: no row
     * parsing), answered from the list cache while the company's issues are unchanged.
     */
    async listJson(actor: Actor, companyId: string, query: ListIssuesQuery): Promise<IssueListPage> {
      const { sql, params } = listQuery(actor, companyId, query);
      return listCache.page(
        db,
        companyId,
        jsonArraySql(withIssueLabels(sql, ISSUE_COLUMNS), `${ISSUE_COLUMNS}, ${ISSUE_LABEL_COLUMNS}`),
        params,
      );
    },

    /** `company` may be passed when the caller already loaded it (the route's scope check does). */
    async create(actor: Actor, companyId: string, sent: CreateIssueBody, loaded?: { id: string; status: string }) {
      assertCompanyAccess(actor, companyId);
      // Secrets an agent writes into the title or description are stored (and audited) as [REDACTED].
      const redactor = await agentWriteRedactor(db, actor, companyId, [sent.title, sent.description]);
      const body = { ...sent, title: redactor.text(sent.title), description: redactor.text(sent.description) };
      const company = loaded?.id === companyId ? loaded : await companies.require(companyId);
      if (company.status === "archived") throw conflict("Company is archived", undefined, "company_archived");
      const assigneeUserId = resolveAssigneeUser(actor, body.assigneeUserId) ?? null;
      const assigneeAgentId = body.assigneeAgentId ?? null;
      const status = body.status ?? (assigneeAgentId || assigneeUserId ? "todo" : "backlog");
      assertAssignmentRules({ status, assigneeAgentId, assigneeUserId });
      const stamp = actorStamp(actor);

      // Reference checks are reads; the foreign keys back them up if a row vanishes meanwhile.
      if (assigneeAgentId) await checkAssigneeAgent(db, companyId, assigneeAgentId);
      let requestDepth = 0;
      if (body.parentId) {
        const parent = await checkParent(db, companyId, null, body.parentId);
        if (actor.kind === "agent") requestDepth = parent.requestDepth + 1;
        if (requestDepth > MAX_REQUEST_DEPTH) throw ruleViolation("Issue delegation is nested too deeply", undefined, "request_depth");
      }
      if (body.goalId) await checkBelongs(db, "goals", body.goalId, companyId, "Goal");
      if (body.projectId) await checkBelongs(db, "projects", body.projectId, companyId, "Project");
      if (body.projectWorkspaceId) await checkWorkspace(db, body.projectWorkspaceId, body.projectId ?? null, companyId);
      const fields = {
        companyId,
        title: body.title,
        description: body.description ?? null,
        status,
        priority: body.priority ?? "medium",
        parentId: body.parentId ?? null,
        goalId: body.goalId ?? null,
        projectId: body.projectId ?? null,
        projectWorkspaceId: body.projectWorkspaceId ?? null,
        assigneeAgentId,
        assigneeUserId,
        createdByAgentId: stamp.agentId,
        createdByUserId: actor.kind === "board" ? actor.userId : null,
        requestDepth,
        billingCode: body.billingCode ?? null,
      };
      const activity = { actorType: stamp.actorType, actorId: stamp.actorId, agentId: stamp.agentId, runId: stamp.runId };
      const wakesSomeone = Boolean(assigneeAgentId) && !(DORMANT_ISSUE_STATUSES as readonly string[]).includes(status);
      const guardDuplicates = body.allowDuplicate === false;
      if (!body.blockedByIssueIds?.length && !body.labelIds?.length && !wakesSomeone && !guardDuplicates) {
        // Fast path: number, insert and audit row in one statement (no transaction round trips).
        const issue = await insertIssueRow(db, fields, activity);
        return { ...issue, blockedBy: [], blocks: [], labelIds: [], labels: [] };
      }
      return db.tx(async (q) => {
        if (guardDuplicates) {
          const existing = await lockAndFindRecentDuplicate(q, companyId, fields.parentId, fields.title);
          if (existing)
            return {
              ...(await withRelations(q, existing)),
              deduplicated: true as const,
              deduplicationReason: "recent_open_title" as const,
            };
        }
        const issue = await insertIssueRow(q, fields, activity);
        if (body.labelIds?.length) await replaceIssueLabels(q, companyId, issue.id, body.labelIds);
        if (body.blockedByIssueIds?.length) {
          await replaceBlockers(q, companyId, issue.id, body.blockedByIssueIds, {
            agentId: stamp.agentId,
            userId: actor.kind === "board" ? actor.userId : null,
          });
          if (status === "in_progress") await assertNoOpenBlockers(q, issue.id);
        }
        await hooks.afterCreate(q, issue, actor);
        // A new issue blocks nothing yet; only the blockers just given need loading.
        if (body.blockedByIssueIds?.length || body.labelIds?.length) return withRelations(q, issue);
        return { ...issue, blockedBy: [], blocks: [], labelIds: [], labels: [] };
      });
    },

    async update(actor: Actor, ref: string, sent: UpdateIssueBody) {
      const visible = await visibleIssue(actor, ref);
      // Title/description are redacted here (so the activity's `changes` are too); the comment in insertComment.
      const redactor = await agentWriteRedactor(db, actor, visible.companyId, [sent.title, sent.description]);
      const body = { ...sent, title: redactor.text(sent.title), description: redactor.text(sent.description) };
      if (body.hidden !== undefined && actor.kind !== "board") throw forbidden("Only the board can hide issues", "board_only");
      return db.tx(async (q) => {
        if (body.parentId) await lockIssueTree(q, visible.companyId); // before the row lock (see hierarchy.ts)
        const locked = (await findIssue(q, visible.id, true))!;
        if (actor.kind === "agent" && locked.assigneeAgentId && locked.assigneeAgentId !== actor.agentId) {
          throw forbidden("Agent cannot modify an issue assigned to another agent", "issue_not_assignee");
        }
        // The assignee agent writing to its in-progress issue must do so from the owning run.
        const prev = (await assertCheckoutOwner(q, locked.id, actor)) ?? locked;
        const assigneeAgentId = body.assigneeAgentId !== undefined ? body.assigneeAgentId : prev.assigneeAgentId;
        const assigneeUserId =
          body.assigneeUserId !== undefined ? (resolveAssigneeUser(actor, body.assigneeUserId) ?? null) : prev.assigneeUserId;
        const next = { status: body.status ?? prev.status, assigneeAgentId, assigneeUserId };
        assertAssignmentRules(next);
        if (body.assigneeAgentId && body.assigneeAgentId !== prev.assigneeAgentId) {
          await checkAssigneeAgent(q, prev.companyId, body.assigneeAgentId);
        }
        if (body.parentId && body.parentId !== prev.parentId) await checkParent(q, prev.companyId, prev.id, body.parentId);
        if (next.status === "in_progress" && prev.status !== "in_progress" && body.blockedByIssueIds === undefined) {
          await assertNoOpenBlockers(q, prev.id);
        }
        if (body.goalId) await checkBelongs(q, "goals", body.goalId, prev.companyId, "Goal");
        if (body.projectId) await checkBelongs(q, "projects", body.projectId, prev.companyId, "Project");
        if (body.projectWorkspaceId) {
          await checkWorkspace(q, body.projectWorkspaceId, body.projectId !== undefined ? body.projectId : prev.projectId, prev.companyId);
        }

        const sets: string[] = [];
        const params: unknown[] = [prev.id];
        const changes: Record<string, { from: unknown; to: unknown }> = {};
        const fields: [keyof UpdateIssueBody & keyof IssueRow & string, string, unknown][] = [
          ["title", "title", body.title],
          ["description", "description", body.description],
          ["status", "status", body.status],
          ["priority", "priority", body.priority],
          ["parentId", "parent_id", body.parentId],
          ["goalId", "goal_id", body.goalId],
          ["projectId", "project_id", body.projectId],
          ["projectWorkspaceId", "project_workspace_id", body.projectWorkspaceId],
          ["assigneeAgentId", "assignee_agent_id", body.assigneeAgentId],
          ["assigneeUserId", "assignee_user_id", body.assigneeUserId !== undefined ? assigneeUserId : undefined],
          ["billingCode", "billing_code", body.billingCode],
        ];
        for (const [field, column, value] of fields) {
          if (value === undefined || value === prev[field]) continue;
          sets.push(`${column} = $${params.push(value)}`);
          changes[field] = { from: prev[field] ?? null, to: value };
        }
        const effects = statusEffects(prev, next);
        for (const [column, expr] of Object.entries(effects.set)) sets.push(`${column} = ${expr}`);
        if (body.hidden !== undefined && body.hidden !== (prev.hiddenAt !== null)) {
          sets.push(`hidden_at = ${body.hidden ? "now()" : "NULL"}`);
          changes.hidden = { from: prev.hiddenAt !== null, to: body.hidden };
        }
        let blockerChange: { added: string[]; removed: string[] } | undefined;
        if (body.blockedByIssueIds !== undefined) {
          const stamp = actorStamp(actor);
          blockerChange = await replaceBlockers(q, prev.companyId, prev.id, body.blockedByIssueIds, {
            agentId: stamp.agentId,
            userId: actor.kind === "board" ? actor.userId : null,
          });
        }
        if (body.labelIds !== undefined) {
          const labelChange = await replaceIssueLabels(q, prev.companyId, prev.id, body.labelIds);
          if (labelChange.from.join() !== labelChange.to.join()) changes.labelIds = labelChange;
        }
        if (next.status === "in_progress" && prev.status !== "in_progress" && body.blockedByIssueIds !== undefined) {
          await assertNoOpenBlockers(q, prev.id);
        }
        const [updated] = await q.query<IssueRow>(
          `UPDATE issues SET ${[...sets, "updated_at = now()"].join(", ")} WHERE id = $1 RETURNING ${ISSUE_COLUMNS}`,
          params,
        );
        if (Object.keys(changes).length > 0 || blockerChange?.added.length || blockerChange?.removed.length) {
          await recordActivity(q, {
            companyId: prev.companyId,
            actor,
            action: "issue.updated",
            entityType: "issue",
            entityId: prev.id,
            details: {
              identifier: prev.identifier,
              changes,
              ...(blockerChange ? { blockers: blockerChange } : {}),
              ...(effects.clearLocks && (prev.checkoutRunId || prev.executionRunId)
                ? { releasedLocks: { checkoutRunId: prev.checkoutRunId, executionRunId: prev.executionRunId } }
                : {}),
            },
          });
        }
        const comment = body.comment ? await insertComment(q, updated!, actor, body.comment) : null;
        await hooks.afterUpdate(q, prev, updated!, actor, comment);
        return { ...(await withRelations(q, updated!)), comment };
      });
    },
  };
}
export type IssueService = ReturnType<typeof createIssueService>;
