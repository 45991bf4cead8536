import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createCompany } from "./helpers/fixtures.js";

/**
 * Runner tokens and registration over HTTP (docs/runners.md#tokens-and-registration): the board creates
 * and revokes tokens, a runner registers and heartbeats with its token, and every other credential
 * (none, the board's, a revoked token) is a 401 naming what is missing.
 */

const t = useTestApp();

describe("runner tokens and registration", () => {
  it("a board-created token registers a runner until it is revoked", async () => {
    const company = await createCompany(t.current);
    const created = await t.current.post(`/api/companies/${company.id}/runner-tokens`, { name: "gpu box" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "gpu box", companyId: company.id, revokedAt: null, token: expect.stringMatching(/^strn_/) });
    const listed = await t.current.get(`/api/companies/${company.id}/runner-tokens`);
    expect(listed.body.map((r: { id: string }) => r.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);

    const body = { name: "box-1", hostname: "gpu-1", labels: ["gpu", "cuda-12"], adapterTypes: ["process", "claude_local"] };
    for (const options of [{ anonymous: true }, {}, { token: "strn_0123" }]) {
      const refused = await t.current.post("/api/runners/register", body, options);
      expect(refused.status, JSON.stringify(options)).toBe(401);
      expect(refused.body).toMatchObject({ code: "invalid_runner_token", error: expect.stringContaining("runner token") });
    }
    const bad = await t.current.post("/api/runners/register", { ...body, labels: ["GPU box"] }, { token: created.body.token });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("labels");

    const registered = await t.current.post("/api/runners/register", body, { token: created.body.token });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body).toMatchObject({
      status: "online",
      labels: ["gpu", "cuda-12"],
      companyId: company.id,
      leaseMs: expect.any(Number),
    });
    expect(registered.body.heartbeatMs).toBeLessThan(registered.body.leaseMs);
    const beat = await t.current.post(`/api/runners/${registered.body.id}/heartbeat`, { runIds: [] }, { token: created.body.token });
    expect(beat).toMatchObject({ status: 200, body: { status: "online", stopRunIds: [] } });

    const revoked = await t.current.del(`/api/runner-tokens/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const after = await t.current.post(`/api/runners/${registered.body.id}/heartbeat`, { runIds: [] }, { token: created.body.token });
    expect(after.status).toBe(401);
  });

  it("an instance token is created only by an instance board and revoking an unknown token is a 404", async () => {
    const created = await t.current.post("/api/instance/runner-tokens", { name: "fleet" });
    expect(created.status).toBe(201);
    expect(created.body.companyId).toBeNull();
    const missing = await t.current.del("/api/runner-tokens/00000000-0000-4000-8000-000000000000");
    expect(missing.status).toBe(404);
    const notUuid = await t.current.del("/api/runner-tokens/nope");
    expect(notUuid.status).toBe(404);
  });
});
