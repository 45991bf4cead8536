import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { buildApp } from "../src/server.js";
import { createAgent, createAgentKey, createCompany } from "./helpers/fixtures.js";
import { createTestApp, TEST_JWT_SECRET, useTestApp } from "./helpers/test-app.js";
import { useTestServer, waitFor } from "./helpers/test-server.js";

/**
 * Closed by default: a request is the board only with a board credential (the token file's key,
 * another board API key, or a session cookie from a one-time login link).
 */
const t = useTestApp();

async function loginLink(): Promise<string> {
  const res = await t.current.post("/api/board/login-links");
  expect(res.status).toBe(201);
  expect(res.body.url).toMatch(/\/api\/board\/login\?code=[A-Za-z0-9_-]{20,}$/);
  return new URL(res.body.url).search;
}

async function redeem(search: string) {
  const res = await t.current.app.request(`/api/board/login${search}`, { headers: { "user-agent": "test-browser" } });
  return { status: res.status, location: res.headers.get("location"), cookie: res.headers.get("set-cookie"), text: await res.text() };
}

async function sessionCookie(): Promise<string> {
  const res = await redeem(await loginLink());
  expect(res.status).toBe(303);
  return /staple_session=[0-9a-f]+/.exec(res.cookie ?? "")![0];
}

