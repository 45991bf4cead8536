import { expect } from "vitest";
import type { TestApp } from "../helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "../helpers/fixtures.js";

/**
 * Real objects the fuzzer points ids at, so handlers get past their existence checks. Operations
 * that destroy or disable their target (delete, archive, terminate, pause, key revocation) get a
 * victim of their own, so the rest of the run keeps a live company, agent and key.
 */
export interface World {
  companyId: string;
  victimCompanyId: string;
  agentId: string;
  agentToken: string;
  victimAgentId: string;
  victimKeyId: string;
  issueId: string;
  issue2Id: string;
  commentId: string;
  documentKey: string;
  victimDocumentKey: string;
  revisionId: string;
  goalId: string;
  goal2Id: string;
  victimGoalId: string;
  projectId: string;
  victimProjectId: string;
  workspaceId: string;
  victimWorkspaceId: string;
  runId: string;
  holdId: string;
  /** A board API key to revoke (when the server has board API keys). */
  victimBoardKeyId?: string;
  /** Path parameters no real object was found for (they get a random uuid); printed in the summary. */
  unmapped: Set<string>;
}

async function ok<T = any>(what: string, res: Promise<{ status: number; body: any }>): Promise<T> {
  const r = await res;
  expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
  return r.body as T;
}

export async function buildWorld(app: TestApp): Promise<World> {
  const company = await createCompany(app);
  const victimCompany = await createCompany(app);
  const agent = await createAgent(app, company.id);
  const key = await createAgentKey(app, agent.id);
  const victimAgent = await createAgent(app, company.id);
  const victimKey = await createAgentKey(app, victimAgent.id);
  const issue = await createIssue(app, company.id, { description: "fuzz target" });
  const issue2 = await createIssue(app, company.id);
  const goal = await ok("goal", app.post(`/api/companies/${company.id}/goals`, { title: "Fuzz goal" }));
  const goal2 = await ok("goal2", app.post(`/api/companies/${company.id}/goals`, { title: "Fuzz goal 2" }));
  const victimGoal = await ok("victim goal", app.post(`/api/companies/${company.id}/goals`, { title: "Victim goal" }));
  const project = await ok("project", app.post(`/api/companies/${company.id}/projects`, { name: "Fuzz project" }));
  const victimProject = await ok("victim project", app.post(`/api/companies/${company.id}/projects`, { name: "Victim project" }));
  const workspace = await ok("workspace", app.post(`/api/projects/${project.id}/workspaces`, { name: "ws", cwd: "/tmp" }));
  const victimWorkspace = await ok(
    "victim workspace",
    app.post(`/api/projects/${project.id}/workspaces`, { name: "victim ws", cwd: "/tmp" }),
  );
  const comment = await ok("comment", app.post(`/api/issues/${issue.id}/comments`, { body: "hello" }));
  const doc = await ok("document", app.put(`/api/issues/${issue.id}/documents/plan`, { body: "the plan" }));
  await ok("victim document", app.put(`/api/issues/${issue.id}/documents/victim-doc`, { body: "doomed" }));
  await ok("work product", app.post(`/api/issues/${issue.id}/work-products`, { type: "commit", provider: "git", title: "c1" }));
  const wake = await ok("wakeup", app.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", reason: "fuzz" }));
  const hold = await ok("tree hold", app.post(`/api/issues/${issue2.id}/tree-holds`, { mode: "pause", reason: "fuzz" }));
  const boardKey = await app.post("/api/board-api-keys", { name: "fuzz victim" });
  const runId = (wake.id ?? wake.runId ?? wake.run?.id) as string | undefined;
  expect(runId, `wakeup answer has a run id: ${JSON.stringify(wake)}`).toBeTypeOf("string");
  return {
    companyId: company.id,
    victimCompanyId: victimCompany.id,
    agentId: agent.id,
    agentToken: key.token,
    victimAgentId: victimAgent.id,
    victimKeyId: victimKey.id,
    issueId: issue.id,
    issue2Id: issue2.id,
    commentId: comment.id,
    documentKey: "plan",
    victimDocumentKey: "victim-doc",
    revisionId: (doc.latestRevisionId ?? doc.revisionId ?? doc.id) as string,
    goalId: goal.id,
    goal2Id: goal2.id,
    victimGoalId: victimGoal.id,
    projectId: project.id,
    victimProjectId: victimProject.id,
    workspaceId: workspace.id,
    victimWorkspaceId: victimWorkspace.id,
    runId: runId!,
    holdId: hold.id,
    victimBoardKeyId: boardKey.status === 201 ? (boardKey.body.id as string) : undefined,
    unmapped: new Set(),
  };
}

const DESTRUCTIVE = /\/(archive|terminate|pause|resume)$|\/keys/;

/** The real value for a path parameter of an operation (by the segment that names it). */
export function realPathValue(world: World, method: string, path: string, param: string): string {
  const segments = path.split("/");
  const at = segments.indexOf(`{${param}}`);
  const owner = segments[at - 1];
  const destroys = method === "DELETE" && at === segments.length - 1;
  const victim = destroys || DESTRUCTIVE.test(path);
  switch (owner) {
    case "companies":
      return path.endsWith("/archive") ? world.victimCompanyId : world.companyId;
    case "agents":
      return victim || (method !== "GET" && /^\/api\/agents\/\{id\}$/.test(path)) ? world.victimAgentId : world.agentId;
    case "keys":
      return world.victimKeyId;
    case "board-api-keys":
      if (world.victimBoardKeyId) return world.victimBoardKeyId;
      break;
    case "issues":
      return path.includes("/tree-holds/") ? world.issue2Id : world.issueId;
    case "comments":
      return world.commentId;
    case "documents":
      return destroys ? world.victimDocumentKey : world.documentKey;
    case "goals":
      return destroys ? world.victimGoalId : world.goalId;
    case "projects":
      return destroys ? world.victimProjectId : world.projectId;
    case "workspaces":
      return destroys ? world.victimWorkspaceId : world.workspaceId;
    case "heartbeat-runs":
      return world.runId;
    case "tree-holds":
      return world.holdId;
    case "adapters":
      return "process";
  }
  world.unmapped.add(`${method} ${path} {${param}}`);
  return UNMAPPED_UUID;
}

const UNMAPPED_UUID = "5b0c8a34-9d1e-4f27-8a6b-3c2d1e0f9a8b";

/** A real id for a uuid-valued body or query field, by its name (undefined: no natural target). */
export function realFieldValue(world: World, path: string, field: string): string | undefined {
  switch (field) {
    case "agentId":
    case "assigneeAgentId":
    case "reportsTo":
    case "leadAgentId":
    case "ownerAgentId":
    case "scopeId":
      return world.agentId;
    case "issueId":
    case "blockedByIssueIds":
      return world.issue2Id;
    case "parentId":
      return path.includes("/goals") ? world.goal2Id : world.issue2Id;
    case "goalId":
      return world.goalId;
    case "projectId":
      return world.projectId;
    case "projectWorkspaceId":
      return world.workspaceId;
    case "heartbeatRunId":
      return world.runId;
    case "baseRevisionId":
      return world.revisionId;
    case "after":
      return world.commentId;
    default:
      return undefined;
  }
}
