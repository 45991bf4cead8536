import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { checkDestination, compileAllowList, type ApprovedDestination, type LookupAll } from "./outbound-guard.js";

/**
 * One HTTP(S) request the server makes on an agent's behalf, through the outbound guard.
 *
 * Invariants:
 * - Every hop (the first request and each redirect) is checked by `checkDestination` and connects to
 *   the address that check approved: the socket's lookup is replaced by one that returns only that
 *   address, so DNS cannot answer differently between the check and the connect. The URL's host name
 *   still goes out as Host header and TLS SNI, and certificates are verified against it.
 * - Redirects are followed by this code (never by the HTTP client), at most `maxRedirects` times.
 * - A redirect to another origin carries only the headers in CROSS_ORIGIN_SAFE_HEADERS: credentials
 *   configured for one host are never sent to a host that host names.
 * - No connection pooling: each hop opens its own socket, so a socket checked under one allow-list is
 *   never reused under another.
 */

export const DEFAULT_MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const CROSS_ORIGIN_SAFE_HEADERS = new Set(["accept", "accept-language", "user-agent"]);

export interface OutboundRequestOptions {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Allow-list entries (host[:port], address[:port] or CIDR) that may be reached although not public. */
  allow: readonly string[];
  maxRedirects?: number;
  /** Resolver override (tests). */
  lookup?: LookupAll;
  /** Called for each redirect followed, before the next hop is checked. */
  onRedirect?(status: number, from: URL, to: URL): void | Promise<void>;
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  url: URL;
  /** The response body stream; the caller reads or destroys it. */
  body: http.IncomingMessage;
}

export class OutboundRedirectError extends Error {
  readonly code = "outbound_redirect_invalid";
}

export async function outboundRequest(url: URL, options: OutboundRequestOptions): Promise<OutboundResponse> {
  const allow = compileAllowList(options.allow);
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  let current = url;
  let method = options.method;
  let headers = { ...options.headers };
  let body = options.body;
  for (let hop = 0; ; hop++) {
    options.signal?.throwIfAborted();
    const destination = await checkDestination(current, allow, options.lookup);
    const response = await send(current, destination, method, headers, body, options.signal);
    const location = response.headers.location;
    if (!REDIRECT_STATUSES.has(response.statusCode ?? 0) || !location) {
      return { status: response.statusCode ?? 0, headers: response.headers, url: current, body: response };
    }
    response.destroy();
    if (hop >= maxRedirects) throw new OutboundRedirectError(`more than ${maxRedirects} redirects (last: ${current.href} -> ${location})`);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new OutboundRedirectError(`redirect from ${current.href} to an invalid location: ${JSON.stringify(location)}`);
    }
    const status = response.statusCode ?? 0;
    // As browsers and fetch do: 303, and 301/302 after POST, continue as a GET without a body.
    if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
      if (method !== "HEAD") method = "GET";
      body = undefined;
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !/^content-/i.test(name)));
    }
    if (next.origin !== current.origin) {
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => CROSS_ORIGIN_SAFE_HEADERS.has(name.toLowerCase())));
    }
    await options.onRedirect?.(status, current, next);
    current = next;
  }
}

/** A lookup that only ever answers with the approved address, in whichever shape the caller asks for. */
function pinnedLookup(destination: ApprovedDestination): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: destination.address, family: destination.family }]);
    else callback(null, destination.address, destination.family);
  }) as LookupFunction;
}

function send(
  url: URL,
  destination: ApprovedDestination,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal | undefined,
): Promise<http.IncomingMessage> {
  const outgoing: Record<string, string> = { ...headers };
  if (body !== undefined) outgoing["content-length"] = String(Buffer.byteLength(body));
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request({
      protocol: url.protocol,
      hostname: destination.hostname,
      port: destination.port,
      path: `${url.pathname}${url.search}`,
      method,
      headers: outgoing,
      agent: false,
      lookup: pinnedLookup(destination),
      signal,
    });
    request.once("error", reject);
    request.once("response", (response) => {
      // After the response arrived, an abort must still stop the body download.
      if (signal) {
        const stop = () => response.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
        signal.addEventListener("abort", stop, { once: true });
        response.once("close", () => signal.removeEventListener("abort", stop));
      }
      resolve(response);
    });
    request.end(body);
  });
}