describe("the board token file", () => {
  it("is written under STAPLE_HOME with mode 0600 and holds a working board key", async () => {
    const file = path.join(t.current.home, "board-token");
    const token = fs.readFileSync(file, "utf8").trim();
    expect(token).toMatch(/^stb_[0-9a-f]{48}$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const res = await t.current.get("/api/auth/get-session", { token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user: { id: "local-board" }, session: { source: "board_key" } });
  });

  it("is reused when the same home opens the same database again, and replaced once revoked", async () => {
    const again = await buildApp(
      t.current.tdb.db,
      { deploymentMode: "local_trusted", agentJwtSecret: TEST_JWT_SECRET, home: t.current.home },
      createLogger("silent"),
    );
    expect(again.boardToken).toBe(t.current.boardToken);
    const keys = await t.current.get("/api/board-api-keys");
    const fileKey = keys.body.find((k: { name: string; revokedAt: string | null }) => k.name === "token file" && k.revokedAt === null);
    // A second home gets its own key (several servers on one Postgres each keep a file).
    const otherHome = fs.mkdtempSync(path.join(path.dirname(t.current.home), "staple-other-home-"));
    const other = await buildApp(
      t.current.tdb.db,
      { deploymentMode: "local_trusted", agentJwtSecret: TEST_JWT_SECRET, home: otherHome },
      createLogger("silent"),
    );
    expect(other.boardToken).not.toBe(t.current.boardToken);
    // Revoke the other home's key: its file is rewritten with a fresh one on the next start.
    const otherKey = (await t.current.get("/api/board-api-keys")).body.find(
      (k: { id: string; name: string; revokedAt: string | null }) => k.name === "token file" && k.revokedAt === null && k.id !== fileKey.id,
    );
    expect((await t.current.del(`/api/board-api-keys/${otherKey.id}`)).status).toBe(200);
    expect((await t.current.get("/api/companies", { token: other.boardToken })).status).toBe(401);
    const reopened = await buildApp(
      t.current.tdb.db,
      { deploymentMode: "local_trusted", agentJwtSecret: TEST_JWT_SECRET, home: otherHome },
      createLogger("silent"),
    );
    expect(reopened.boardToken).not.toBe(other.boardToken);
    expect((await t.current.get("/api/companies", { token: reopened.boardToken })).status).toBe(200);
  });
});

describe("no credential", () => {
  it("is a 401 on every non-public route, with the way in named", async () => {
    for (const [method, url] of [
      ["GET", "/api/companies"],
      ["POST", "/api/companies"],
      ["GET", "/api/board-api-keys"],
      ["POST", "/api/board/login-links"],
    ] as const) {
      const res = await t.current.call(method, url, { anonymous: true, body: method === "POST" ? { name: "x" } : undefined });
      expect(res.status, `${method} ${url}`).toBe(401);
      expect(res.body).toMatchObject({ code: "authentication_required" });
    }
  });

  it("public routes still answer: health and the OpenAPI document", async () => {
    expect((await t.current.get("/api/health", { anonymous: true })).status).toBe(200);
    expect((await t.current.get("/api/openapi.json", { anonymous: true })).status).toBe(200);
  });

  it("STAPLE_UNAUTHENTICATED_BOARD restores Paperclip's local behaviour", async () => {
    const open = await createTestApp({ unauthenticatedBoard: true });
    try {
      const res = await open.get("/api/companies", { anonymous: true });
      expect(res.status).toBe(200);
      // A bad token is still a 401: the switch only concerns requests with no credential at all.
      expect((await open.get("/api/companies", { token: `stb_${"0".repeat(48)}` })).status).toBe(401);
    } finally {
      await open.tdb.drop();
    }
  });
});

describe("board API keys", () => {
  it("are created (token shown once), listed without secrets, and stop working when revoked", async () => {
    const created = await t.current.post("/api/board-api-keys", { name: "laptop" });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^stb_[0-9a-f]{48}$/);
    const token = created.body.token as string;
    expect((await t.current.get("/api/companies", { token })).status).toBe(200);
    const list = await t.current.get("/api/board-api-keys");
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(list.body.find((k: { id: string }) => k.id === created.body.id)).toMatchObject({ name: "laptop", revokedAt: null });
    expect((await t.current.del(`/api/board-api-keys/${created.body.id}`)).status).toBe(200);
    const after = await t.current.get("/api/companies", { token });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe("invalid_board_key");
  });

  it("an expired key is refused; bad bodies and ids are 4xx", async () => {
    const created = await t.current.post("/api/board-api-keys", { name: "short", expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(created.status).toBe(201);
    expect((await t.current.get("/api/companies", { token: created.body.token })).status).toBe(401);
    expect((await t.current.post("/api/board-api-keys", { name: "" })).status).toBe(400);
    expect((await t.current.post("/api/board-api-keys", { name: "x", admin: true })).status).toBe(400);
    expect((await t.current.del("/api/board-api-keys/not-a-uuid")).status).toBe(404);
    expect((await t.current.del("/api/board-api-keys/6f1c1a7e-0000-4000-8000-0000000000bb")).status).toBe(404);
  });

  it("agents cannot manage board keys or mint login links", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const { token } = await createAgentKey(t.current, agent.id);
    expect((await t.current.get("/api/board-api-keys", { token })).status).toBe(403);
    expect((await t.current.post("/api/board-api-keys", { name: "steal" }, { token })).status).toBe(403);
    expect((await t.current.post("/api/board/login-links", undefined, { token })).status).toBe(403);
  });
});

describe("one-time login links and the session cookie", () => {
  it("a link sets an HTTP-only SameSite=Strict cookie, redirects to the board, and works once", async () => {
    const search = await loginLink();
    const first = await redeem(search);
    expect(first.status).toBe(303);
    expect(first.location).toBe("/");
    expect(first.cookie).toMatch(/staple_session=[0-9a-f]{64}/);
    expect(first.cookie).toMatch(/HttpOnly/i);
    expect(first.cookie).toMatch(/SameSite=Strict/i);
    const second = await redeem(search);
    expect(second.status).toBe(401);
    expect(second.text).toContain("npx staple board");
    expect((await redeem("?code=made-up-code")).status).toBe(401);
    expect((await t.current.get("/api/board/login", { anonymous: true })).status).toBe(400);
  });

  it("the cookie authenticates reads; writes need this origin (CSRF)", async () => {
    const cookie = await sessionCookie();
    const me = await t.current.get("/api/auth/get-session", { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(me.body.session.source).toBe("session");

    const host = "127.0.0.1:3100";
    const noOrigin = await t.current.post("/api/companies", { name: "No origin" }, { headers: { cookie, host } });
    expect(noOrigin.status).toBe(403);
    expect(noOrigin.body.code).toBe("csrf_rejected");
    const crossSite = await t.current.post(
      "/api/companies",
      { name: "Evil" },
      { headers: { cookie, host, origin: "http://evil.example" } },
    );
    expect(crossSite.status).toBe(403);
    const fetchSite = await t.current.post(
      "/api/companies",
      { name: "Evil 2" },
      { headers: { cookie, host, origin: `http://${host}`, "sec-fetch-site": "cross-site" } },
    );
    expect(fetchSite.status).toBe(403);
    const same = await t.current.post("/api/companies", { name: "Same origin" }, { headers: { cookie, host, origin: `http://${host}` } });
    expect(same.status).toBe(201);
  });

  it("signing out ends the session", async () => {
    const cookie = await sessionCookie();
    const host = "127.0.0.1:3100";
    const out = await t.current.post("/api/board/logout", undefined, { headers: { cookie, host, origin: `http://${host}` } });
    expect(out.status).toBe(200);
    const after = await t.current.get("/api/companies", { headers: { cookie } });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe("session_invalid");
  });
});

describe("agents are never the board", () => {
  // A server started from a shell that holds the board token must not hand it on.
  process.env.STAPLE_API_KEY = `stb_${"1".repeat(48)}`;
  process.env.STAPLE_BOARD_TOKEN = `stb_${"2".repeat(48)}`;
  const s = useTestServer();

  it("a process agent that calls the API without its key gets 401; with its run token it is itself", async () => {
    const app = s.current;
    const company = await createCompany(app);
    const other = await createCompany(app);
    const dir = fs.mkdtempSync(path.join(app.home, "out-"));
    const script = `
      const fs = require("fs");
      (async () => {
        const api = process.env.PAPERCLIP_API_URL + "/api";
        const anon = await fetch(api + "/companies/${other.id}/issues");
        const mint = await fetch(api + "/board-api-keys", { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"x"}' });
        const own = await fetch(api + "/agents/me", { headers: { authorization: "Bearer " + process.env.PAPERCLIP_API_KEY } });
        const leaked = Object.entries(process.env).filter(([k, v]) => /^stb_/.test(v ?? "") || k === "STAPLE_API_KEY" || k === "STAPLE_BOARD_TOKEN").map(([k]) => k);
        fs.writeFileSync(process.env.OUT_DIR + "/result.json", JSON.stringify({ anon: anon.status, mint: mint.status, own: own.status, leaked }));
      })();`;
    const agent = await createAgent(app, company.id, {
      adapterConfig: { command: process.execPath, args: ["-e", script], env: { OUT_DIR: dir }, timeoutSec: 60 },
    });
    const wake = await app.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand" });
    expect(wake.status).toBe(202);
    const file = path.join(dir, "result.json");
    await waitFor("agent result", async () => fs.existsSync(file) && fs.readFileSync(file, "utf8").length > 0);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({ anon: 401, mint: 401, own: 200, leaked: [] });
  });
});
