import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { useTestApp } from "./helpers/test-app.js";

/**
 * `collisionStrategy: "replace"` (Paperclip's third strategy): an agent of the package whose name
 * exists in the target company reconfigures that agent (same id, name, history) instead of
 * creating a renamed copy or leaving it as it is.
 */
const fixture = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "fixtures/paperclip-2026.916.1-company-export.json"), "utf8"));
const source = { type: "inline", rootPath: fixture.rootPath, files: fixture.files };
const body = (text: string) => text.replace(/^---\n[\s\S]*?\n---\n\n?/, "");
const t = useTestApp();

describe("importing with collisionStrategy replace", () => {
  it("previews the replacement, then reconfigures the existing agent in place with the package's settings and instructions", async () => {
    const company = await createCompany(t.current);
    const ken = await createAgent(t.current, company.id, {
      name: "Ken",
      role: "general",
      adapterType: "process",
      adapterConfig: { command: "old" },
    });
    const linus = await createAgent(t.current, company.id, {
      name: "Linus",
      role: "general",
      adapterType: "process",
      adapterConfig: { command: "x" },
    });
    const other = await createAgent(t.current, company.id, {
      name: "Somebody Else",
      adapterType: "process",
      adapterConfig: { command: "y" },
    });

    const preview = await t.current.post(`/api/companies/${company.id}/imports/preview`, { source, collisionStrategy: "replace" });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    const conflicts = preview.body.conflicts.filter((c: any) => c.kind === "agent_name");
    expect(conflicts.map((c: any) => c.slug).sort()).toEqual(["ken", "linus"]);
    expect(conflicts[0].reason).toMatch(/replaces/);
    expect(
      preview.body.create
        .filter((c: any) => c.kind === "agent")
        .map((c: any) => c.slug)
        .sort(),
    ).toEqual(["ada", "grace"]);

    const res = await t.current.post(`/api/companies/${company.id}/imports/apply`, { source, collisionStrategy: "replace" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const landed = Object.fromEntries(res.body.agents.map((a: any) => [a.slug, a]));
    expect(landed.ken).toMatchObject({ id: ken.id, action: "replaced", name: "Ken" });
    expect(landed.linus).toMatchObject({ id: linus.id, action: "replaced" });

    const pkgLinus = fixture.manifest.agents.find((a: any) => a.slug === "linus");
    const after = (await t.current.get(`/api/agents/${linus.id}`)).body;
    expect(after.name).toBe("Linus");
    expect(after.role).toBe("cto");
    expect(after.adapterType).toBe(pkgLinus.adapterType);
    expect(after.reportsTo).toBe(landed.ada.id);
    const afterKen = (await t.current.get(`/api/agents/${ken.id}`)).body;
    expect(afterKen.role).toBe("engineer");
    expect(afterKen.reportsTo).toBe(linus.id);
    // Agents the package does not name are untouched; no renamed copies were made.
    expect((await t.current.get(`/api/agents/${other.id}`)).body.adapterConfig.command).toBe("y");
    const names = (await t.current.get(`/api/companies/${company.id}/agents`)).body.map((a: any) => a.name).sort();
    expect(names).toEqual(["Ada", "Grace", "Ken", "Linus", "Somebody Else"]);

    // The replaced agent's instructions are the package's, in its own folder (what export reads back).
    const exported = (await t.current.post(`/api/companies/${company.id}/exports`, {})).body;
    const linusFile = Object.entries(exported.files).find(([p]) => /agents\/linus\/AGENTS\.md$/.test(p));
    expect(linusFile, Object.keys(exported.files).join(",")).toBeDefined();
    expect(body(linusFile![1] as string).trim()).toBe(body(fixture.files["agents/linus/AGENTS.md"]).trim());
    expect(fs.readdirSync(path.join(t.current.home, "agent-instructions")).sort()).toEqual(
      [landed.ada.id, landed.grace.id, ken.id, linus.id].sort(),
    );
  });
});
