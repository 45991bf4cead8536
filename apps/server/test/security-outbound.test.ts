import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createAgentKey, createCompany } from "./helpers/fixtures.js";
import { ConfigError, loadConfig } from "../src/config.js";

/**
 * D3: agents' outbound calls (the http adapter) are policed by the outbound guard. Non-public targets
 * are refused unless the board (instance settings) or the operator (STAPLE_OUTBOUND_ALLOW, here the
 * runtime option) allow-listed them; redirects are re-checked hop by hop.
 */

/** `hook`: an allow-listed webhook receiver. `other`: a loopback port nobody allow-listed. */
let hook: Server;
let other: Server;
let hookPort = 0;
let otherPort = 0;
let hits: Array<{ server: "hook" | "other"; url: string }> = [];

function listen(name: "hook" | "other"): Promise<[Server, number]> {
  const server = createServer((req: IncomingMessage, res) => {
    hits.push({ server: name, url: req.url ?? "" });
    req.resume();
    if (req.url === "/to-other") {
      res.writeHead(302, { location: `http://127.0.0.1:${otherPort}/stolen` }).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ received: name }));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve([server, (server.address() as AddressInfo).port])));
}

// Operator entry (the STAPLE_OUTBOUND_ALLOW path): a host that is never used as a target here.
const t = useTestServer({ runtime: { outboundAllow: ["operator-hooks.lan:8443"] } });

beforeAll(async () => {
  [hook, hookPort] = await listen("hook");
  [other, otherPort] = await listen("other");
});
afterAll(async () => {
  for (const s of [hook, other]) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});
beforeEach(() => {
  hits = [];
});

const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];

async function runHttpAgent(companyId: string, adapterConfig: Record<string, unknown>) {
  const agent = await createAgent(t.current, companyId, { adapterType: "http", adapterConfig });
  const wake = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", reason: "test" });
  expect(wake.status, JSON.stringify(wake.body)).toBe(202);
  return waitFor(
    `run ${wake.body.id} terminal`,
    async () => {
      const res = await t.current.get(`/api/heartbeat-runs/${wake.body.id}`);
      return TERMINAL.includes(res.body.status) ? (res.body as Record<string, any>) : null;
    },
    20_000,
  );
}

