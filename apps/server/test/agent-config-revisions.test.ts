import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany } from "./helpers/fixtures.js";

const t = useTestApp();
const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

async function storedAdapterConfig(agentId: string) {
  const [row] = await t.current.tdb.db.query<{ adapterConfig: Record<string, any> }>("SELECT adapter_config FROM agents WHERE id = $1", [
    agentId,
  ]);
  return row!.adapterConfig;
}

describe("agent config revisions", () => {
  it("a config change writes a revision (before/after, changed keys); a non-config change writes none", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/echo" } });
    expect((await t.current.get(`/api/agents/${agent.id}/config-revisions`)).body).toEqual([]);

    const patched = await t.current.patch(`/api/agents/${agent.id}`, { adapterConfig: { command: "/bin/true" }, title: "Builder" });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    await t.current.patch(`/api/agents/${agent.id}`, { permissions: { canCreateAgents: true } });

    const list = await t.current.get(`/api/agents/${agent.id}/config-revisions`);
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    const [rev] = list.body;
    expect(rev).toMatchObject({
      agentId: agent.id,
      companyId: company.id,
      source: "patch",
      createdByUserId: "local-board",
      createdByAgentId: null,
      rolledBackFromRevisionId: null,
      changedKeys: ["title", "adapterConfig"],
    });
    expect(rev.beforeConfig).toMatchObject({ adapterConfig: { command: "/bin/echo" }, title: null, name: agent.name });
    expect(rev.afterConfig).toMatchObject({ adapterConfig: { command: "/bin/true" }, title: "Builder" });

    const one = await t.current.get(`/api/agents/${agent.id}/config-revisions/${rev.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(rev);
  });

  it("rollback restores a revision's configuration and records a rollback revision naming it", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/a" } });
    await t.current.patch(`/api/agents/${agent.id}`, { adapterConfig: { command: "/bin/b" } });
    await t.current.patch(`/api/agents/${agent.id}`, { adapterConfig: { command: "/bin/c" }, budgetMonthlyCents: 500 });
    const revisions = (await t.current.get(`/api/agents/${agent.id}/config-revisions`)).body;
    expect(revisions.map((r: { afterConfig: any }) => r.afterConfig.adapterConfig.command)).toEqual(["/bin/c", "/bin/b"]);
    const toB = revisions[1];

    const res = await t.current.post(`/api/agents/${agent.id}/config-revisions/${toB.id}/rollback`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: agent.id, adapterConfig: { command: "/bin/b" }, budgetMonthlyCents: 0 });
    const after = (await t.current.get(`/api/agents/${agent.id}/config-revisions`)).body;
    expect(after).toHaveLength(3);
    expect(after[0]).toMatchObject({
      source: "rollback",
      rolledBackFromRevisionId: toB.id,
      changedKeys: ["adapterConfig", "budgetMonthlyCents"],
    });
  });

  it("secret env values never appear in revisions, and a rollback puts the stored secret back", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: { command: "/bin/true", env: { API_TOKEN: { type: "secret", value: "first-secret-value" } } },
    });
    await t.current.patch(`/api/agents/${agent.id}`, {
      adapterConfig: { command: "/bin/true", env: { API_TOKEN: { type: "secret", value: "second-secret-value" } } },
    });
    const list = await t.current.get(`/api/agents/${agent.id}/config-revisions`);
    const text = JSON.stringify(list.body);
    expect(text).not.toContain("first-secret-value");
    expect(text).not.toContain("second-secret-value");
    expect(list.body[0].beforeConfig.adapterConfig.env.API_TOKEN).toMatchObject({ type: "secret", masked: true });

    // Roll "forward" to the second value from a later change, then back: stored values, never masks.
    await t.current.patch(`/api/agents/${agent.id}`, { adapterConfig: { command: "/bin/true" } });
    expect((await storedAdapterConfig(agent.id)).env).toBeUndefined();
    const rolled = await t.current.post(`/api/agents/${agent.id}/config-revisions/${list.body[0].id}/rollback`);
    expect(rolled.status, JSON.stringify(rolled.body)).toBe(200);
    expect(JSON.stringify(rolled.body)).not.toContain("second-secret-value");
    expect((await storedAdapterConfig(agent.id)).env.API_TOKEN).toEqual({ type: "secret", value: "second-secret-value" });
  });

  it("refusals: unknown agent or revision 404, another agent's revision 404, other company 404, agent rollback 403", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const sibling = await createAgent(t.current, company.id);
    const outsider = await createAgent(t.current, other.id);
    const outsiderKey = await createAgentKey(t.current, outsider.id);
    const agentKey = await createAgentKey(t.current, agent.id);
    await t.current.patch(`/api/agents/${agent.id}`, { title: "v2" });
    const [rev] = (await t.current.get(`/api/agents/${agent.id}/config-revisions`)).body;

    expect((await t.current.get(`/api/agents/${UNKNOWN_UUID}/config-revisions`)).status).toBe(404);
    expect((await t.current.get(`/api/agents/${agent.id}/config-revisions/${UNKNOWN_UUID}`)).status).toBe(404);
    expect((await t.current.get(`/api/agents/${agent.id}/config-revisions/not-a-uuid`)).status).toBe(404);
    expect((await t.current.get(`/api/agents/${sibling.id}/config-revisions/${rev.id}`)).status).toBe(404);
    expect((await t.current.get(`/api/agents/${agent.id}/config-revisions`, { token: outsiderKey.token })).status).toBe(404);
    const byAgent = await t.current.post(`/api/agents/${agent.id}/config-revisions/${rev.id}/rollback`, undefined, {
      token: agentKey.token,
    });
    expect(byAgent.status).toBe(403);
    expect((await t.current.post(`/api/agents/${agent.id}/config-revisions/${UNKNOWN_UUID}/rollback`)).status).toBe(404);
  });
});

describe("PATCH /api/agents/:id/instructions-path", () => {
  it("a relative path resolves against adapterConfig.cwd, null clears it; each change is a revision", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterType: "codex_local", adapterConfig: { cwd: "/srv/work" } });
    const set = await t.current.patch(`/api/agents/${agent.id}/instructions-path`, { path: "agents/cmo/AGENTS.md" });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toEqual({
      agentId: agent.id,
      adapterType: "codex_local",
      adapterConfigKey: "instructionsFilePath",
      path: "/srv/work/agents/cmo/AGENTS.md",
    });
    expect((await storedAdapterConfig(agent.id)).instructionsFilePath).toBe("/srv/work/agents/cmo/AGENTS.md");

    const absolute = await t.current.patch(`/api/agents/${agent.id}/instructions-path`, { path: "/etc/agents/AGENTS.md" });
    expect(absolute.body.path).toBe("/etc/agents/AGENTS.md");
    const cleared = await t.current.patch(`/api/agents/${agent.id}/instructions-path`, { path: null });
    expect(cleared.body.path).toBeNull();
    expect(await storedAdapterConfig(agent.id)).toEqual({ cwd: "/srv/work" });

    const revisions = (await t.current.get(`/api/agents/${agent.id}/config-revisions`)).body;
    expect(revisions.map((r: { source: string }) => r.source)).toEqual([
      "instructions_path_patch",
      "instructions_path_patch",
      "instructions_path_patch",
    ]);
  });

  it("refusals: no default key 422, relative path without cwd 422, agent caller 403, unknown agent 404, bad body 400", async () => {
    const company = await createCompany(t.current);
    const processAgent = await createAgent(t.current, company.id);
    const cli = await createAgent(t.current, company.id, { adapterType: "claude_local", adapterConfig: {} });
    const key = await createAgentKey(t.current, cli.id);

    const noKey = await t.current.patch(`/api/agents/${processAgent.id}/instructions-path`, { path: "/x/AGENTS.md" });
    expect(noKey.status).toBe(422);
    expect(noKey.body.code).toBe("instructions_path_key_required");
    const withKey = await t.current.patch(`/api/agents/${processAgent.id}/instructions-path`, {
      path: "/x/AGENTS.md",
      adapterConfigKey: "instructionsFile",
    });
    expect(withKey.status, JSON.stringify(withKey.body)).toBe(200);
    expect(withKey.body).toMatchObject({ adapterConfigKey: "instructionsFile", path: "/x/AGENTS.md" });

    const relative = await t.current.patch(`/api/agents/${cli.id}/instructions-path`, { path: "AGENTS.md" });
    expect(relative.status).toBe(422);
    expect(relative.body.code).toBe("instructions_path_relative");
    expect((await t.current.patch(`/api/agents/${cli.id}/instructions-path`, { path: "/a/AGENTS.md" }, { token: key.token })).status).toBe(
      403,
    );
    expect((await t.current.patch(`/api/agents/${UNKNOWN_UUID}/instructions-path`, { path: "/a/AGENTS.md" })).status).toBe(404);
    expect((await t.current.patch(`/api/agents/${cli.id}/instructions-path`, {})).status).toBe(400);
    expect((await t.current.patch(`/api/agents/${cli.id}/instructions-path`, { path: "/a", adapterConfigKey: "bad key" })).status).toBe(
      400,
    );
  });
});
