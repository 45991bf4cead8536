import { QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach } from "vitest";
import { MemoryRouter } from "react-router";
import { createBoardClient } from "../../src/api/client.js";
import { ApiProvider } from "../../src/api/context.js";
import type { Agent, Company } from "../../src/api/types.js";
import { Board } from "../../src/app.js";
import { CompanyContext } from "../../src/lib/company-context.js";
import { createQueryClient } from "../../src/lib/query-client.js";

afterEach(cleanup);
// jsdom does not scroll; the board scrolls to the top on each new page.
window.scrollTo = (() => {}) as typeof window.scrollTo;

export type FakeAnswer = { status?: number; body: unknown };
/** Answers by "METHOD /path" (no query string); anything else is a 404 like the server's. */
export type FakeRoutes = Record<string, FakeAnswer | ((url: URL) => FakeAnswer)>;

/** A request the fake API received: method, URL and body (JSON parsed, multipart as FormData). */
export interface FakeCall {
  method: string;
  url: URL;
  body: unknown;
}

export interface FakeApi {
  client: ReturnType<typeof createBoardClient>;
  requests: URL[];
  calls: FakeCall[];
  /** The calls of one "METHOD /path". */
  callsTo(route: string): FakeCall[];
}

/** The board's real client over a fake fetch: every call goes through the generated client and its 401 hook. */
export function fakeApi(routes: FakeRoutes): FakeApi {
  const requests: URL[] = [];
  const calls: FakeCall[] = [];
  const client = createBoardClient({
    baseUrl: "http://board.test",
    fetch: async (request) => {
      const url = new URL(request.url);
      requests.push(url);
      calls.push({ method: request.method, url, body: await readBody(request) });
      const route = routes[`${request.method} ${url.pathname}`];
      const answer = typeof route === "function" ? route(url) : (route ?? { status: 404, body: { error: "API route not found" } });
      return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200, headers: { "content-type": "application/json" } });
    },
  });
  return { client, requests, calls, callsTo: (route) => calls.filter((c) => `${c.method} ${c.url.pathname}` === route) };
}

async function readBody(request: Request): Promise<unknown> {
  if (request.method === "GET" || request.method === "HEAD") return undefined;
  const type = request.headers.get("content-type") ?? "";
  if (type.startsWith("multipart/form-data")) return request.formData();
  const text = await request.text();
  return text ? JSON.parse(text) : undefined;
}

export const testCompany = {
  id: "co1",
  name: "Acme Robotics",
  status: "active",
  description: null,
  spentMonthlyCents: 0,
  budgetMonthlyCents: 0,
} as unknown as Company;
export const testAgents = [{ id: "ag1", name: "Script Bot", status: "idle" }] as unknown as Agent[];

/** Renders one component inside a company (context, API client, query cache, router), without the board's routes. */
export function renderInCompany(ui: ReactNode, api: FakeApi, agents: Agent[] = testAgents) {
  const queryClient = createQueryClient();
  const byId = new Map(agents.map((a) => [a.id, a]));
  const ctx = {
    company: testCompany,
    companies: [testCompany],
    agents,
    agentName: (id: string | null | undefined) => (id ? (byId.get(id)?.name ?? "Unknown agent") : "Unassigned"),
    base: `/c/${testCompany.id}`,
  };
  return {
    queryClient,
    ...render(
      <MemoryRouter>
        <ApiProvider client={api.client}>
          <QueryClientProvider client={queryClient}>
            <CompanyContext.Provider value={ctx}>{ui}</CompanyContext.Provider>
          </QueryClientProvider>
        </ApiProvider>
      </MemoryRouter>,
    ),
  };
}

/** Renders the whole board (routes, query cache, providers) at `path` with a fake API. */
export function renderBoard(path: string, api: FakeApi) {
  const queryClient = createQueryClient();
  return {
    queryClient,
    ...render(
      <MemoryRouter initialEntries={[path]}>
        <Board queryClient={queryClient} client={api.client} />
      </MemoryRouter>,
    ),
  };
}
