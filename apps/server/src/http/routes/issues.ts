import { z } from "zod";
import { acceptsBrotli } from "../accept-encoding.js";
import {
  ActivityEntry,
  ActivityQuery,
  Comment,
  CreateCommentBody,
  CreateIssueBody,
  HeartbeatContext,
  HeartbeatContextQuery,
  Issue,
  IssueDetail,
  IssueListItem,
  IssueWithRelations,
  ListCommentsQuery,
  ListIssuesQuery,
  UpdateIssueBody,
} from "@staple/contracts";
import { created, defineRoute, ok, okRaw, type Reply } from "../route.js";
import { loadHeartbeatContext } from "../../issues/heartbeat-context.js";
import { removeIssue } from "../../issues/remove.js";

const base = { tag: "issues", access: "any" } as const;

export const issueRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/issues",
    summary: "List issues (hidden issues are never listed)",
    query: ListIssuesQuery,
    responses: { 200: { description: "Issues", schema: z.array(IssueListItem) } },
    handler: async ({ actor, services, company, query, header }): Promise<Reply> => {
      const page = await services.issues.listJson(actor, company.id, query);
      // A kept page's Brotli copy goes to clients that ask for it (browsers do; Node's fetch does not).
      if (page.brotli && acceptsBrotli(header("accept-encoding")))
        return { ...okRaw(page.brotli), headers: { "content-encoding": "br", vary: "accept-encoding" } };
      return { ...okRaw(page.body), headers: { vary: "accept-encoding" } };
    },
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/companies/:companyId/issues",
    summary: "Create an issue; its identifier is PREFIX-N from the company counter",
    body: CreateIssueBody,
    responses: {
      201: { description: "Created", schema: IssueWithRelations },
      200: {
        description: "With allowDuplicate: false, the open issue of the same title and parent from the last 48 hours (deduplicated: true)",
        schema: IssueWithRelations,
      },
    },
    async handler({ actor, services, company, body }) {
      const issue = await services.issues.create(actor, company.id, body, company);
      return "deduplicated" in issue ? ok(issue) : created(issue);
    },
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id",
    summary: "Get an issue by uuid or identifier, with ancestors, blockers, documents and work products",
    responses: { 200: { description: "Issue", schema: IssueDetail } },
    handler: async ({ actor, services, params }) => ok(await services.issues.get(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "patch",
    path: "/api/issues/:id",
    summary: "Update an issue (any field; blockedByIssueIds replaces the set; comment posts one)",
    body: UpdateIssueBody,
    responses: { 200: { description: "Updated", schema: IssueWithRelations.extend({ comment: Comment.nullable() }) } },
    handler: async ({ actor, services, params, body }) => ok(await services.issues.update(actor, params.id!, body)),
  }),
  defineRoute({
    ...base,
    method: "delete",
    path: "/api/issues/:id",
    summary:
      "Delete an issue (board only): comments, blocker edges, documents, work products and inbox archives go with it; " +
      "children become top-level; runs and costs stay; refused (409) while a run of it is queued or running",
    access: "board",
    responses: { 200: { description: "The deleted issue", schema: Issue }, 409: { description: "A run of the issue is live" } },
    handler: async ({ actor, services, params }) => ok(await removeIssue(services.db, actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/heartbeat-context",
    summary: "Compact context for a heartbeat: issue state, ancestor summaries, project, goal, blockers, comment cursor, wake comment",
    query: HeartbeatContextQuery,
    responses: { 200: { description: "Heartbeat context", schema: HeartbeatContext } },
    async handler({ actor, services, params, query }) {
      const issue = await services.issues.visibleIssue(actor, params.id!);
      return ok(await loadHeartbeatContext(services.db, issue, query.wakeCommentId));
    },
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/comments",
    summary: "List comments (newest first unless order=asc; after=<commentId> for newer ones only)",
    query: ListCommentsQuery,
    responses: { 200: { description: "Comments", schema: z.array(Comment) } },
    handler: async ({ actor, services, params, query }) => ok(await services.comments.list(actor, params.id!, query)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/issues/:id/comments",
    summary: "Post a comment (mentions of agents are parsed and stored)",
    body: CreateCommentBody,
    responses: { 201: { description: "Created", schema: Comment } },
    handler: async ({ actor, services, params, body }) => created(await services.comments.create(actor, params.id!, body)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/comments/:commentId",
    summary: "Get one comment",
    responses: { 200: { description: "Comment", schema: Comment } },
    handler: async ({ actor, services, params }) => ok(await services.comments.get(actor, params.id!, params.commentId!)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/activity",
    summary: "The issue's activity, newest first",
    query: ActivityQuery.pick({ limit: true }),
    responses: { 200: { description: "Activity", schema: z.array(ActivityEntry) } },
    async handler({ actor, services, params, query }) {
      const issue = await services.issues.visibleIssue(actor, params.id!);
      return ok(await services.activity.listForIssue(issue.id, query.limit));
    },
  }),
];
