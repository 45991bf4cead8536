import { z } from "zod";
import { ExecutionWorkspace, ListExecutionWorkspacesQuery, UpdateExecutionWorkspaceBody } from "@staple/contracts";
import { defineRoute, ok } from "../route.js";
import { DomainError } from "../../errors.js";
import type { Services } from "../../services.js";

const base = { tag: "execution-workspaces", access: "any" } as const;

/** The engine owns the workspaces (a run prepares and releases them); the routes read and close them. */
function workspaces(services: Services) {
  const ws = services.engine.resources.executionWorkspaces;
  if (!ws)
    throw new DomainError("conflict", "Execution workspaces are not enabled on this server", undefined, "execution_workspaces_disabled");
  return ws;
}

export const executionWorkspaceRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/execution-workspaces",
    summary: "List execution workspaces (isolated worktrees), newest first; filter by issue, project or status",
    query: ListExecutionWorkspacesQuery,
    responses: { 200: { description: "Execution workspaces", schema: z.array(ExecutionWorkspace) } },
    handler: async ({ actor, services, company, query }) => ok(await workspaces(services).list(actor, company.id, query)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/execution-workspaces/:id",
    summary: "Get an execution workspace",
    responses: { 200: { description: "Execution workspace", schema: ExecutionWorkspace } },
    handler: async ({ actor, services, params }) => ok(await workspaces(services).get(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "patch",
    path: "/api/execution-workspaces/:id",
    summary: "Close an execution workspace (status archived): teardown, worktree removed, branch kept; 409 while a run works in it",
    body: UpdateExecutionWorkspaceBody,
    responses: { 200: { description: "The workspace after closing", schema: ExecutionWorkspace } },
    handler: async ({ actor, services, params, body }) => ok(await workspaces(services).close(actor, params.id!, body)),
  }),
];
