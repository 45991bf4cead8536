/**
 * Requests started by index.html before the board's scripts have loaded: on a cold load, the
 * landing page's first reads (the company list, and on a company page its agents and the page's
 * own data) go out while the scripts download and compile, instead of after. index.html keeps the
 * responses in `window.__stapleEarly` by the URL the board's client would ask for; the client
 * (api/client.ts) takes a matching GET from there once, and only shortly after the page loaded,
 * so a later read always goes to the server. Nothing else changes: a 401 or an error answer
 * reaches the client as it would have, and a request index.html did not make (another view, a
 * newer read) simply goes out as usual.
 */

/** Early answers older than this (since index.html ran) are not used: they go to the server again. */
export const EARLY_RESPONSE_MAX_AGE_MS = 10_000;

interface EarlyRequests {
  at: number;
  responses: Record<string, Promise<Response> | undefined>;
}

declare global {
  interface Window {
    __stapleEarly?: EarlyRequests;
  }
}

/** The early answer to this request, if index.html asked the very same GET a moment ago; each is taken once. */
export function takeEarlyResponse(request: Request, now = Date.now()): Promise<Response> | undefined {
  const early = typeof window === "undefined" ? undefined : window.__stapleEarly;
  if (!early || request.method !== "GET") return undefined;
  if (now - early.at > EARLY_RESPONSE_MAX_AGE_MS) {
    window.__stapleEarly = undefined;
    return undefined;
  }
  const url = new URL(request.url);
  if (url.origin !== window.location.origin) return undefined;
  const key = url.pathname + url.search;
  const response = early.responses[key];
  if (!response) return undefined;
  delete early.responses[key];
  return response;
}
