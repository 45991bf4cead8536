import { z } from "zod";
import { OkBody } from "@staple/contracts";
import { generateCookie } from "hono/cookie";
import { SESSION_COOKIE, SESSION_TTL_MS } from "../../auth/board-credentials.js";
import { defineRoute } from "../route.js";

/**
 * The board session cookie, written the same way by every route that signs a browser in or out:
 * HTTP-only and SameSite=Strict (cookie writes are CSRF-checked on top), for the whole site.
 */
export const sessionCookie = (value: string, maxAgeSeconds: number) =>
  generateCookie(SESSION_COOKIE, value, { httpOnly: true, sameSite: "Strict", path: "/", maxAge: maxAgeSeconds });

/** A cookie for a new session, living as long as the session itself. */
export const newSessionCookie = (token: string) => sessionCookie(token, Math.floor(SESSION_TTL_MS / 1000));

/** Signing this browser out: one definition behind each path that offers it (login links, email sign-in). */
export const signOutRoute = (path: string, tag: string) =>
  defineRoute({
    tag,
    method: "post",
    path,
    summary: "Sign this browser out: ends the session and clears its cookie",
    access: "board",
    bodyOptional: true,
    body: z.strictObject({}),
    responses: { 200: { description: "Signed out", schema: OkBody } },
    handler: async ({ actor, services }) => {
      if (actor.kind === "board" && actor.source === "session" && actor.credentialId)
        await services.boardCredentials.revokeSession(actor.credentialId);
      return { status: 200, body: { ok: true }, headers: { "set-cookie": sessionCookie("", 0) } };
    },
  });
