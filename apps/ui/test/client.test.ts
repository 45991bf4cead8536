import { describe, expect, it } from "vitest";
import { ApiError, apiUrl, createClient, describeError } from "../src/api/client.js";

describe("apiUrl", () => {
  it("encodes path segments and drops empty query values", () => {
    expect(apiUrl(["issues", "ACM-1", "comments"])).toBe("/api/issues/ACM-1/comments");
    expect(apiUrl(["issues", "a/b c"])).toBe("/api/issues/a%2Fb%20c");
    expect(apiUrl(["companies", "x", "issues"], { status: ["todo", "blocked"], q: "", limit: 100, assigneeAgentId: undefined, offset: null })).toBe(
      "/api/companies/x/issues?status=todo%2Cblocked&limit=100",
    );
    expect(apiUrl(["companies", "x", "issues"], { status: [] })).toBe("/api/companies/x/issues");
    expect(apiUrl(["heartbeat-runs", "r", "log"], { offset: 0 })).toBe("/api/heartbeat-runs/r/log?offset=0");
  });
});

describe("client", () => {
  it("sends JSON and parses answers; errors become ApiError with the server's message", async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    const client = createClient(async (url, init) => {
      calls.push({ url, init });
      if (url.endsWith("/comments")) return new Response(JSON.stringify({ error: "Validation failed", details: [{ path: ["body"], message: "Too small" }] }), { status: 400 });
      return new Response(JSON.stringify({ id: "c1", name: "Acme" }), { status: 201 });
    }, "http://x");
    const company = await client.companies.create({ name: "Acme" });
    expect(company.name).toBe("Acme");
    expect(calls[0]!.url).toBe("http://x/api/companies");
    expect(calls[0]!.init?.method).toBe("POST");
    expect(JSON.parse(String(calls[0]!.init?.body))).toEqual({ name: "Acme" });
    const err = await client.issues.comment("ACM-1", "").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect(describeError(err)).toBe("Validation failed (body: Too small)");
  });

  it("builds the wake, cancel and event-stream addresses", async () => {
    const urls: string[] = [];
    const client = createClient(async (url) => {
      urls.push(url);
      return new Response("{}", { status: 200 });
    });
    await client.agents.wakeup("a1");
    await client.runs.cancel("r1");
    await client.agents.testEnvironment("c1", "process", { command: "/bin/sh" });
    expect(urls).toEqual(["/api/agents/a1/wakeup", "/api/heartbeat-runs/r1/cancel", "/api/companies/c1/adapters/process/test-environment"]);
    expect(client.eventsUrl("c1")).toBe("/api/companies/c1/events");
  });
});

describe("client: locks, documents, keys", () => {
  it("uses the force-release, document and key routes with the right methods and bodies", async () => {
    const calls: { url: string; method?: string; body?: unknown }[] = [];
    const client = createClient(async (url, init) => {
      calls.push({ url, method: init?.method, body: init?.body ? JSON.parse(String(init.body)) : undefined });
      if (init?.method === "POST" && url.endsWith("/force-release")) return new Response(JSON.stringify({ error: "Issue not found" }), { status: 404 });
      return new Response("{}", { status: 200 });
    });
    const err = await client.issues.forceRelease("ACM-1").catch((e: unknown) => e);
    expect(describeError(err)).toBe("Issue not found");
    await client.issues.forceRelease("ACM-1", true).catch(() => {});
    await client.issues.putDocument("ACM-1", "plan", { body: "x", baseRevisionId: null });
    await client.agents.createKey("a1", "ci");
    await client.agents.revokeKey("a1", "k1");
    await client.issues.list("c1", { parentId: "p1" });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "POST /api/issues/ACM-1/admin/force-release",
      "POST /api/issues/ACM-1/admin/force-release?clearAssignee=true",
      "PUT /api/issues/ACM-1/documents/plan",
      "POST /api/agents/a1/keys",
      "DELETE /api/agents/a1/keys/k1",
      "GET /api/companies/c1/issues?parentId=p1",
    ]);
    expect(calls[2]!.body).toEqual({ body: "x", baseRevisionId: null });
    expect(calls[3]!.body).toEqual({ name: "ci" });
  });
});

describe("board session", () => {
  it("sends the session cookie (same-origin credentials, never omitted) and reports a 401 as signed out", async () => {
    const inits: RequestInit[] = [];
    let unauthorized = 0;
    const client = createClient(
      async (url, init) => {
        inits.push(init ?? {});
        if (url.endsWith("/companies")) return new Response(JSON.stringify({ error: "Authentication required", code: "authentication_required" }), { status: 401 });
        return new Response(JSON.stringify({ ok: true }), { status: 200 });
      },
      "",
      () => unauthorized++,
    );
    const err = await client.companies.list().catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(401);
    expect(unauthorized).toBe(1);
    await client.board.signOut();
    expect(unauthorized).toBe(1); // a 200 is not a sign-out
    expect(inits.every((i) => i.credentials === "same-origin")).toBe(true);
    expect(inits[1]!.method).toBe("POST");
  });

  it("the default client flips the shared signed-out state on a 401", async () => {
    const { isSignedOut } = await import("../src/lib/auth.js");
    const client = createClient(async () => new Response("{}", { status: 401 }));
    expect(isSignedOut()).toBe(false);
    await client.agents.get("a").catch(() => {});
    expect(isSignedOut()).toBe(true);
  });
});
