import { z } from "zod";
import {
  CreatedInvite,
  CreateInviteBody,
  Invite,
  InviteAccepted,
  InvitePreview,
  isUuid,
  JoinRequest,
  Member,
  UpdateMemberBody,
} from "@staple/contracts";
import { assertBoard } from "../../auth/access.js";
import { notFound, validationError } from "../../errors.js";
import { assertManagesMembers, INVITE_TTL_HOURS_DEFAULT } from "../../members/service.js";
import { created, defineRoute, ok, type RouteContext } from "../route.js";
import { requestOrigin } from "./auth-users.js";

const base = { tag: "access" } as const;

function memberId(params: Record<string, string>) {
  const id = params.memberId!;
  if (id.length === 0 || id.length > 100) throw notFound("Member not found");
  return id;
}

const removeMember = async ({ actor, params, services }: RouteContext<unknown, unknown>) => {
  assertBoard(actor);
  return ok(await services.members.remove(actor, params.companyId!, memberId(params)));
};

const decide = (approve: boolean) =>
  defineRoute({
    ...base,
    method: "post",
    path: `/api/companies/:companyId/join-requests/:requestId/${approve ? "approve" : "reject"}`,
    summary: approve ? "Approve a join request: the user becomes a member with the invite's role" : "Reject a join request",
    access: "board",
    bodyOptional: true,
    body: z.strictObject({}),
    responses: { 200: { description: "Decided", schema: JoinRequest } },
    handler: async ({ actor, params, services }) => {
      assertBoard(actor);
      if (!isUuid(params.requestId!)) throw notFound("Join request not found");
      return ok(await services.members.decideJoinRequest(actor, params.companyId!, params.requestId!, approve));
    },
  });

/**
 * Company members and roles, invite links and join requests (Paperclip's `access` routes). Who may
 * grant which role is decided by the role table (auth/roles.ts) in the members service.
 */
export const memberRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/members",
    summary: "A company's members and their roles",
    access: "board",
    responses: { 200: { description: "Members", schema: z.array(Member) } },
    handler: async ({ params, services }) => ok(await services.members.list(params.companyId!)),
  }),
  defineRoute({
    ...base,
    method: "patch",
    path: "/api/companies/:companyId/members/:memberId",
    summary: "Change a member's role (owners grant and take the owner role; a company keeps one owner)",
    access: "board",
    body: UpdateMemberBody,
    responses: { 200: { description: "Member", schema: Member } },
    handler: async ({ actor, params, body, services }) => {
      assertBoard(actor);
      const role = body.role ?? body.membershipRole;
      if (!role) throw validationError('Send the new role: {"role": "owner" | "admin" | "member" | "viewer"}');
      return ok(await services.members.updateRole(actor, params.companyId!, memberId(params), role));
    },
  }),
  defineRoute({
    ...base,
    method: "delete",
    path: "/api/companies/:companyId/members/:memberId",
    summary: "Remove a member: ends all of their sessions and revokes their board API keys",
    access: "board",
    responses: { 200: { description: "Removed member", schema: Member } },
    handler: removeMember,
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/companies/:companyId/members/:memberId/archive",
    summary: "Remove a member (Paperclip's name for it)",
    access: "board",
    bodyOptional: true,
    body: z.object({}).passthrough(),
    responses: { 200: { description: "Removed member", schema: Member } },
    handler: removeMember,
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/invites",
    summary: "A company's invites (never their tokens)",
    access: "board",
    responses: { 200: { description: "Invites", schema: z.array(Invite) } },
    handler: async ({ actor, params, services }) => {
      assertBoard(actor);
      assertManagesMembers(actor, params.companyId!);
      return ok(await services.members.listInvites(params.companyId!));
    },
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/companies/:companyId/invites",
    summary: "Create an invite link (single use, expires; the token is shown only in this answer)",
    access: "board",
    bodyOptional: true,
    body: CreateInviteBody,
    responses: { 201: { description: "Invite", schema: CreatedInvite } },
    handler: async ({ actor, params, body, services, header }) => {
      assertBoard(actor);
      const invite = await services.members.createInvite(actor, params.companyId!, {
        role: body?.role ?? body?.humanRole ?? "member",
        requiresApproval: body?.requiresApproval ?? false,
        expiresInHours: body?.expiresInHours ?? INVITE_TTL_HOURS_DEFAULT,
      });
      return created({ ...invite, inviteUrl: `${requestOrigin(header)}/invite/${invite.token}` });
    },
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/invites/:inviteId/revoke",
    summary: "Revoke an invite link",
    access: "board",
    bodyOptional: true,
    body: z.strictObject({}),
    responses: { 200: { description: "Invite", schema: Invite } },
    handler: async ({ actor, params, services }) => {
      assertBoard(actor);
      if (!isUuid(params.inviteId!)) throw notFound("Invite not found");
      return ok(await services.members.revokeInvite(actor, params.inviteId!));
    },
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/invites/:token",
    summary: "What an invite link offers (company and role); 404 once used, revoked or expired",
    access: "public",
    responses: { 200: { description: "Invite", schema: InvitePreview } },
    handler: async ({ params, services }) => ok(await services.members.previewInvite(params.token!)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/invites/:token/accept",
    summary: "Accept an invite as the signed-in user: join the company, or file a join request when it needs approval",
    access: "board",
    bodyOptional: true,
    body: z.object({}).passthrough(),
    responses: { 200: { description: "Accepted", schema: InviteAccepted } },
    handler: async ({ actor, params, services }) => {
      assertBoard(actor);
      return ok(await services.db.tx((q) => services.members.acceptInvite(q, params.token!, actor.userId)));
    },
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/join-requests",
    summary: "A company's join requests",
    access: "board",
    responses: { 200: { description: "Join requests", schema: z.array(JoinRequest) } },
    handler: async ({ actor, params, services }) => {
      assertBoard(actor);
      assertManagesMembers(actor, params.companyId!);
      return ok(await services.members.listJoinRequests(params.companyId!));
    },
  }),
  decide(true),
  decide(false),
];
