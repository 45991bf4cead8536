import { STATUS_CODES, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { streamSSE } from "hono/streaming";
import type { Hono } from "hono";
import { WebSocketServer, type WebSocket } from "ws";
import { isUuid } from "@staple/contracts";
import { assertCompanyAccess } from "../auth/access.js";
import type { Authenticate, Credentials } from "../auth/authenticate.js";
import { createStreamAccessCheck, runTokenExpiry, type StreamPrincipal, type StreamRevocation } from "../auth/stream-access.js";
import type { LiveBus, LiveEvent } from "../live/bus.js";
import type { Logger } from "../logger.js";
import type { Services } from "../services.js";
import { errorToResponse } from "./error-funnel.js";
import { createLiveGuard, type LiveGuard } from "./live-guard.js";

const SSE_PATH = "/api/companies/:companyId/events";
const WS_PATH_RE = /^\/api\/companies\/([^/]+)\/events\/ws$/;
/** Keeps idle connections (and the proxies between) alive. */
const KEEPALIVE_MS = 15_000;
/** The last message of a stream that lost its access (SSE event name / WS message type). */
export const STREAM_CLOSED_EVENT = "stream.closed";
/** WebSocket close code for a stream whose credential stopped being valid (private range). */
export const WS_CLOSE_REVOKED = 4401;

export interface LiveStreamDeps {
  services: Services;
  authenticate: Authenticate;
  logger: Logger;
  /** How often open streams re-check their credential (default STREAM_REVALIDATE_MS). */
  revalidateMs?: number;
}

/** One guard per bus, shared by the SSE route and the WebSocket endpoint of the same server. */
const guards = new WeakMap<LiveBus, LiveGuard>();
export function liveGuardFor(deps: LiveStreamDeps): LiveGuard {
  let guard = guards.get(deps.services.live);
  if (!guard) {
    const check = createStreamAccessCheck({ db: deps.services.db, authenticate: deps.authenticate, logger: deps.logger });
    guard = createLiveGuard({ bus: deps.services.live, check, logger: deps.logger, intervalMs: deps.revalidateMs });
    guards.set(deps.services.live, guard);
  }
  return guard;
}

async function authorize(
  deps: LiveStreamDeps,
  companyId: string,
  authorization: string | undefined,
  browser?: { cookie: string | undefined; origin?: string | undefined; host?: string | undefined; websocket?: boolean },
) {
  // SSE is a read (a GET). A WebSocket handshake with a session cookie must come from this origin:
  // browsers let any page open one, so it goes through the same-origin check as a write.
  const credentials: Credentials = {
    authorization,
    runIdHeader: undefined,
    cookie: browser?.cookie,
    method: browser?.websocket ? "WEBSOCKET" : "GET",
    origin: browser?.origin,
    host: browser?.host,
  };
  const actor = await deps.authenticate(credentials);
  assertCompanyAccess(actor, companyId);
  await deps.services.companies.require(companyId);
  // Kept for the stream's lifetime: the guard re-checks exactly what opened it.
  const principal: StreamPrincipal = { companyId, actor, credentials, expiresAtMs: runTokenExpiry(actor, authorization) };
  return principal;
}

/**
 * Server-sent events: `event: <type>` / `data: <json>` for every live event of the company. A stream
 * whose credential stops being valid gets `event: stream.closed` with `{"reason": …}` and ends.
 */
export function mountLiveSse(app: Hono, deps: LiveStreamDeps) {
  app.get(SSE_PATH, async (c) => {
    const companyId = c.req.param("companyId");
    let principal: StreamPrincipal;
    try {
      principal = await authorize(deps, companyId, c.req.header("authorization"), { cookie: c.req.header("cookie") });
    } catch (error) {
      const { status, body } = errorToResponse(error, deps.logger, { path: c.req.path });
      return c.json(body, status as 400);
    }
    return streamSSE(c, async (stream) => {
      const queue: LiveEvent[] = [];
      let revoked: StreamRevocation | undefined;
      let closed = false;
      let wake: (() => void) | undefined;
      const unsubscribe = liveGuardFor(deps).subscribe(principal, {
        onEvent(event) {
          queue.push(event);
          wake?.();
        },
        onRevoked(reason) {
          revoked = reason;
          queue.length = 0;
          wake?.();
        },
      });
      stream.onAbort(() => {
        closed = true;
        unsubscribe();
        wake?.();
      });
      try {
        await stream.writeSSE({ event: "ready", data: JSON.stringify({ companyId }) });
        while (!closed && !revoked) {
          while (queue.length && !revoked && !closed) {
            const event = queue.shift()!;
            await stream.writeSSE({ event: event.type, data: JSON.stringify(event) });
          }
          if (closed || revoked) break;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, KEEPALIVE_MS);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
          if (!closed && !revoked && queue.length === 0) await stream.write(": keepalive\n\n");
        }
        if (revoked && !closed) await stream.writeSSE({ event: STREAM_CLOSED_EVENT, data: JSON.stringify({ companyId, reason: revoked }) });
      } finally {
        unsubscribe();
      }
    });
  });
}

