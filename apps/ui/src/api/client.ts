import { ApiError, createStapleClient, describeError, unwrap, type StapleClient } from "@staple/api-client";
import { reportSignedOut } from "../lib/auth.js";
import { takeEarlyResponse } from "../lib/early-requests.js";
import type { EnvironmentResult } from "./types.js";

export { ApiError, describeError, unwrap, type StapleClient };

/**
 * The board's client of the generated API (@staple/api-client). It talks to the page's own origin,
 * where fetch sends the board's HTTP-only session cookie by itself (credentials "same-origin"), and
 * writes carry the browser's Origin header, which the server checks for cookie-authenticated
 * writes. Any 401 replaces the board with the sign-in screen (lib/auth.ts).
 */
export function createBoardClient(options: { baseUrl?: string; fetch?: (request: Request) => Promise<Response> } = {}): StapleClient {
  return createStapleClient({
    baseUrl: options.baseUrl ?? window.location.origin,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    onUnauthorized: reportSignedOut,
  });
}

let defaultClient: StapleClient | undefined;
/**
 * The client of the running board (created on first use; components get it through ApiProvider).
 * Its first reads may be answered by the requests index.html started (lib/early-requests.ts).
 */
export function boardClient(): StapleClient {
  return (defaultClient ??= createBoardClient({ fetch: (request) => takeEarlyResponse(request) ?? fetch(request) }));
}

/** Address of the company's server-sent event stream (EventSource sends the session cookie: same origin). */
export function eventsUrl(companyId: string): string {
  return `/api/companies/${encodeURIComponent(companyId)}/events`;
}

/** The calls of the agent form (components/adapter-form.tsx), on the generated client. */
export const api = {
  agents: {
    testEnvironment: (companyId: string, adapterType: string, adapterConfig: Record<string, unknown>): Promise<EnvironmentResult> =>
      unwrap(
        boardClient().POST("/api/companies/{companyId}/adapters/{type}/test-environment", {
          params: { path: { companyId, type: adapterType } },
          body: { adapterConfig },
        }),
      ),
    models: (companyId: string, adapterType: string) =>
      unwrap(
        boardClient().GET("/api/companies/{companyId}/adapters/{type}/models", { params: { path: { companyId, type: adapterType } } }),
      ),
  },
};
