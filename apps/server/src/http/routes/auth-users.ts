import { z } from "zod";
import {
  AuthMe,
  AuthStatus,
  CliAuthChallenge,
  CliAuthChallengeQuery,
  CreateCliAuthChallengeBody,
  CreatedCliAuthChallenge,
  isUuid,
  OkBody,
  ResolveCliAuthChallengeBody,
  SignedIn,
  SignedOut,
  SignInBody,
  SignUpBody,
} from "@staple/contracts";
import { newSessionCookie, sessionCookie, signOutRoute } from "./session-cookie.js";
import { assertBoard } from "../../auth/access.js";
import { forbidden, notFound } from "../../errors.js";
import { created, defineRoute, ok, type Reply } from "../route.js";

const base = { tag: "auth" } as const;

/** The origin the caller used, so links point back at the same address. */
export function requestOrigin(header: (name: string) => string | undefined): string {
  const host = header("host");
  const proto = header("x-forwarded-proto") === "https" ? "https" : "http";
  return host && /^[A-Za-z0-9.[\]:-]+$/.test(host) ? `${proto}://${host}` : "http://127.0.0.1:3100";
}

/**
 * Sign-in and sign-up set a cookie, so a cross-site form must not be able to post them (login CSRF):
 * a browser's Origin, when sent, must be this host. The CLI and curl send none and are fine.
 */
function assertNotCrossSite(header: (name: string) => string | undefined) {
  const site = header("sec-fetch-site");
  if (site !== undefined && !["same-origin", "none"].includes(site)) throw forbidden("Cross-site sign-in refused", "csrf_rejected");
  const origin = header("origin");
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    /* malformed */
  }
  if (!host || host.toLowerCase() !== header("host")?.toLowerCase()) throw forbidden("Cross-origin sign-in refused", "csrf_rejected");
}

function assertAuthenticatedMode(mode: string) {
  if (mode !== "authenticated") {
    throw forbidden(
      "Email sign-in exists only in authenticated mode (STAPLE_DEPLOYMENT_MODE=authenticated); this server is local_trusted: use the login link or the token file",
      "not_authenticated_mode",
    );
  }
}

const signedIn = (status: number, result: { user: unknown; token: string; expiresAt: string }): Reply => ({
  status,
  body: { user: result.user, expiresAt: result.expiresAt },
  headers: { "set-cookie": newSessionCookie(result.token), "cache-control": "no-store" },
});

/**
 * Authenticated mode: sign-up (setup code or invite), email/password sign-in with rate limiting,
 * sign-out everywhere, who am I; and CLI sign-in by challenge (Paperclip's /api/cli-auth/*).
 */
