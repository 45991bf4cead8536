import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { detailPaths, UNKNOWN_UUID } from "./helpers/agent-api.js";

/** Reading agents: one agent's configuration, lookups of unknown ids, and the company list with its filters. */

const t = useTestApp();

describe("reads", () => {
  it("GET /api/agents/:id/configuration returns the adapter and runtime configuration", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, {
      name: "Configured",
      title: "Greeter",
      adapterConfig: { command: "/bin/echo", args: ["hi"], timeoutSec: 30 },
    });
    const res = await t.current.get(`/api/agents/${agent.id}/configuration`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(
      [
        "adapterConfig",
        "adapterType",
        "companyId",
        "id",
        "name",
        "permissions",
        "reportsTo",
        "role",
        "runtimeConfig",
        "status",
        "title",
        "updatedAt",
      ].sort(),
    );
    expect(res.body).toMatchObject({
      id: agent.id,
      companyId: company.id,
      name: "Configured",
      role: "engineer",
      title: "Greeter",
      status: "idle",
      reportsTo: null,
      adapterType: "process",
      adapterConfig: { command: "/bin/echo", args: ["hi"], timeoutSec: 30 },
      runtimeConfig: { heartbeat: { enabled: false, intervalSec: 0, wakeOnDemand: true, maxConcurrentRuns: 1 } },
      permissions: { canCreateAgents: false },
    });
    expect((await t.current.get(`/api/agents/${UNKNOWN_UUID}/configuration`)).status).toBe(404);
  });

  it("GET /api/agents/:id of an unknown or malformed id -> 404", async () => {
    expect((await t.current.get(`/api/agents/${UNKNOWN_UUID}`)).status).toBe(404);
    expect((await t.current.get("/api/agents/not-a-uuid")).status).toBe(404);
  });

  it("lists only the company's agents, oldest first", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const a = await createAgent(t.current, company.id);
    const b = await createAgent(t.current, company.id);
    const foreign = await createAgent(t.current, other.id);
    const res = await t.current.get(`/api/companies/${company.id}/agents`);
    expect(res.status).toBe(200);
    expect(res.body.map((x: { id: string }) => x.id)).toEqual([a.id, b.id]);
    expect(res.body.every((x: { companyId: string }) => x.companyId === company.id)).toBe(true);
    expect(res.body.map((x: { id: string }) => x.id)).not.toContain(foreign.id);
  });

  it("filters by status (single and comma list) and by includeTerminated", async () => {
    const company = await createCompany(t.current);
    const idle = await createAgent(t.current, company.id);
    const paused = await createAgent(t.current, company.id);
    const gone = await createAgent(t.current, company.id);
    await t.current.post(`/api/agents/${paused.id}/pause`);
    await t.current.post(`/api/agents/${gone.id}/terminate`);
    const ids = async (query: string) => {
      const res = await t.current.get(`/api/companies/${company.id}/agents${query}`);
      expect(res.status, query).toBe(200);
      return res.body.map((x: { id: string }) => x.id);
    };
    expect(await ids("?status=paused")).toEqual([paused.id]);
    expect(await ids("?status=idle,terminated")).toEqual([idle.id, gone.id]);
    expect(await ids("?status=running")).toEqual([]);
    expect(await ids("")).toEqual([idle.id, paused.id, gone.id]);
    expect(await ids("?includeTerminated=false")).toEqual([idle.id, paused.id]);
    expect(await ids("?includeTerminated=true")).toEqual([idle.id, paused.id, gone.id]);
  });

  it("a bad status filter -> 400 naming it", async () => {
    const company = await createCompany(t.current);
    const res = await t.current.get(`/api/companies/${company.id}/agents?status=sleeping`);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain("sleeping");
    expect(detailPaths(res.body)).toContain("status");
    expect((await t.current.get(`/api/companies/${company.id}/agents?status=idle,bogus`)).status).toBe(400);
    expect((await t.current.get(`/api/companies/${company.id}/agents?includeTerminated=maybe`)).status).toBe(400);
  });

  it("list of an unknown company -> 404", async () => {
    expect((await t.current.get(`/api/companies/${UNKNOWN_UUID}/agents`)).status).toBe(404);
    expect((await t.current.get(`/api/companies/${UNKNOWN_UUID}/org`)).status).toBe(404);
  });
});
