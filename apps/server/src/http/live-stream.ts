import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { streamSSE } from "hono/streaming";
import type { Hono } from "hono";
import { WebSocketServer, type WebSocket } from "ws";
import { isUuid } from "@staple/contracts";
import { assertCompanyAccess } from "../auth/access.js";
import type { Authenticate } from "../auth/authenticate.js";
import type { LiveBus, LiveEvent } from "../live/bus.js";
import type { Logger } from "../logger.js";
import type { Services } from "../services.js";
import { errorToResponse } from "./error-funnel.js";

const SSE_PATH = "/api/companies/:companyId/events";
const WS_PATH_RE = /^\/api\/companies\/([^/]+)\/events\/ws$/;
/** Keeps idle connections (and the proxies between) alive. */
const KEEPALIVE_MS = 15_000;

export interface LiveStreamDeps {
  services: Services;
  authenticate: Authenticate;
  logger: Logger;
}

async function authorize(deps: LiveStreamDeps, companyId: string, authorization: string | undefined) {
  const actor = await deps.authenticate({ authorization, runIdHeader: undefined });
  assertCompanyAccess(actor, companyId);
  await deps.services.companies.require(companyId);
  return actor;
}

/** Server-sent events: `event: <type>` / `data: <json>` for every live event of the company. */
export function mountLiveSse(app: Hono, deps: LiveStreamDeps) {
  app.get(SSE_PATH, async (c) => {
    const companyId = c.req.param("companyId");
    try {
      await authorize(deps, companyId, c.req.header("authorization"));
    } catch (error) {
      const { status, body } = errorToResponse(error, deps.logger, { path: c.req.path });
      return c.json(body, status as 400);
    }
    return streamSSE(c, async (stream) => {
      const queue: LiveEvent[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = deps.services.live.subscribe(companyId, (event) => {
        queue.push(event);
        wake?.();
      });
      let closed = false;
      stream.onAbort(() => {
        closed = true;
        unsubscribe();
        wake?.();
      });
      await stream.writeSSE({ event: "ready", data: JSON.stringify({ companyId }) });
      while (!closed) {
        while (queue.length) {
          const event = queue.shift()!;
          await stream.writeSSE({ event: event.type, data: JSON.stringify(event) });
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, KEEPALIVE_MS).unref();
        });
        wake = undefined;
        if (!closed && queue.length === 0) await stream.write(": keepalive\n\n");
      }
    });
  });
}

/**
 * WebSocket equivalent at /api/companies/:companyId/events/ws: each live event is one JSON text
 * message. Authentication and company scope are checked before the upgrade completes.
 */
export function attachLiveWebSocket(server: Server, deps: LiveStreamDeps, bus: LiveBus) {
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<WebSocket>();
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const match = WS_PATH_RE.exec(new URL(req.url ?? "/", "http://localhost").pathname);
    if (!match) {
      socket.destroy();
      return;
    }
    const companyId = decodeURIComponent(match[1]!);
    const refuse = (status: number, message: string) => {
      socket.write(`HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : status === 403 ? "Forbidden" : "Not Found"}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify({ error: message })}`);
      socket.destroy();
    };
    if (!isUuid(companyId)) return refuse(404, "Company not found");
    authorize(deps, companyId, req.headers.authorization)
      .then(() => {
        wss.handleUpgrade(req, socket, head, (ws) => {
          sockets.add(ws);
          const unsubscribe = bus.subscribe(companyId, (event) => {
            if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
          });
          const ping = setInterval(() => ws.ping(), KEEPALIVE_MS);
          ping.unref();
          ws.on("close", () => {
            clearInterval(ping);
            unsubscribe();
            sockets.delete(ws);
          });
          ws.send(JSON.stringify({ type: "ready", companyId }));
        });
      })
      .catch((error: unknown) => {
        const { status, body } = errorToResponse(error, deps.logger, { path: req.url });
        refuse(status, String(body.error));
      });
  });
  return {
    close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
    },
  };
}
