import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";

/**
 * `GET /api/companies/{id}/runners` (the board's Runners page): a company sees the runners registered
 * with its own tokens, with their labels, adapters, status and the number of its runs each executes;
 * never another company's runners; instance runners only for an instance board.
 */

const t = useTestApp();

async function registerRunner(token: string, name: string, labels: string[]) {
  const res = await t.current.post(
    "/api/runners/register",
    { name, hostname: `${name}.lan`, labels, adapterTypes: ["process"] },
    { token },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
}

describe("listing a company's runners", () => {
  it("lists its runners with status and running runs, and nothing of another company", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const token = (await t.current.post(`/api/companies/${company.id}/runner-tokens`, { name: "gpu" })).body.token as string;
    const otherToken = (await t.current.post(`/api/companies/${other.id}/runner-tokens`, { name: "theirs" })).body.token as string;
    const gpu = await registerRunner(token, "gpu-1", ["gpu"]);
    const mac = await registerRunner(token, "mac-1", ["macos"]);
    const theirs = await registerRunner(otherToken, "their-box", ["gpu"]);
    const instanceToken = (await t.current.post("/api/instance/runner-tokens", { name: "fleet" })).body.token as string;
    const fleet = await registerRunner(instanceToken, "fleet-1", ["any"]);
    await t.current.post(`/api/runners/${mac.id}/drain`, {}, { token });

    const db = t.current.tdb.db;
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/true" } });
    for (const status of ["running", "running", "succeeded"]) {
      await db.query(
        `INSERT INTO heartbeat_runs (company_id, agent_id, status, started_at, lease_owner, lease_expires_at, runner_id)
         VALUES ($1, $2, $3, now(), $4, now() + interval '30 seconds', $5)`,
        [company.id, agent.id, status, `runner:${gpu.id}`, gpu.id],
      );
    }

    const res = await t.current.get(`/api/companies/${company.id}/runners`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const byId = new Map((res.body as { id: string }[]).map((r) => [r.id, r]));
    expect(byId.get(gpu.id)).toMatchObject({ name: "gpu-1", hostname: "gpu-1.lan", labels: ["gpu"], status: "online", runningRuns: 2 });
    expect(byId.get(mac.id)).toMatchObject({ status: "draining", runningRuns: 0 });
    expect(byId.has(theirs.id)).toBe(false);
    // The test app's board is an instance board: it sees instance runners too.
    expect(byId.get(fleet.id)).toMatchObject({ companyId: null, runningRuns: 0 });

    const theirList = await t.current.get(`/api/companies/${other.id}/runners`);
    expect((theirList.body as { id: string }[]).map((r) => r.id)).not.toContain(gpu.id);
  });

  it("is closed to callers without a board credential and to agents", async () => {
    const company = await createCompany(t.current);
    const anonymous = await t.current.get(`/api/companies/${company.id}/runners`, { anonymous: true });
    expect(anonymous.status).toBe(401);
    const token = (await t.current.post(`/api/companies/${company.id}/runner-tokens`, { name: "r" })).body.token as string;
    const asRunner = await t.current.get(`/api/companies/${company.id}/runners`, { token });
    expect(asRunner.status).toBe(401);
  });
});
