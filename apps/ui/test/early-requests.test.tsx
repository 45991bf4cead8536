// @vitest-environment jsdom
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { createBoardClient } from "../src/api/client.js";
import { prefetchForLocation } from "../src/lib/boot-prefetch.js";
import { pageChunks } from "../src/lib/page-chunks.js";
import { EARLY_RESPONSE_MAX_AGE_MS, takeEarlyResponse } from "../src/lib/early-requests.js";
import { createQueryClient } from "../src/lib/query-client.js";
import { fakeApi } from "./helpers/board.js";

/**
 * index.html's boot script starts the landing page's first reads before the board's scripts have
 * loaded; the board's client takes those answers over. Its requests must be the very ones the
 * board makes at boot (lib/boot-prefetch.ts), or they would be wasted.
 */

const html = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../index.html"), "utf8");
const bootScript = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
// A real uuid: the boot script only acts on company ids made of letters, digits and dashes.
const co = "7fa09012-83ab-4696-97ad-90aa00000001";

/** The URLs (path and query) index.html's script asks for at this address. */
function earlyRequests(address: string): string[] {
  window.history.replaceState(null, "", address);
  const asked: string[] = [];
  const fetch = vi.fn((url: string) => {
    asked.push(url);
    return Promise.resolve(new Response("[]"));
  });
  vi.stubGlobal("fetch", fetch);
  try {
    new Function(bootScript)();
  } finally {
    vi.unstubAllGlobals();
    window.__stapleEarly = undefined;
  }
  return asked;
}

/** The URLs (path and query) the board's boot prefetch asks for at this address. */
async function bootRequests(address: string): Promise<string[]> {
  const url = new URL(address, "http://board.test");
  const fake = fakeApi({});
  prefetchForLocation(createQueryClient(), fake.client, { pathname: url.pathname, search: url.search });
  await new Promise((r) => setTimeout(r, 0));
  return fake.requests.map((u) => u.pathname + u.search);
}

// The boot prefetch starts loading the page modules: let them finish before the environment goes.
afterAll(() => Promise.all(Object.values(pageChunks).map((load) => load())));

afterEach(() => {
  window.__stapleEarly = undefined;
  for (const link of document.head.querySelectorAll('link[rel="modulepreload"]')) link.remove();
});

describe("index.html's early requests", () => {
  it.each([
    `/c/${co}/issues`,
    `/c/${co}/issues/`,
    `/c/${co}/issues?q=login&sort=title&group=status&priority=high&page=2`,
    `/c/${co}/issues?status=all`,
    `/c/${co}/issues?assignee=ag1`,
    `/c/${co}`,
    `/c/${co}/inbox`,
    `/c/${co}/issues/ACM-1`,
    `/c/${co}/issues/new`,
    `/c/${co}/agents`,
    "/",
    "/onboarding",
  ])("at %s asks only for what the board asks for at boot", async (address) => {
    const early = earlyRequests(address);
    const boot = await bootRequests(address);
    expect(early.length).toBeGreaterThan(0);
    for (const url of early) expect(boot, url).toContain(url);
  });

  it("asks for the default issue list, the shell's and the page's reads on the issues page", async () => {
    const address = `/c/${co}/issues`;
    expect(earlyRequests(address).sort()).toEqual((await bootRequests(address)).sort());
    expect(earlyRequests(`/c/${co}`).sort()).toEqual((await bootRequests(`/c/${co}`)).sort());
  });
});

describe("takeEarlyResponse", () => {
  const origin = window.location.origin;
  const get = (p: string, method = "GET") => new Request(origin + p, { method });

  it("answers a GET index.html asked for, once, and leaves everything else to the network", async () => {
    const early = new Response(JSON.stringify([{ id: "co1" }]), { headers: { "content-type": "application/json" } });
    window.__stapleEarly = { at: Date.now(), responses: { "/api/companies": Promise.resolve(early) } };
    const network = vi.fn(async () => new Response(JSON.stringify([{ id: "co2" }]), { headers: { "content-type": "application/json" } }));
    const client = createBoardClient({ baseUrl: origin, fetch: (request) => takeEarlyResponse(request) ?? network() });
    expect((await client.GET("/api/companies")).data).toEqual([{ id: "co1" }]);
    expect(network).not.toHaveBeenCalled();
    expect((await client.GET("/api/companies")).data).toEqual([{ id: "co2" }]);
    expect(network).toHaveBeenCalledTimes(1);
  });

  it("does not answer other methods, other queries, or after the answers are too old", () => {
    const response = Promise.resolve(new Response("[]"));
    window.__stapleEarly = { at: Date.now(), responses: { "/api/companies": response } };
    expect(takeEarlyResponse(get("/api/companies", "POST"))).toBeUndefined();
    expect(takeEarlyResponse(get("/api/companies?x=1"))).toBeUndefined();
    expect(takeEarlyResponse(get("/api/companies"), Date.now() + EARLY_RESPONSE_MAX_AGE_MS + 1)).toBeUndefined();
    expect(window.__stapleEarly).toBeUndefined();
  });
});
