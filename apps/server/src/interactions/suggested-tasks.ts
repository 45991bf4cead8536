import { LOCAL_BOARD_USER_ID, actorStamp, type Actor } from "../auth/actor.js";
import type { SuggestedTask, SuggestTasksPayload } from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import { ruleViolation } from "../errors.js";
import { insertIssueRow } from "../issues/insert.js";
import type { IssueRow } from "../issues/rows.js";
import { assertAssignmentRules } from "../issues/status-rules.js";

/** Same bound as a directly created issue (issues/service.ts). */
const MAX_REQUEST_DEPTH = 1024;

export interface CreatedTask {
  clientKey: string;
  issueId: string;
  identifier: string | null;
  title: string;
  parentIssueId: string;
  parentIdentifier: string | null;
}

const distinct = (values: (string | null | undefined)[]) => [...new Set(values.filter((v): v is string => Boolean(v)))];

async function assertAllInCompany(q: Queryable, table: "agents" | "projects" | "goals", ids: string[], companyId: string, what: string) {
  if (ids.length === 0) return;
  const extra = table === "agents" ? " AND status <> 'terminated'" : "";
  const [{ n }] = (await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE id = ANY($1::uuid[]) AND company_id = $2${extra}`,
    [ids, companyId],
  )) as [{ n: number }];
  if (n !== ids.length)
    throw ruleViolation(
      `Suggested tasks reference a ${what} that is not in this company (or is terminated)`,
      undefined,
      "suggested_task_reference_invalid",
    );
}

/**
 * Creates the accepted suggested tasks as sub-issues, parents first, inside the acceptance's
 * transaction: the card is accepted exactly when its issues exist. A task goes under its
 * suggested parent task, else its `parentId`, else the payload's `defaultParentId`, else the issue
 * the card is on. `afterCreate` is the issue hooks' create path (it wakes an assigned agent).
 */
export async function createSuggestedTasks(
  q: Queryable,
  issue: IssueRow,
  payload: SuggestTasksPayload,
  ordered: readonly SuggestedTask[],
  actor: Actor,
  afterCreate: (q: Queryable, child: IssueRow, actor: Actor) => Promise<void>,
): Promise<CreatedTask[]> {
  const parentIds = distinct([issue.id, payload.defaultParentId, ...ordered.map((t) => t.parentId)]);
  const parents = await q.query<{ id: string; identifier: string; requestDepth: number }>(
    "SELECT id, identifier, request_depth FROM issues WHERE id = ANY($1::uuid[]) AND company_id = $2",
    [parentIds, issue.companyId],
  );
  if (parents.length !== parentIds.length) {
    throw ruleViolation("Suggested tasks reference parent issues outside this company", undefined, "suggested_task_reference_invalid");
  }
  await assertAllInCompany(q, "agents", distinct(ordered.map((t) => t.assigneeAgentId)), issue.companyId, "assignee agent");
  await assertAllInCompany(q, "projects", distinct(ordered.map((t) => t.projectId)), issue.companyId, "project");
  await assertAllInCompany(q, "goals", distinct(ordered.map((t) => t.goalId)), issue.companyId, "goal");

  const stamp = actorStamp(actor);
  const depthOf = new Map(parents.map((p) => [p.id, p.requestDepth]));
  const identifierOf = new Map(parents.map((p) => [p.id, p.identifier as string | null]));
  const created = new Map<string, CreatedTask>();
  for (const task of ordered) {
    if (task.assigneeUserId && task.assigneeUserId !== LOCAL_BOARD_USER_ID) {
      throw ruleViolation(`Unknown user: ${task.assigneeUserId}`, undefined, "assignee_user_invalid");
    }
    assertAssignmentRules({ status: "todo", assigneeAgentId: task.assigneeAgentId ?? null, assigneeUserId: task.assigneeUserId ?? null });
    const parentId = task.parentClientKey
      ? created.get(task.parentClientKey)!.issueId
      : (task.parentId ?? payload.defaultParentId ?? issue.id);
    const requestDepth = (depthOf.get(parentId) ?? 0) + (actor.kind === "agent" ? 1 : 0);
    if (requestDepth > MAX_REQUEST_DEPTH) throw ruleViolation("Issue delegation is nested too deeply", undefined, "request_depth");
    const child = await insertIssueRow(
      q,
      {
        companyId: issue.companyId,
        title: task.title,
        description: task.description ?? null,
        status: "todo",
        priority: task.priority ?? "medium",
        parentId,
        goalId: task.goalId ?? issue.goalId,
        projectId: task.projectId ?? issue.projectId,
        assigneeAgentId: task.assigneeAgentId ?? null,
        assigneeUserId: task.assigneeUserId ?? null,
        createdByAgentId: stamp.agentId,
        createdByUserId: actor.kind === "board" ? actor.userId : null,
        requestDepth,
        billingCode: task.billingCode ?? null,
      },
      { actorType: stamp.actorType, actorId: stamp.actorId, agentId: stamp.agentId, runId: stamp.runId },
    );
    depthOf.set(child.id, child.requestDepth);
    identifierOf.set(child.id, child.identifier);
    created.set(task.clientKey, {
      clientKey: task.clientKey,
      issueId: child.id,
      identifier: child.identifier,
      title: child.title,
      parentIssueId: parentId,
      parentIdentifier: identifierOf.get(parentId) ?? null,
    });
    await afterCreate(q, child, actor);
  }
  return [...created.values()];
}
