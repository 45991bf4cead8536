import { z } from "zod";
import {
  BoardApiKey,
  BoardLoginLink,
  BoardLoginQuery,
  BoardSessionInfo,
  CreateBoardApiKeyBody,
  CreatedBoardApiKey,
  isUuid,
} from "@staple/contracts";
import { newSessionCookie, signOutRoute } from "./session-cookie.js";
import { createBoardCredentials } from "../../auth/board-credentials.js";
import { forbidden, notFound } from "../../errors.js";
import { created, defineRoute, ok, type Reply } from "../route.js";

const base = { tag: "board access" } as const;

/** The origin the caller used, so a login link points back at the same address. */
function requestOrigin(header: (name: string) => string | undefined, fallback: string): string {
  const host = header("host");
  return host && /^[A-Za-z0-9.[\]:-]+$/.test(host) ? `http://${host}` : fallback;
}

function loginPage(status: number, title: string, text: string): Reply {
  const html = `<!doctype html><meta charset="utf-8"><title>Staple: ${title}</title>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5">
<h1 style="font-size:1.4rem">${title}</h1><p>${text}</p></body>`;
  return {
    status,
    body: undefined,
    rawText: { text: html, contentType: "text/html; charset=utf-8" },
    headers: { "cache-control": "no-store" },
  };
}

/**
 * Board credentials over HTTP: board API keys (Paperclip's `/api/board-api-keys`), one-time login
 * links that become a session cookie, the session's identity, and sign-out.
 */
export const boardAccessRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/board-api-keys",
    summary: "List the board user's API keys (never the tokens)",
    access: "board",
    responses: { 200: { description: "Keys", schema: z.array(BoardApiKey) } },
    handler: async ({ actor, services }) => ok(await services.boardCredentials.listKeys(actor.kind === "board" ? actor.userId : "")),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/board-api-keys",
    summary: "Create a named board API key; the token is shown only in this answer",
    access: "board",
    body: CreateBoardApiKeyBody,
    responses: { 201: { description: "Created", schema: CreatedBoardApiKey } },
    handler: async ({ actor, services, body }) => {
      if (actor.kind !== "board") throw forbidden("Board access required", "board_only");
      // The key and its audit rows (one per company of the user) commit together.
      return created(
        await services.db.tx(async (q) => {
          const key = await createBoardCredentials(q).createKey(actor.userId, body.name, body.expiresAt ?? null);
          await services.users.audit(q, actor.userId, "board_api_key.created", { boardApiKeyId: key.id, name: key.name });
          return key;
        }),
      );
    },
  }),
  defineRoute({
    ...base,
    method: "delete",
    path: "/api/board-api-keys/:keyId",
    summary: "Revoke a board API key (requests and live streams using it stop within seconds)",
    access: "board",
    responses: { 200: { description: "Revoked", schema: BoardApiKey } },
    handler: async ({ actor, services, params }) => {
      if (actor.kind !== "board") throw forbidden("Board access required", "board_only");
      if (!isUuid(params.keyId!)) throw notFound("Board API key not found");
      return ok(
        await services.db.tx(async (q) => {
          const key = await createBoardCredentials(q).revokeKey(actor.userId, params.keyId!);
          await services.users.audit(q, actor.userId, "board_api_key.revoked", { boardApiKeyId: key.id, name: key.name });
          return key;
        }),
      );
    },
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/board/login-links",
    summary: "Mint a one-time login link for a browser (valid 24 hours, single use)",
    access: "board",
    responses: { 201: { description: "Link", schema: BoardLoginLink } },
    handler: async ({ actor, services, header }) => {
      if (actor.kind !== "board") throw forbidden("Board access required", "board_only");
      const link = await services.boardCredentials.createLoginLink(actor.userId);
      const origin = requestOrigin(header, "http://127.0.0.1:3100");
      return created({ url: `${origin}/api/board/login?code=${link.code}`, expiresAt: link.expiresAt });
    },
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/board/login",
    summary: "Redeem a one-time login link: sets the board session cookie and redirects to the board",
    access: "public",
    query: BoardLoginQuery,
    responses: { 303: { description: "Signed in; redirect to /" }, 401: { description: "Unknown, used or expired link (an HTML page)" } },
    handler: async ({ services, query, header }) => {
      const session = await services.boardCredentials.redeemLoginLink(query.code, header("user-agent"));
      if (!session) {
        return loginPage(
          401,
          "This sign-in link cannot be used",
          "It was already used, has expired, or is not a link this server issued. Get a new one with <code>npx staple board</code> in the Staple folder, or restart the server and open the link it prints.",
        );
      }
      return {
        status: 303,
        body: undefined,
        rawText: { text: "", contentType: "text/plain" },
        headers: {
          location: "/",
          "set-cookie": newSessionCookie(session.token),
          "cache-control": "no-store",
        },
      };
    },
  }),
  signOutRoute("/api/board/logout", base.tag),
  ...(["/api/auth/get-session", "/api/cli-auth/me"] as const).map((path) =>
    defineRoute({
      ...base,
      method: "get",
      path,
      summary: "Who the board caller is (user and credential)",
      access: "board",
      responses: { 200: { description: "Session", schema: BoardSessionInfo } },
      handler: ({ actor }) => {
        if (actor.kind !== "board") throw forbidden("Board access required", "board_only");
        return ok({ user: { id: actor.userId }, session: { id: actor.credentialId ?? null, source: actor.source } });
      },
    }),
  ),
];
