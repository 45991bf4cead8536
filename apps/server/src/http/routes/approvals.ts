import { z } from "zod";
import {
  AddApprovalCommentBody,
  AgentHireBody,
  AgentHireResult,
  Approval,
  ApprovalComment,
  CreateApprovalBody,
  DecideApprovalBody,
  Issue,
  LinkIssueApprovalBody,
  ListApprovalsQuery,
  OkBody,
  ResubmitApprovalBody,
} from "@staple/contracts";
import type { Decision } from "../../approvals/decide.js";
import { created, defineRoute, ok } from "../route.js";

const base = { tag: "approvals" } as const;
const notFound = { 404: { description: "Approval not found (or another company's)" } };

const decisionRoute = (action: string, decision: Decision, summary: string) =>
  defineRoute({
    ...base,
    method: "post",
    path: `/api/approvals/:id/${action}`,
    summary,
    access: "board",
    body: DecideApprovalBody,
    bodyOptional: true,
    responses: {
      200: { description: "The approval after the decision (unchanged when it already had this decision)", schema: Approval },
      ...notFound,
      422: { description: "The approval is in a state this decision cannot leave (code approval_already_decided)" },
    },
    handler: async ({ actor, services, params, body }) => ok(await services.approvals.decisions.decide(actor, params.id!, decision, body)),
  });

/** Approvals (Paperclip's approval routes) and hiring through an approval. */
export const approvalRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/approvals",
    summary: "List the company's approvals, newest first, at most 500 (?status=pending)",
    access: "any",
    query: ListApprovalsQuery,
    responses: { 200: { description: "Approvals", schema: z.array(Approval) } },
    handler: async ({ actor, services, company, query }) => ok(await services.approvals.approvals.list(actor, company.id, query.status)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/companies/:companyId/approvals",
    summary: "Request an approval (an agent requests for itself), optionally linked to issues",
    access: "any",
    body: CreateApprovalBody,
    responses: { 201: { description: "Created", schema: Approval }, 404: { description: "A linked issue does not exist" } },
    handler: async ({ actor, services, company, body }) => created(await services.approvals.approvals.create(actor, company.id, body)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/approvals/:id",
    summary: "One approval",
    access: "any",
    responses: { 200: { description: "Approval", schema: Approval }, ...notFound },
    handler: async ({ actor, services, params }) => ok(await services.approvals.approvals.visible(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/approvals/:id/issues",
    summary: "Issues linked to an approval, newest link first",
    access: "any",
    responses: { 200: { description: "Issues", schema: z.array(Issue) }, ...notFound },
    handler: async ({ actor, services, params }) => ok(await services.approvals.approvals.listIssues(actor, params.id!)),
  }),
  decisionRoute(
    "approve",
    "approved",
    "Approve (board): a hire activates its agent, a budget override resumes the paused scope; wakes the requester",
  ),
  decisionRoute("reject", "rejected", "Reject (board): a hire terminates its pending agent; wakes the requester"),
  decisionRoute("request-revision", "revision_requested", "Ask the requester for a revision (board); wakes the requester"),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/approvals/:id/resubmit",
    summary: "Resubmit an approval in revision_requested (its requesting agent, or the board), optionally with a new payload",
    access: "any",
    body: ResubmitApprovalBody,
    bodyOptional: true,
    responses: {
      200: { description: "The approval, pending again", schema: Approval },
      ...notFound,
      422: { description: "Not in revision_requested (code approval_not_resubmittable)" },
    },
    handler: async ({ actor, services, params, body }) => ok(await services.approvals.approvals.resubmit(actor, params.id!, body ?? {})),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/approvals/:id/comments",
    summary: "Comments on an approval, oldest first",
    access: "any",
    responses: { 200: { description: "Comments", schema: z.array(ApprovalComment) }, ...notFound },
    handler: async ({ actor, services, params }) => ok(await services.approvals.approvals.listComments(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/approvals/:id/comments",
    summary: "Comment on an approval (the board, or the agent that requested it)",
    access: "any",
    body: AddApprovalCommentBody,
    responses: { 201: { description: "Created", schema: ApprovalComment }, ...notFound },
    handler: async ({ actor, services, params, body }) => created(await services.approvals.approvals.addComment(actor, params.id!, body)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/approvals",
    summary: "Approvals linked to an issue, newest link first",
    access: "any",
    responses: { 200: { description: "Approvals", schema: z.array(Approval) }, 404: { description: "Issue not found" } },
    handler: async ({ actor, services, params }) => ok(await services.approvals.approvals.listForIssue(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/issues/:id/approvals",
    summary: "Link an approval to an issue (the board, a CEO agent, or an agent that may create agents)",
    access: "any",
    body: LinkIssueApprovalBody,
    responses: {
      201: { description: "The issue's approvals", schema: z.array(Approval) },
      404: { description: "Issue or approval not found" },
    },
    handler: async ({ actor, services, params, body }) =>
      created(await services.approvals.approvals.link(actor, params.id!, body.approvalId)),
  }),
  defineRoute({
    ...base,
    method: "delete",
    path: "/api/issues/:id/approvals/:approvalId",
    summary: "Unlink an approval from an issue (same callers as linking); unlinking twice is fine",
    access: "any",
    responses: { 200: { description: "Unlinked", schema: OkBody }, 404: { description: "Issue or approval not found" } },
    handler: async ({ actor, services, params }) => ok(await services.approvals.approvals.unlink(actor, params.id!, params.approvalId!)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/companies/:companyId/agent-hires",
    summary:
      "Hire an agent (the board, or an agent with canCreateAgents). With requireBoardApprovalForNewAgents the agent starts pending_approval with a hire_agent approval",
    access: "any",
    body: AgentHireBody,
    responses: { 201: { description: "The agent and its approval (null when no approval is required)", schema: AgentHireResult } },
    handler: async ({ actor, services, company, body }) => created(await services.approvals.hiring.hire(actor, company.id, body)),
  }),
];
