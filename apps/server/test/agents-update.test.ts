import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { actions, agentApi, detailPaths, UNKNOWN_UUID } from "./helpers/agent-api.js";

/** Patching agents: field updates and their activity, refused fields, adapter config re-validation. */

const t = useTestApp();
const { hire, agentActivity } = agentApi(t);

describe("patch", () => {
  it("updates the given fields, merges permissions, logs agent.updated with the changed fields", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { permissions: { custom: "x" } });
    const res = await t.current.patch(`/api/agents/${agent.id}`, {
      title: "Lead",
      role: "cto",
      capabilities: "everything",
      budgetMonthlyCents: 700,
      permissions: { canCreateAgents: true },
      metadata: { team: "core" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: agent.name,
      title: "Lead",
      role: "cto",
      capabilities: "everything",
      budgetMonthlyCents: 700,
      permissions: { canCreateAgents: true, custom: "x" },
      metadata: { team: "core" },
      adapterType: "process",
      adapterConfig: { command: "/bin/true" },
    });
    const rows = await agentActivity(company.id, agent.id);
    const updated = actions(rows, "agent.updated");
    expect(updated).toHaveLength(1);
    expect(updated[0]!.details.changedFields.sort()).toEqual([
      "budgetMonthlyCents",
      "capabilities",
      "metadata",
      "permissions",
      "role",
      "title",
    ]);
  });

  it.each([
    ["bad role", { role: "wizard" }, "role"],
    ["bad adapterType", { adapterType: "telepathy" }, "adapterType"],
    ["empty name", { name: "" }, "name"],
    ["negative budget", { budgetMonthlyCents: -3 }, "budgetMonthlyCents"],
  ])("%s -> 400", async (_label, body, path) => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const res = await t.current.patch(`/api/agents/${agent.id}`, body);
    expect(res.status).toBe(400);
    expect(detailPaths(res.body)).toContain(path);
  });

  it("unknown and read-only fields -> 400", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    for (const body of [{ bogus: 1 }, { status: "running" }, { companyId: UNKNOWN_UUID }]) {
      const res = await t.current.patch(`/api/agents/${agent.id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    // Paperclip's PATCH schema names it: accepted but ignored (Staple-Ignored-Fields, paperclip-compat.test.ts).
    expect((await t.current.patch(`/api/agents/${agent.id}`, { spentMonthlyCents: 1 })).status).toBe(200);
    expect((await t.current.get(`/api/agents/${agent.id}`)).body).toMatchObject({ status: "idle", companyId: company.id });
  });

  it("a new adapterConfig must be valid for the agent's current adapter type", async () => {
    const company = await createCompany(t.current);
    const proc = await createAgent(t.current, company.id);
    const noCommand = await t.current.patch(`/api/agents/${proc.id}`, { adapterConfig: { args: ["x"] } });
    expect(noCommand.status).toBe(400);
    expect(detailPaths(noCommand.body)).toContain("adapterConfig.command");

    const hook = await hire(company.id, { name: "Hooky", adapterType: "http", adapterConfig: { url: "https://example.com/a" } });
    const ftp = await t.current.patch(`/api/agents/${hook.body.id}`, { adapterConfig: { url: "ftp://example.com/a" } });
    expect(ftp.status).toBe(400);
    expect(detailPaths(ftp.body)).toContain("adapterConfig.url");

    const ok = await t.current.patch(`/api/agents/${proc.id}`, { adapterConfig: { command: "/bin/echo", args: ["hi"] } });
    expect(ok.status).toBe(200);
    expect(ok.body.adapterConfig).toEqual({ command: "/bin/echo", args: ["hi"] });

    expect((await t.current.get(`/api/agents/${hook.body.id}`)).body.adapterConfig).toEqual({ url: "https://example.com/a" });
  });

  it("switching adapter type re-validates: with no new config -> 400, with a valid one -> 200", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const bare = await t.current.patch(`/api/agents/${agent.id}`, { adapterType: "http" });
    expect(bare.status).toBe(400);
    expect(detailPaths(bare.body)).toContain("adapterConfig.url");
    const badPair = await t.current.patch(`/api/agents/${agent.id}`, { adapterType: "http", adapterConfig: { url: "ftp://x" } });
    expect(badPair.status).toBe(400);
    const good = await t.current.patch(`/api/agents/${agent.id}`, { adapterType: "http", adapterConfig: { url: "https://example.com/w" } });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ adapterType: "http", adapterConfig: { url: "https://example.com/w" } });
  });

  it("unknown agent -> 404", async () => {
    expect((await t.current.patch(`/api/agents/${UNKNOWN_UUID}`, { title: "x" })).status).toBe(404);
  });
});
