import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createFakeAdapter } from "@staple/adapter-kit";
import { processAdapter } from "@staple/adapter-process";
import { ADAPTER_CONFIG_SCHEMAS } from "../src/agents/adapter-registry.js";
import { TEMPLATES_DIR } from "../src/portability/templates.js";
import { useTestServer, waitFor } from "./helpers/test-server.js";

/**
 * Every bundled template creates a company whose agents can run: each agent's config passes its
 * adapter's own schema, its instructions file holds the template's AGENTS.md body, and a wake of
 * every agent finishes a run (the coding CLIs are replaced by scripted fakes that record the prompt).
 */
const fakes = {
  claude_local: createFakeAdapter(undefined, { type: "claude_local" }),
  codex_local: createFakeAdapter(undefined, { type: "codex_local" }),
};
const t = useTestServer({ runtime: { schedulerIntervalMs: 500, leaseMs: 3000, adapters: { process: processAdapter, ...fakes } } });

const templates = fs.readdirSync(TEMPLATES_DIR).filter((d) => fs.existsSync(path.join(TEMPLATES_DIR, d, "COMPANY.md")));

describe("starter templates", () => {
  it("lists the bundled templates", async () => {
    const res = await t.current.get("/api/company-templates");
    expect(res.status).toBe(200);
    expect(res.body.map((x: any) => x.name).sort()).toEqual([...templates].sort());
    expect(templates).toEqual(expect.arrayContaining(["solo-founder", "small-software-team", "content-studio"]));
    for (const x of res.body) expect(x.agents).toBe(fs.readdirSync(path.join(TEMPLATES_DIR, x.name, "agents")).length);
  });

  it.each(templates)("%s creates a company whose agents run", async (name) => {
    const created = await t.current.post("/api/companies/from-template", { template: name, name: `From ${name}` });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const companyId = created.body.company.id;
    expect(created.body.company.name).toBe(`From ${name}`);
    const agents = (await t.current.get(`/api/companies/${companyId}/agents`)).body as any[];
    const agentDirs = fs.readdirSync(path.join(TEMPLATES_DIR, name, "agents"));
    expect(agents.length).toBe(agentDirs.length);
    for (const agent of agents) {
      const slug = created.body.agents.find((a: any) => a.id === agent.id).slug;
      expect(ADAPTER_CONFIG_SCHEMAS[agent.adapterType as keyof typeof ADAPTER_CONFIG_SCHEMAS].safeParse(agent.adapterConfig).success).toBe(
        true,
      );
      const source = fs.readFileSync(path.join(TEMPLATES_DIR, name, "agents", slug, "AGENTS.md"), "utf8");
      const body = source.replace(/^---\n[\s\S]*?\n---\n\n?/, "");
      expect(body.length).toBeGreaterThan(50);
      expect(fs.readFileSync(agent.adapterConfig.instructionsFilePath, "utf8")).toBe(body);

      const wake = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", reason: "template check" });
      expect(wake.status, JSON.stringify(wake.body)).toBe(202);
      const run = await waitFor("run finished", async () => {
        const r = await t.current.get(`/api/heartbeat-runs/${wake.body.id}`);
        return ["succeeded", "failed", "cancelled", "timed_out"].includes(r.body.status) ? r.body : null;
      });
      expect(run.status, JSON.stringify(run)).toBe("succeeded");
      if (agent.adapterType === "codex_local") {
        const call = fakes.codex_local.calls.find((c) => c.runId === wake.body.id);
        expect(call?.prompt).toContain(body.trim().split("\n")[0]);
      }
    }
    const issues = (await t.current.get(`/api/companies/${companyId}/issues`)).body as any[];
    expect(issues.length).toBe(fs.readdirSync(path.join(TEMPLATES_DIR, name, "tasks")).length);
  });

  it("names an unknown template", async () => {
    const res = await t.current.post("/api/companies/from-template", { template: "no-such-template" });
    expect(res.status).toBe(404);
    expect(res.body.error).toContain("no-such-template");
    const bad = await t.current.post("/api/companies/from-template", { template: "../etc" });
    expect(bad.status).toBe(404);
  });
});