async function setAllow(allow: string[]) {
  const res = await t.current.patch("/api/instance/settings/outbound", { allow });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

describe("STAPLE_OUTBOUND_ALLOW", () => {
  it("is split on commas and whitespace; empty by default", () => {
    expect(loadConfig({}).outboundAllow).toEqual([]);
    expect(loadConfig({ STAPLE_OUTBOUND_ALLOW: "10.0.0.0/8, hooks.lan:8080 [::1]:9000" }).outboundAllow).toEqual([
      "10.0.0.0/8",
      "hooks.lan:8080",
      "[::1]:9000",
    ]);
  });

  it("refuses to start with an entry that does not parse, naming it", () => {
    expect(() => loadConfig({ STAPLE_OUTBOUND_ALLOW: "10.0.0.0/8,10.0.0.0/99" })).toThrow(ConfigError);
    expect(() => loadConfig({ STAPLE_OUTBOUND_ALLOW: "10.0.0.0/8,10.0.0.0/99" })).toThrow(/10\.0\.0\.0\/99/);
  });
});

describe("outbound allow-list settings", () => {
  it("the board reads and replaces it; the operator's entries are shown apart", async () => {
    expect(await t.current.get("/api/instance/settings/outbound")).toMatchObject({
      status: 200,
      body: { allow: [], envAllow: ["operator-hooks.lan:8443"] },
    });
    const body = await setAllow(["10.0.0.0/8", " hooks.lan:8080 ", "hooks.lan:8080", "[::1]:9000"]);
    expect(body).toMatchObject({
      allow: ["10.0.0.0/8", "hooks.lan:8080", "[::1]:9000"],
      envAllow: ["operator-hooks.lan:8443"],
      updatedBy: expect.any(String),
    });
    expect((await t.current.get("/api/instance/settings/outbound")).body.allow).toEqual(["10.0.0.0/8", "hooks.lan:8080", "[::1]:9000"]);
    await setAllow([]);
  });

  it("refuses bad entries with a 400 naming each of them, and stores nothing", async () => {
    const res = await t.current.patch("/api/instance/settings/outbound", {
      allow: ["10.0.0.0/33", "ok.lan", "http://x.lan/", "a.lan:99999"],
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain("10.0.0.0/33");
    expect(res.body.error).toContain("http://x.lan/");
    expect(res.body.error).toContain("a.lan:99999");
    expect(res.body.details.problems).toHaveLength(3);
    expect((await t.current.patch("/api/instance/settings/outbound", { allow: "10.0.0.0/8" })).status).toBe(400);
    expect((await t.current.patch("/api/instance/settings/outbound", { allow: [], extra: 1 })).status).toBe(400);
    expect((await t.current.get("/api/instance/settings/outbound")).body.allow).toEqual([]);
  });

  it("agents may neither change nor read it (403)", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { permissions: { canCreateAgents: true } });
    const key = await createAgentKey(t.current, agent.id);
    const patch = await t.current.patch("/api/instance/settings/outbound", { allow: ["127.0.0.0/8"] }, { token: key.token });
    expect(patch.status).toBe(403);
    expect((await t.current.get("/api/instance/settings/outbound", { token: key.token })).status).toBe(403);
    expect((await t.current.get("/api/instance/settings/outbound")).body.allow).toEqual([]);
  });
});

describe("http agents and the outbound guard", () => {
  it("an http agent aimed at the server itself is refused before any request (D3 reproduction)", async () => {
    const company = await createCompany(t.current);
    const victim = await createAgent(t.current, company.id);
    const run = await runHttpAgent(company.id, { url: `${t.current.url}/api/agents/${victim.id}/pause`, method: "POST" });
    expect(run).toMatchObject({ status: "failed", errorCode: "outbound_blocked" });
    expect(run.error).toContain(`outbound call to 127.0.0.1:${new URL(t.current.url).port} refused: 127.0.0.1 is a loopback address`);
    expect((await t.current.get(`/api/agents/${victim.id}`)).body.status).not.toBe("paused");
    const log = await t.current.get(`/api/heartbeat-runs/${run.id}/log`);
    expect(log.body.content).toContain("refused");
    expect(log.body.content).not.toContain(victim.id);
  });

  it("refuses the cloud metadata address and a host name that resolves to loopback", async () => {
    const company = await createCompany(t.current);
    const metadata = await runHttpAgent(company.id, {
      url: "http://169.254.169.254/latest/meta-data/iam/",
      method: "GET",
      timeoutMs: 5000,
    });
    expect(metadata).toMatchObject({ status: "failed", errorCode: "outbound_blocked" });
    expect(metadata.error).toContain("169.254.169.254 is a cloud metadata address");
    const named = await runHttpAgent(company.id, { url: `http://localhost:${hookPort}/`, method: "GET" });
    expect(named).toMatchObject({ status: "failed", errorCode: "outbound_blocked" });
    expect(named.error).toContain(`outbound call to localhost:${hookPort} refused: localhost resolves to`);
    expect(hits).toEqual([]);
  });

  it("an allow-listed loopback port works; its redirect to a port that is not allow-listed is refused", async () => {
    const company = await createCompany(t.current);
    await setAllow([`127.0.0.1:${hookPort}`]);
    try {
      const ok = await runHttpAgent(company.id, { url: `http://127.0.0.1:${hookPort}/webhook` });
      expect(ok).toMatchObject({ status: "succeeded", errorCode: null });
      expect(ok.resultJson).toMatchObject({ status: 200, body: { received: "hook" } });

      hits = [];
      const redirected = await runHttpAgent(company.id, { url: `http://127.0.0.1:${hookPort}/to-other` });
      expect(redirected).toMatchObject({ status: "failed", errorCode: "outbound_blocked" });
      expect(redirected.error).toContain(`outbound call to 127.0.0.1:${otherPort} refused: 127.0.0.1 is a loopback address`);
      expect(hits).toEqual([{ server: "hook", url: "/to-other" }]);
    } finally {
      await setAllow([]);
    }
    // The list is read per run: once removed, the same target is refused again.
    const after = await runHttpAgent(company.id, { url: `http://127.0.0.1:${hookPort}/webhook` });
    expect(after).toMatchObject({ status: "failed", errorCode: "outbound_blocked" });
  });

  it("the environment check reports the same refusal, and passes once the board allow-lists the target", async () => {
    const company = await createCompany(t.current);
    const path = `/api/companies/${company.id}/adapters/http/test-environment`;
    const refused = await t.current.post(path, { adapterConfig: { url: `http://127.0.0.1:${hookPort}/` } });
    expect(refused.status).toBe(200);
    expect(refused.body.ok).toBe(false);
    expect(refused.body.checks).toContainEqual(expect.objectContaining({ level: "error", code: "outbound_blocked" }));
    await setAllow([`127.0.0.0/8`]);
    try {
      const allowed = await t.current.post(path, { adapterConfig: { url: `http://127.0.0.1:${hookPort}/` } });
      expect(allowed.body).toMatchObject({ ok: true });
    } finally {
      await setAllow([]);
    }
    expect(hits).toEqual([]);
  });
});
