import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { createRunnerTokens, RUNNER_TOKEN_RE } from "../src/runners/tokens.js";
import { createRunnerRegistry, runnerLeaseOwner } from "../src/runners/registry.js";
import { DomainError } from "../src/errors.js";

/**
 * Runner tokens and the runner registry (docs/runners.md): tokens are shown once and stored hashed,
 * revocation takes effect at once, registration validates what a runner advertises, and a heartbeat
 * renews only the leases of the runner's own running runs and names the runs it must stop.
 */

const t = useTestApp();

describe("runner tokens", () => {
  it("creates a token shown once, verifies it to its scope, and refuses it once revoked", async () => {
    const tokens = createRunnerTokens(t.current.tdb.db);
    const company = await createCompany(t.current);
    const { token, row } = await tokens.create({ name: " gpu box ", companyId: company.id, createdByUserId: "u1" });
    expect(token).toMatch(RUNNER_TOKEN_RE);
    expect(row).toMatchObject({ name: "gpu box", companyId: company.id, tokenPrefix: token.slice(0, 12), revokedAt: null });
    const [stored] = await t.current.tdb.db.query<{ tokenHash: string }>("SELECT token_hash FROM runner_tokens WHERE id = $1", [row.id]);
    expect(stored!.tokenHash).not.toContain(token.slice(5));

    expect(await tokens.verify(token)).toEqual({ tokenId: row.id, companyId: company.id });
    // A different last character (a fixed "0" would be the same token one time in sixteen).
    expect(await tokens.verify(`${token.slice(0, -1)}${token.endsWith("0") ? "1" : "0"}`)).toBeUndefined();
    expect(await tokens.verify("stb_not-a-runner-token")).toBeUndefined();

    const instance = await tokens.create({ name: "fleet", companyId: null, createdByUserId: null });
    expect(await tokens.verify(instance.token)).toEqual({ tokenId: instance.row.id, companyId: null });
    expect((await tokens.list({ companyId: company.id })).map((r) => r.id)).toEqual([row.id]);
    expect((await tokens.list({ companyId: company.id, includeInstance: true })).map((r) => r.id)).toContain(instance.row.id);

    const revoked = await tokens.revoke(row.id);
    expect(revoked.revokedAt).not.toBeNull();
    expect((await tokens.revoke(row.id)).revokedAt).toEqual(revoked.revokedAt);
    expect(await tokens.verify(token)).toBeUndefined();
    await expect(tokens.revoke("00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(DomainError);
    await expect(tokens.create({ name: "  ", companyId: null, createdByUserId: null })).rejects.toThrow(/name/);
  });
});

describe("runner registry", () => {
  it("registers with validated labels, renews only its own runs' leases and names the runs it must stop", async () => {
    const db = t.current.tdb.db;
    const tokens = createRunnerTokens(db);
    const registry = createRunnerRegistry(db, { leaseMs: 30_000 });
    const company = await createCompany(t.current);
    const { token } = await tokens.create({ name: "mac", companyId: company.id, createdByUserId: null });
    const principal = (await tokens.verify(token))!;

    await expect(registry.register(principal, { name: "m1", labels: ["GPU!"], adapterTypes: ["process"] })).rejects.toThrow(/labels/);
    await expect(registry.register(principal, { name: "m1", labels: ["macos"], adapterTypes: [] })).rejects.toThrow(/adapterTypes/);
    const runner = await registry.register(principal, {
      name: "m1",
      hostname: "mac-mini",
      labels: ["macos", "macos", "xcode-16"],
      adapterTypes: ["process", "claude_local"],
      version: "0.1.0",
    });
    expect(runner).toMatchObject({
      status: "online",
      labels: ["macos", "xcode-16"],
      adapterTypes: ["process", "claude_local"],
      companyId: company.id,
    });

    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/true" } });
    const insertRun = async (status: string, owner: string | null, runnerId: string | null) => {
      const [row] = await db.query<{ id: string }>(
        `INSERT INTO heartbeat_runs (company_id, agent_id, status, started_at, lease_owner, lease_expires_at, runner_id)
         VALUES ($1, $2, $3, now(), $4, now() + interval '1 second', $5) RETURNING id`,
        [company.id, agent.id, status, owner, runnerId],
      );
      return row!.id;
    };
    const mine = await insertRun("running", runnerLeaseOwner(runner.id), runner.id);
    const cancelled = await insertRun("cancelled", runnerLeaseOwner(runner.id), runner.id);
    const serverRun = await insertRun("running", "host:1:abc", null);

    const beat = await registry.heartbeat(principal, runner.id, [mine, cancelled]);
    expect(beat).toEqual({ status: "online", stopRunIds: [cancelled] });
    const leases = await db.query<{ id: string; left: number }>(
      "SELECT id, extract(epoch FROM lease_expires_at - now())::int AS left FROM heartbeat_runs WHERE id = ANY($1::uuid[])",
      [[mine, serverRun]],
    );
    expect(leases.find((l) => l.id === mine)!.left).toBeGreaterThan(20);
    expect(leases.find((l) => l.id === serverRun)!.left).toBeLessThan(5);

    // Another token cannot speak for this runner.
    const other = (await tokens.verify((await tokens.create({ name: "x", companyId: company.id, createdByUserId: null })).token))!;
    await expect(registry.heartbeat(other, runner.id, [])).rejects.toThrow(/another token/);

    expect((await registry.drain(principal, runner.id)).status).toBe("draining");
    await db.query("UPDATE runners SET last_seen_at = now() - interval '10 minutes' WHERE id = $1", [runner.id]);
    expect(await registry.sweepOffline()).toBe(1);
    expect((await registry.heartbeat(principal, runner.id, [])).status).toBe("online");
  });

  it("a vanished runner's run is reaped as process_lost once, never judged by a local pid", async () => {
    const db = t.current.tdb.db;
    const tokens = createRunnerTokens(db);
    const registry = createRunnerRegistry(db, { leaseMs: 30_000 });
    const company = await createCompany(t.current);
    const principal = (await tokens.verify((await tokens.create({ name: "r", companyId: company.id, createdByUserId: null })).token))!;
    const runner = await registry.register(principal, { name: "gone", labels: ["gpu"], adapterTypes: ["process"] });
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/true" } });
    // The recorded pid is a live process here (this test's own): it belongs to the runner's machine.
    const [run] = await db.query<{ id: string }>(
      `INSERT INTO heartbeat_runs (company_id, agent_id, status, started_at, lease_owner, lease_expires_at, runner_id, process_pid)
       VALUES ($1, $2, 'running', now(), $3, now() - interval '1 second', $4, $5) RETURNING id`,
      [company.id, agent.id, runnerLeaseOwner(runner.id), runner.id, process.pid],
    );
    await t.current.services.engine.runPeriodicPass();
    await t.current.services.engine.runPeriodicPass();
    const [after] = await db.query<{ status: string; errorCode: string | null }>(
      "SELECT status, error_code FROM heartbeat_runs WHERE id = $1",
      [run!.id],
    );
    expect(after).toEqual({ status: "failed", errorCode: "process_lost" });
    const retries = await db.query("SELECT id FROM heartbeat_runs WHERE retry_of_run_id = $1", [run!.id]);
    expect(retries).toHaveLength(1);
  });
});
