import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { agentApi, UNKNOWN_UUID } from "./helpers/agent-api.js";

/** The reporting line: reportsTo rules (company, liveness, cycles) and the org chart built from it. */

const t = useTestApp();
const { hire } = agentApi(t);

interface OrgNode {
  id: string;
  name: string;
  reportsTo: string | null;
  status: string;
  reports: OrgNode[];
}
/** Compact view of the tree: name -> nested names, sorted for stable comparison. */
function shape(nodes: OrgNode[]): Record<string, unknown> {
  return Object.fromEntries(nodes.map((n) => [n.name, shape(n.reports)]));
}

describe("reportsTo", () => {
  it("a manager from another company -> 422 on create and patch", async () => {
    const mine = await createCompany(t.current);
    const theirs = await createCompany(t.current);
    const foreign = await createAgent(t.current, theirs.id);
    const create = await hire(mine.id, { name: "Cross", reportsTo: foreign.id });
    expect(create.status).toBe(422);
    expect(create.body.code).toBe("reports_to_invalid");
    const local = await createAgent(t.current, mine.id);
    const patch = await t.current.patch(`/api/agents/${local.id}`, { reportsTo: foreign.id });
    expect(patch.status).toBe(422);
    expect((await t.current.get(`/api/agents/${local.id}`)).body.reportsTo).toBeNull();
  });

  it("an unknown or terminated manager -> 422", async () => {
    const company = await createCompany(t.current);
    expect((await hire(company.id, { name: "Ghost Boss", reportsTo: UNKNOWN_UUID })).status).toBe(422);
    const gone = await createAgent(t.current, company.id);
    await t.current.post(`/api/agents/${gone.id}/terminate`);
    const res = await hire(company.id, { name: "Late Report", reportsTo: gone.id });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("reports_to_invalid");
  });

  it("valid manager -> 200; cycles (self, two-step, three-step) -> 422", async () => {
    const company = await createCompany(t.current);
    const a = await createAgent(t.current, company.id);
    const b = await createAgent(t.current, company.id);
    const c = await createAgent(t.current, company.id);

    const self = await t.current.patch(`/api/agents/${a.id}`, { reportsTo: a.id });
    expect(self.status).toBe(422);
    expect(self.body.code).toBe("reports_to_cycle");

    const ab = await t.current.patch(`/api/agents/${a.id}`, { reportsTo: b.id });
    expect(ab.status).toBe(200);
    expect(ab.body.reportsTo).toBe(b.id);

    const ba = await t.current.patch(`/api/agents/${b.id}`, { reportsTo: a.id });
    expect(ba.status).toBe(422);
    expect(ba.body.code).toBe("reports_to_cycle");

    expect((await t.current.patch(`/api/agents/${b.id}`, { reportsTo: c.id })).status).toBe(200); // a -> b -> c
    const ca = await t.current.patch(`/api/agents/${c.id}`, { reportsTo: a.id });
    expect(ca.status).toBe(422);
    expect(ca.body.code).toBe("reports_to_cycle");

    expect((await t.current.get(`/api/agents/${b.id}`)).body.reportsTo).toBe(c.id);
    expect((await t.current.get(`/api/agents/${c.id}`)).body.reportsTo).toBeNull();
  });

  it("re-pointing to the same manager is fine and null clears it", async () => {
    const company = await createCompany(t.current);
    const boss = await createAgent(t.current, company.id);
    const worker = await createAgent(t.current, company.id, { reportsTo: boss.id });
    expect(worker).toMatchObject({ reportsTo: boss.id });
    expect((await t.current.patch(`/api/agents/${worker.id}`, { reportsTo: boss.id })).status).toBe(200);
    const cleared = await t.current.patch(`/api/agents/${worker.id}`, { reportsTo: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.reportsTo).toBeNull();
  });
});

describe("org chart", () => {
  it("GET /api/companies/:cid/org nests reports under their managers", async () => {
    const company = await createCompany(t.current);
    const ceo = await createAgent(t.current, company.id, { name: "CEO", role: "ceo" });
    const cto = await createAgent(t.current, company.id, { name: "CTO", role: "cto", reportsTo: ceo.id });
    await createAgent(t.current, company.id, { name: "Eng 1", reportsTo: cto.id });
    await createAgent(t.current, company.id, { name: "Eng 2", reportsTo: cto.id });
    await createAgent(t.current, company.id, { name: "CMO", role: "cmo", reportsTo: ceo.id });
    await createAgent(t.current, company.id, { name: "Loner" });
    const other = await createCompany(t.current);
    await createAgent(t.current, other.id, { name: "Elsewhere" });

    const res = await t.current.get(`/api/companies/${company.id}/org`);
    expect(res.status).toBe(200);
    expect(shape(res.body)).toEqual({
      CEO: { CTO: { "Eng 1": {}, "Eng 2": {} }, CMO: {} },
      Loner: {},
    });
    const ceoNode = res.body.find((n: OrgNode) => n.id === ceo.id);
    expect(ceoNode).toMatchObject({ id: ceo.id, name: "CEO", role: "ceo", status: "idle", reportsTo: null, title: null, icon: null });
    expect(ceoNode.reports[0]).toMatchObject({ id: cto.id, reportsTo: ceo.id });
  });

  it("terminated agents are left out; their reports become roots", async () => {
    const company = await createCompany(t.current);
    const ceo = await createAgent(t.current, company.id, { name: "Boss" });
    const mid = await createAgent(t.current, company.id, { name: "Middle", reportsTo: ceo.id });
    await createAgent(t.current, company.id, { name: "Leaf", reportsTo: mid.id });
    const fired = await createAgent(t.current, company.id, { name: "Fired", reportsTo: ceo.id });
    await t.current.post(`/api/agents/${fired.id}/terminate`);
    await t.current.post(`/api/agents/${mid.id}/terminate`);
    const res = await t.current.get(`/api/companies/${company.id}/org`);
    expect(res.status).toBe(200);
    expect(shape(res.body)).toEqual({ Boss: {}, Leaf: {} });
    const leaf = res.body.find((n: OrgNode) => n.name === "Leaf");
    expect(leaf.reportsTo).toBe(mid.id);
  });

  it("paused agents stay in the chart with their status", async () => {
    const company = await createCompany(t.current);
    const boss = await createAgent(t.current, company.id, { name: "Boss" });
    const napper = await createAgent(t.current, company.id, { name: "Napper", reportsTo: boss.id });
    await t.current.post(`/api/agents/${napper.id}/pause`);
    const res = await t.current.get(`/api/companies/${company.id}/org`);
    expect(res.body).toHaveLength(1);
    expect(res.body[0].reports).toEqual([expect.objectContaining({ id: napper.id, status: "paused", reports: [] })]);
  });

  it("an empty company has an empty chart", async () => {
    const company = await createCompany(t.current);
    const res = await t.current.get(`/api/companies/${company.id}/org`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });
});