export const authUserRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/auth/status",
    summary: "Deployment mode, and whether the first user still has to sign up with the setup code",
    access: "public",
    responses: { 200: { description: "Status", schema: AuthStatus } },
    handler: async ({ info, services }) =>
      ok({
        deploymentMode: info.deploymentMode,
        setupRequired: info.deploymentMode === "authenticated" && !(await services.users.hasUsers()),
      }),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/auth/sign-up/email",
    summary: "Create a user with email and password (needs the setup code or an invite) and sign in",
    access: "public",
    body: SignUpBody,
    responses: { 201: { description: "Signed up and signed in (sets the session cookie)", schema: SignedIn } },
    handler: async ({ body, services, info, header }) => {
      assertAuthenticatedMode(info.deploymentMode);
      assertNotCrossSite(header);
      const invite = body.inviteToken;
      if (invite) await services.members.previewInvite(invite);
      const result = await services.users.signUp(
        body,
        { viaInvite: invite !== undefined, userAgent: header("user-agent") },
        invite ? async (q, user) => void (await services.members.acceptInvite(q, invite, user.id)) : undefined,
      );
      return signedIn(201, result);
    },
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/auth/sign-in/email",
    summary: "Sign in with email and password: sets the session cookie (rate limited per email and per address)",
    access: "public",
    body: SignInBody,
    responses: {
      200: { description: "Signed in (sets the session cookie)", schema: SignedIn },
      401: { description: "Wrong email or password" },
      429: { description: "Too many failed sign-ins; Retry-After says when to try again" },
    },
    handler: async ({ body, services, info, header, clientIp }) => {
      assertAuthenticatedMode(info.deploymentMode);
      assertNotCrossSite(header);
      const result = await services.users.signIn(body.email, body.password, clientIp, header("user-agent"));
      if (result.kind === "rate_limited") {
        return {
          status: 429,
          body: { error: "Too many failed sign-ins; try again later", code: "sign_in_rate_limited" },
          headers: { "retry-after": String(result.retryAfterSeconds) },
        };
      }
      if (result.kind === "invalid") return { status: 401, body: { error: "Wrong email or password", code: "invalid_credentials" } };
      return signedIn(200, result);
    },
  }),
  signOutRoute("/api/auth/sign-out", base.tag),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/auth/sign-out-everywhere",
    summary: "End every session of the caller (every browser); with includeKeys, revoke their board API keys too",
    access: "board",
    bodyOptional: true,
    body: z.strictObject({ includeKeys: z.boolean().optional() }),
    responses: { 200: { description: "Signed out everywhere", schema: SignedOut } },
    handler: async ({ actor, services, body }) => {
      assertBoard(actor);
      const revoked = await services.users.signOutEverywhere(actor.userId, body?.includeKeys === true);
      return { status: 200, body: { ok: true, ...revoked }, headers: { "set-cookie": sessionCookie("", 0) } };
    },
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/auth/me",
    summary: "The signed-in user, their companies and roles",
    access: "board",
    responses: { 200: { description: "Me", schema: AuthMe } },
    handler: async ({ actor, services }) => {
      assertBoard(actor);
      const user = await services.users
        .getUser(actor.userId)
        .catch(() => ({ id: actor.userId, email: null, name: null, isInstanceAdmin: true }));
      return ok({ user, memberships: await services.users.memberships(actor.userId), source: actor.source });
    },
  }),
  defineRoute({
    ...base,
    tag: "access",
    method: "post",
    path: "/api/cli-auth/challenges",
    summary: "Start CLI sign-in: a challenge a signed-in user approves in the board; the CLI polls it",
    access: "public",
    body: CreateCliAuthChallengeBody,
    responses: { 201: { description: "Challenge", schema: CreatedCliAuthChallenge } },
    handler: async ({ body, services, header }) => {
      const challenge = await services.cliChallenges.create(body.command, body.clientName ?? null);
      const approvalPath = `/cli-auth/${challenge.id}?token=${encodeURIComponent(challenge.token)}`;
      return created({
        ...challenge,
        approvalPath,
        approvalUrl: `${requestOrigin(header)}${approvalPath}`,
        pollPath: `/api/cli-auth/challenges/${challenge.id}`,
        suggestedPollIntervalMs: 1000,
      });
    },
  }),
  defineRoute({
    ...base,
    tag: "access",
    method: "get",
    path: "/api/cli-auth/challenges/:id",
    summary: "A CLI sign-in challenge's state (needs its secret as ?token=)",
    access: "public",
    query: CliAuthChallengeQuery,
    responses: { 200: { description: "Challenge", schema: CliAuthChallenge } },
    handler: async ({ params, query, services }) => {
      if (!isUuid(params.id!)) throw notFound("CLI auth challenge not found");
      return ok(await services.cliChallenges.describe(params.id!, query.token));
    },
  }),
  defineRoute({
    ...base,
    tag: "access",
    method: "post",
    path: "/api/cli-auth/challenges/:id/approve",
    summary: "Approve a CLI sign-in: the CLI's key becomes a board key of the caller",
    access: "board",
    body: ResolveCliAuthChallengeBody,
    responses: { 200: { description: "Approved", schema: CliAuthChallenge } },
    handler: async ({ actor, params, body, services }) => {
      assertBoard(actor);
      if (!isUuid(params.id!)) throw notFound("CLI auth challenge not found");
      return ok(await services.cliChallenges.approve(actor, params.id!, body.token));
    },
  }),
  defineRoute({
    ...base,
    tag: "access",
    method: "post",
    path: "/api/cli-auth/challenges/:id/cancel",
    summary: "Cancel a CLI sign-in challenge",
    access: "public",
    body: ResolveCliAuthChallengeBody,
    responses: { 200: { description: "Cancelled", schema: CliAuthChallenge } },
    handler: async ({ params, body, services }) => {
      if (!isUuid(params.id!)) throw notFound("CLI auth challenge not found");
      return ok(await services.cliChallenges.cancel(params.id!, body.token));
    },
  }),
  defineRoute({
    ...base,
    tag: "access",
    method: "post",
    path: "/api/cli-auth/revoke-current",
    summary: "Revoke the board API key this request uses (CLI logout)",
    access: "board",
    bodyOptional: true,
    body: z.strictObject({}),
    responses: { 200: { description: "Revoked", schema: OkBody } },
    handler: async ({ actor, services }) => {
      assertBoard(actor);
      if (actor.source !== "board_key" || !actor.credentialId)
        throw forbidden("This request does not use a board API key", "not_a_board_key");
      await services.boardCredentials.revokeKey(actor.userId, actor.credentialId);
      return ok({ ok: true });
    },
  }),
];
