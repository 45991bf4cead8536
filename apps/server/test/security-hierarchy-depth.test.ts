import { describe, expect, it } from "vitest";
import { useTestServer } from "./helpers/test-server.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { activePauseHold } from "../src/issues/tree-holds.js";
import { ancestorsOf } from "../src/issues/hierarchy.js";

// D9 of the December probe: cycle checks and hold scopes walked at most 100 levels, so a parent
// cycle could be closed through a deep chain and a pause hold missed deep issues.
const t = useTestServer({ runtime: { recovery: { strandedReconciliation: false } } });
const DEPTH = 150;

/** n0 <- n1 <- … <- n(DEPTH-1): each issue's parent is the one before it. */
async function issueChain(companyId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < DEPTH; i++) {
    const issue = await createIssue(t.current, companyId, { status: "backlog", ...(i > 0 ? { parentId: ids[i - 1] } : {}) });
    ids.push(issue.id);
  }
  return ids;
}

async function goalChain(companyId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < DEPTH; i++) {
    const res = await t.current.post(`/api/companies/${companyId}/goals`, { title: `g${i}`, ...(i > 0 ? { parentId: ids[i - 1] } : {}) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids.push(res.body.id);
  }
  return ids;
}

describe("parent cycles are refused at any depth", () => {
  it(`issues: parenting the root of a ${DEPTH}-deep chain under its leaf is a 422`, async () => {
    const company = await createCompany(t.current);
    const chain = await issueChain(company.id);
    const res = await t.current.patch(`/api/issues/${chain[0]}`, { parentId: chain[DEPTH - 1] });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.code).toBe("parent_cycle");
    const [root] = await t.current.tdb.db.query<{ parentId: string | null }>("SELECT parent_id FROM issues WHERE id = $1", [chain[0]]);
    expect(root!.parentId).toBeNull();
    // The detail lists every ancestor, nearest first.
    const detail = await t.current.get(`/api/issues/${chain[DEPTH - 1]}`);
    expect(detail.body.ancestors.map((a: { id: string }) => a.id)).toEqual(chain.slice(0, DEPTH - 1).reverse());
    // A legal re-parent deep in the chain still works.
    const side = await createIssue(t.current, company.id, { status: "backlog" });
    expect((await t.current.patch(`/api/issues/${side.id}`, { parentId: chain[DEPTH - 1] })).status).toBe(200);
  });

  it(`goals: parenting the root of a ${DEPTH}-deep chain under its leaf is a 422`, async () => {
    const company = await createCompany(t.current);
    const chain = await goalChain(company.id);
    const res = await t.current.patch(`/api/goals/${chain[0]}`, { parentId: chain[DEPTH - 1] });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.code).toBe("parent_cycle");
    const other = await t.current.post(`/api/companies/${company.id}/goals`, { title: "side" });
    expect((await t.current.patch(`/api/goals/${other.body.id}`, { parentId: chain[DEPTH - 1] })).status).toBe(200);
  });

  it("two opposite re-parent edits at once: one wins, the other is a 422 (no cycle)", async () => {
    const company = await createCompany(t.current);
    const a = await createIssue(t.current, company.id, { status: "backlog" });
    const b = await createIssue(t.current, company.id, { status: "backlog" });
    const results = await Promise.all([
      t.current.patch(`/api/issues/${a.id}`, { parentId: b.id }),
      t.current.patch(`/api/issues/${b.id}`, { parentId: a.id }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 422]);
    const ga = await t.current.post(`/api/companies/${company.id}/goals`, { title: "ga" });
    const gb = await t.current.post(`/api/companies/${company.id}/goals`, { title: "gb" });
    const goals = await Promise.all([
      t.current.patch(`/api/goals/${ga.body.id}`, { parentId: gb.body.id }),
      t.current.patch(`/api/goals/${gb.body.id}`, { parentId: ga.body.id }),
    ]);
    expect(goals.map((r) => r.status).sort()).toEqual([200, 422]);
  });
});

describe("tree holds cover every depth", () => {
  it(`a pause hold on the root of a ${DEPTH}-deep chain blocks a wake of the deepest issue`, async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const chain = await issueChain(company.id);
    const hold = await t.current.post(`/api/issues/${chain[0]}/tree-holds`, { mode: "pause" });
    expect(hold.status, JSON.stringify(hold.body)).toBe(201);
    expect(hold.body.memberCount).toBe(DEPTH);
    const deepest = chain[DEPTH - 1]!;
    const assigned = await t.current.patch(`/api/issues/${deepest}`, { assigneeAgentId: agent.id, status: "todo" });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    const wake = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", payload: { issueId: deepest } });
    expect(wake.body).toMatchObject({ status: "skipped", reason: "issue_tree_hold_active" });
    await new Promise((r) => setTimeout(r, 500)); // give a (wrongly) queued run time to be claimed
    const runs = await t.current.tdb.db.query("SELECT id, status FROM heartbeat_runs WHERE issue_id = $1", [deepest]);
    expect(runs).toEqual([]);
  });
});

describe("walks stay finite on a corrupt parent loop", () => {
  it("ancestors, hold lookup and hold creation end on a loop written behind the API's back", async () => {
    const company = await createCompany(t.current);
    const a = await createIssue(t.current, company.id, { status: "backlog" });
    const b = await createIssue(t.current, company.id, { status: "backlog", parentId: a.id });
    const c = await createIssue(t.current, company.id, { status: "backlog", parentId: b.id });
    await t.current.tdb.db.query("UPDATE issues SET parent_id = $2 WHERE id = $1", [a.id, c.id]); // a <- b <- c <- a
    const ancestors = await ancestorsOf(t.current.tdb.db, b.id);
    expect(ancestors.map((r) => r.id)).toEqual([b.id, a.id, c.id]);
    expect(await activePauseHold(t.current.tdb.db, c.id)).toBeNull();
    const hold = await t.current.post(`/api/issues/${a.id}/tree-holds`, { mode: "pause" });
    expect(hold.status).toBe(201);
    expect(hold.body.memberCount).toBe(3);
    expect((await activePauseHold(t.current.tdb.db, b.id))?.id).toBe(hold.body.id);
    expect((await t.current.get(`/api/issues/${c.id}`)).status).toBe(200);
  });
});
