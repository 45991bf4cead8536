import { cleanup, render } from "@testing-library/react";
import { afterEach } from "vitest";
import { MemoryRouter } from "react-router";
import { createBoardClient } from "../../src/api/client.js";
import { Board } from "../../src/app.js";
import { createQueryClient } from "../../src/lib/query-client.js";

afterEach(cleanup);
// jsdom does not scroll; the board scrolls to the top on each new page.
window.scrollTo = (() => {}) as typeof window.scrollTo;

export type FakeAnswer = { status?: number; body: unknown };
/** Answers by "METHOD /path" (no query string); anything else is a 404 like the server's. */
export type FakeRoutes = Record<string, FakeAnswer | ((url: URL) => FakeAnswer)>;

export interface FakeApi {
  client: ReturnType<typeof createBoardClient>;
  requests: URL[];
}

/** The board's real client over a fake fetch: every call goes through the generated client and its 401 hook. */
export function fakeApi(routes: FakeRoutes): FakeApi {
  const requests: URL[] = [];
  const client = createBoardClient({
    baseUrl: "http://board.test",
    fetch: async (request) => {
      const url = new URL(request.url);
      requests.push(url);
      const route = routes[`${request.method} ${url.pathname}`];
      const answer = typeof route === "function" ? route(url) : (route ?? { status: 404, body: { error: "API route not found" } });
      return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200, headers: { "content-type": "application/json" } });
    },
  });
  return { client, requests };
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