/**
 * The path of an upgrade request's target, or undefined when it is not a usable target. Never
 * throws: the origin form is cut by hand, only the absolute form goes through the URL parser.
 */
function upgradePath(target: string | undefined): string | undefined {
  const raw = target ?? "/";
  if (raw.startsWith("/")) {
    const end = raw.search(/[?#]/);
    return end < 0 ? raw : raw.slice(0, end);
  }
  try {
    return new URL(raw).pathname;
  } catch {
    return undefined;
  }
}

/** Answers a refused upgrade with a JSON error on the raw socket and closes it. Never throws. */
function refuseUpgrade(socket: Duplex, status: number, body: Record<string, unknown>) {
  try {
    if (socket.destroyed || !socket.writable) {
      socket.destroy();
      return;
    }
    const text = JSON.stringify(body);
    socket.once("finish", () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\ncontent-type: application/json; charset=UTF-8\r\n` +
        `content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
    );
    setTimeout(() => socket.destroy(), 2_000).unref();
  } catch {
    socket.destroy();
  }
}

/**
 * WebSocket equivalent at /api/companies/:companyId/events/ws: each live event is one JSON text
 * message. Authentication and company scope are checked before the upgrade completes. A socket
 * whose credential stops being valid gets `{"type":"stream.closed","reason":…}` and close code 4401.
 *
 * The upgrade listener never throws and never leaves an exception to escape asynchronously: any
 * failure answers an HTTP error on the socket and destroys it.
 */
export function attachLiveWebSocket(server: Server, deps: LiveStreamDeps, _bus: LiveBus) {
  // Clients only listen; a message from them is never needed, so a large one is refused early.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sockets = new Set<WebSocket>();
  const guard = liveGuardFor(deps);

  const accept = (req: IncomingMessage, socket: Duplex, head: Buffer, principal: StreamPrincipal) => {
    if (socket.destroyed) return; // the client left while it was being authorized
    wss.handleUpgrade(req, socket, head, (ws) => {
      try {
        sockets.add(ws);
        ws.on("error", (error) => {
          deps.logger.debug("live websocket error", { err: error });
          ws.terminate();
        });
        const unsubscribe = guard.subscribe(principal, {
          onEvent(event) {
            if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
          },
          onRevoked(reason) {
            if (ws.readyState !== ws.OPEN) return;
            ws.send(JSON.stringify({ type: STREAM_CLOSED_EVENT, companyId: principal.companyId, reason }));
            ws.close(WS_CLOSE_REVOKED, reason);
          },
        });
        const ping = setInterval(() => {
          if (ws.readyState === ws.OPEN) ws.ping();
        }, KEEPALIVE_MS);
        ping.unref();
        ws.on("close", () => {
          clearInterval(ping);
          unsubscribe();
          sockets.delete(ws);
        });
        ws.send(JSON.stringify({ type: "ready", companyId: principal.companyId }));
      } catch (error) {
        deps.logger.error("live websocket setup failed", { err: error });
        ws.terminate();
      }
    });
  };

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node takes its own error listener off an upgraded socket: without this one, a client that
    // resets the connection during authorization would raise an uncaught 'error' event.
    socket.on("error", () => socket.destroy());
    try {
      const path = upgradePath(req.url);
      if (path === undefined) return refuseUpgrade(socket, 400, { error: "Malformed request target" });
      const match = WS_PATH_RE.exec(path);
      if (!match) return refuseUpgrade(socket, 404, { error: "API route not found" });
      let companyId: string;
      try {
        companyId = decodeURIComponent(match[1]!);
      } catch {
        return refuseUpgrade(socket, 400, { error: "Malformed percent-encoding in the company id" });
      }
      if (!isUuid(companyId)) return refuseUpgrade(socket, 404, { error: "Company not found" });
      authorize(deps, companyId, req.headers.authorization, {
        cookie: req.headers.cookie,
        origin: req.headers.origin,
        host: req.headers.host,
        websocket: true,
      })
        .then(
          (principal) => accept(req, socket, head, principal),
          (error: unknown) => {
            const { status, body } = errorToResponse(error, deps.logger, { path });
            refuseUpgrade(socket, status, body);
          },
        )
        .catch((error: unknown) => {
          deps.logger.error("websocket upgrade failed", { path, err: error });
          refuseUpgrade(socket, 500, { error: "Internal server error" });
        });
    } catch (error) {
      deps.logger.error("websocket upgrade failed", { err: error });
      refuseUpgrade(socket, 500, { error: "Internal server error" });
    }
  });
  return {
    close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
    },
  };
}
