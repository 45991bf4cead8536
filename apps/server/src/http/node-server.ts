import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { getRequestListener, RequestError } from "@hono/node-server";
import type { Logger } from "../logger.js";
import { attachLiveWebSocket, type LiveStreamDeps } from "./live-stream.js";

type FetchHandler = Parameters<typeof getRequestListener>[0];

/** How long a socket refused by the HTTP parser is read (and discarded) before it is destroyed. */
const CLIENT_ERROR_LINGER_MS = 1_000;

/**
 * The Node HTTP server around the app. What it adds to a bare adaptor server:
 * - errors of Node's HTTP parser (oversized headers or URL, malformed request line, a backslash in
 *   the path…) are answered with JSON `{error}` like every other error, instead of an empty body
 *   or a reset;
 * - the request and upgrade listeners are guarded: an exception that escapes them is logged with
 *   its stack and answered 500 (or the socket is destroyed); it can never become an uncaught
 *   exception that ends the process;
 * - the live WebSocket endpoint is attached.
 */
export function createHttpServer(fetch: FetchHandler, deps: LiveStreamDeps) {
  const { logger } = deps;
  const listener = getRequestListener(fetch, {
    // Requests the adapter cannot turn into a Request (a backslash in the path, a bad Host header)
    // and anything that escapes the app are answered as JSON like every other error.
    errorHandler(error) {
      if (error instanceof RequestError) return Response.json({ error: `Bad request: ${error.message}` }, { status: 400 });
      logger.error("request failed outside the app", { err: error });
      return Response.json({ error: "Internal server error" }, { status: 500 });
    },
  });
  const server = createServer((req, res) => {
    try {
      listener(req, res).catch((error: unknown) => failRequest(logger, req, res, error));
    } catch (error) {
      failRequest(logger, req, res, error);
    }
  });
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket));
  const liveWs = attachLiveWebSocket(server, deps, deps.services.live);
  guardUpgradeListeners(server, logger);
  return { server, liveWs };
}

function failRequest(logger: Logger, req: IncomingMessage, res: ServerResponse, error: unknown) {
  logger.error("request listener failed", { method: req.method, path: req.url, err: error });
  try {
    if (!res.headersSent) {
      res.writeHead(500, { "content-type": "application/json; charset=UTF-8", connection: "close" });
      res.end(JSON.stringify({ error: "Internal server error" }));
    } else {
      res.destroy();
    }
  } catch {
    res.destroy();
  }
}

/** Wraps every 'upgrade' listener so a synchronous throw destroys that socket, not the process. */
function guardUpgradeListeners(server: Server, logger: Logger) {
  for (const listener of server.listeners("upgrade") as ((req: IncomingMessage, socket: Duplex, head: Buffer) => unknown)[]) {
    server.off("upgrade", listener);
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        const result = listener.call(server, req, socket, head);
        if (result instanceof Promise) {
          result.catch((error: unknown) => {
            logger.error("upgrade listener failed", { path: req.url, err: error });
            socket.destroy();
          });
        }
      } catch (error) {
        logger.error("upgrade listener failed", { path: req.url, err: error });
        socket.destroy();
      }
    });
  }
}

function clientErrorStatus(code: string | undefined): number {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return 431;
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return 408;
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return 413;
    default:
      return 400;
  }
}

const CLIENT_ERROR_MESSAGES: Record<number, string> = {
  400: "Bad request",
  408: "Request timeout",
  413: "Request chunk extensions too large",
  431: "Request header fields too large",
};

/**
 * Answers a request Node's parser refused. Where a response is already under way, or the socket can
 * no longer be written, it is only destroyed. After the answer the socket is read (and discarded)
 * for a moment before it closes, so the client is not reset while it is still sending and gets to
 * read the answer.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex) {
  try {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || socket.writableEnded || inFlight?.headersSent) {
      if (!socket.writableEnded) socket.destroy();
      return;
    }
    const status = clientErrorStatus(error.code);
    const body = JSON.stringify({ error: CLIENT_ERROR_MESSAGES[status] });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=UTF-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    socket.on("data", () => {});
    socket.resume();
    setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
  } catch {
    socket.destroy();
  }
}
