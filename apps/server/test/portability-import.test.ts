import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";

/**
 * A real export of Paperclip 2026.916.1 (test/fixtures). Every expectation below is read from the
 * export's own manifest (Paperclip's structured view of the same files), never a hard-coded count,
 * and checked against what the Staple API returns after the import.
 */
const fixture = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "fixtures/paperclip-2026.916.1-company-export.json"), "utf8"));
const manifest = fixture.manifest;
const source = { type: "inline", rootPath: fixture.rootPath, files: fixture.files };

const t = useTestApp();

function stripFrontmatter(text: string) {
  return text.replace(/^---\n[\s\S]*?\n---\n\n?/, "");
}

describe("importing a Paperclip package", () => {
  it("previews, then creates every promised item, equal to the package", async () => {
    const preview = await t.current.post("/api/companies/import/preview", { source, target: { mode: "new_company" } });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    const plan = preview.body;
    const planned = (kind: string) =>
      plan.create
        .filter((c: any) => c.kind === kind)
        .map((c: any) => c.slug)
        .sort();
    expect(planned("agent")).toEqual(manifest.agents.map((a: any) => a.slug).sort());
    expect(planned("project")).toEqual(manifest.projects.map((p: any) => p.slug).sort());
    expect(planned("issue")).toEqual(manifest.issues.map((i: any) => i.slug).sort());
    expect(planned("label")).toEqual(manifest.labels.map((l: any) => l.name).sort());
    expect(planned("comment").length).toBe(manifest.issues.reduce((n: number, i: any) => n + i.comments.length, 0));
    expect(planned("document").length).toBe(manifest.issues.reduce((n: number, i: any) => n + i.documents.length, 0));
    // Skills are named as ignored, with a reason.
    const ignoredSkills = plan.ignored.filter((i: any) => i.kind === "skill");
    expect(ignoredSkills.map((s: any) => s.slug).sort()).toEqual(manifest.skills.map((s: any) => s.key).sort());
    for (const s of ignoredSkills) expect(s.reason).toMatch(/no skills/);
    // The process agent whose command Paperclip left out is named.
    const commandless = manifest.agents.filter((a: any) => a.adapterType === "process" && !a.adapterConfig.command);
    for (const a of commandless) expect(plan.warnings.join("\n")).toContain(`Agent ${a.slug} has no command`);

    const applied = await t.current.post("/api/companies/import", { source, target: { mode: "new_company" } });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    const companyId = applied.body.company.id;
    const company = (await t.current.get(`/api/companies/${companyId}`)).body;
    expect(company.name).toBe(manifest.company.name);
    expect(company.description).toBe(manifest.company.description);

    // Agents: name, role, title, adapter type and config, budget, heartbeat, hierarchy, instructions.
    const agents = (await t.current.get(`/api/companies/${companyId}/agents`)).body as any[];
    expect(agents.length).toBe(manifest.agents.length);
    const agentBySlug = new Map(applied.body.agents.map((a: any) => [a.slug, agents.find((x) => x.id === a.id)]));
    for (const m of manifest.agents) {
      const a: any = agentBySlug.get(m.slug);
      expect(a, m.slug).toBeTruthy();
      expect(a.name).toBe(m.name);
      expect(a.role).toBe(m.role);
      expect(a.title).toBe(m.title);
      expect(a.adapterType).toBe(m.adapterType);
      expect(a.budgetMonthlyCents).toBe(m.budgetMonthlyCents);
      for (const [k, v] of Object.entries(m.adapterConfig)) expect(a.adapterConfig[k], `${m.slug} ${k}`).toEqual(v);
      for (const [k, v] of Object.entries(m.runtimeConfig.heartbeat ?? {})) expect(a.runtimeConfig.heartbeat[k]).toEqual(v);
      expect(a.reportsTo).toBe(m.reportsToSlug ? (agentBySlug.get(m.reportsToSlug) as any).id : null);
      // Every markdown file in the agent's folder became an instruction file with the same body.
      const dir = path.posix.dirname(m.path);
      const own = Object.keys(fixture.files).filter((f) => f.startsWith(`${dir}/`) && f.endsWith(".md"));
      expect(a.metadata.instructions.files.sort()).toEqual(own.map((f) => path.posix.basename(f)).sort());
      for (const f of own) {
        const body = fs.readFileSync(path.join(a.metadata.instructions.dir, path.posix.basename(f)), "utf8");
        expect(body).toBe(f === m.path ? stripFrontmatter(fixture.files[f]) : fixture.files[f]);
      }
      if (m.adapterType === "claude_local" || m.adapterType === "codex_local") {
        expect(a.adapterConfig.instructionsFilePath).toBe(path.join(a.metadata.instructions.dir, "AGENTS.md"));
      }
    }

    // Projects and workspaces.
    const projects = (await t.current.get(`/api/companies/${companyId}/projects`)).body as any[];
    expect(projects.length).toBe(manifest.projects.length);
    for (const m of manifest.projects) {
      const p = projects.find((x) => x.name === m.name);
      expect(p, m.slug).toBeTruthy();
      expect(p.description).toBe(m.description);
      expect(p.status).toBe(m.status);
      expect(p.workspaces.map((w: any) => [w.name, w.repoUrl, w.repoRef, w.isPrimary])).toEqual(
        m.workspaces.map((w: any) => [w.name, w.repoUrl, w.repoRef, w.isPrimary]),
      );
    }

    // Issues: identifier, title, description, status, priority, assignee, project, workspace,
    // parent, blockers, labels, comments, documents, timestamps.
    const issueBySlug = new Map<string, any>();
    for (const r of applied.body.issues) issueBySlug.set(r.slug, (await t.current.get(`/api/issues/${r.id}`)).body);
    for (const m of manifest.issues) {
      const i = issueBySlug.get(m.slug);
      expect(i, m.slug).toBeTruthy();
      expect(i.identifier).toBe(m.identifier);
      expect(i.title).toBe(m.title);
      expect(i.description).toBe(m.description);
      expect(i.status).toBe(m.status);
      expect(i.priority).toBe(m.priority);
      expect(i.assigneeAgentId).toBe(m.assigneeAgentSlug ? (agentBySlug.get(m.assigneeAgentSlug) as any).id : null);
      const project = projects.find((p) => p.name === manifest.projects.find((x: any) => x.slug === m.projectSlug)?.name);
      expect(i.projectId).toBe(project?.id ?? null);
      expect(i.projectWorkspaceId).toBe(project?.workspaces.find((w: any) => w.name === m.projectWorkspaceKey)?.id ?? null);
      expect(i.parentId).toBe(m.parentSlug ? issueBySlug.get(m.parentSlug).id : null);
      expect(i.blockedBy.map((b: any) => b.identifier).sort()).toEqual(
        m.blockedBy.map((s: string) => manifest.issues.find((x: any) => x.slug === s).identifier).sort(),
      );
      expect(i.labels.map((l: any) => l.name).sort()).toEqual([...m.labelNames].sort());
      expect(new Date(i.createdAt).toISOString()).toBe(m.createdAt);
      if (m.startedAt) expect(new Date(i.startedAt).toISOString()).toBe(m.startedAt);
      const comments = (await t.current.get(`/api/issues/${i.id}/comments?order=asc`)).body as any[];
      expect(comments.map((c) => c.body).sort()).toEqual(m.comments.map((c: any) => c.body).sort());
      for (const c of m.comments) {
        const got = comments.find((x) => x.body === c.body);
        expect(new Date(got.createdAt).toISOString()).toBe(c.createdAt);
      }
      for (const d of m.documents) {
        const doc = await t.current.get(`/api/issues/${i.id}/documents/${d.key}`);
        expect(doc.status, JSON.stringify(doc.body)).toBe(200);
        expect(doc.body.title).toBe(d.title);
        expect(doc.body.body).toBe(fixture.files[d.path]);
      }
    }
    // The next issue continues after the imported numbers.
    const next = await t.current.post(`/api/companies/${companyId}/issues`, { title: "after import" });
    const highest = Math.max(...manifest.issues.map((i: any) => Number(i.identifier.split("-")[1])));
    expect(next.body.identifier).toBe(`${company.issuePrefix}-${highest + 1}`);
  });

  it("reports a taken issue prefix and agent name conflicts, and applies with renames", async () => {
    // The first test took the package's prefix; a second import must say so and pick another.
    const preview = await t.current.post("/api/companies/import/preview", { source });
    expect(preview.status).toBe(200);
    const wanted = manifest.issues[0].identifier.split("-")[0];
    const prefixConflict = preview.body.conflicts.find((c: any) => c.kind === "issue_prefix");
    expect(prefixConflict?.slug).toBe(wanted);
    expect(preview.body.issuePrefix).not.toBe(wanted);

    const company = await createCompany(t.current, { name: "Target Co" });
    const existing = await createAgent(t.current, company.id, { name: manifest.agents[0].name });
    const into = await t.current.post(`/api/companies/${company.id}/imports/preview`, { source });
    expect(into.status).toBe(200);
    const nameConflict = into.body.conflicts.find((c: any) => c.kind === "agent_name");
    expect(nameConflict?.slug).toBe(manifest.agents[0].slug);

    const skip = await t.current.post(`/api/companies/${company.id}/imports/apply`, { source, collisionStrategy: "skip" });
    expect(skip.status, JSON.stringify(skip.body)).toBe(200);
    const landed = skip.body.agents.find((a: any) => a.slug === manifest.agents[0].slug);
    expect(landed).toMatchObject({ id: existing.id, action: "skipped" });
    const agents = (await t.current.get(`/api/companies/${company.id}/agents`)).body as any[];
    expect(agents.length).toBe(manifest.agents.length);
    for (const r of skip.body.issues) expect(r.identifier.startsWith(`${company.issuePrefix}-`)).toBe(true);
  });

  it("is all or nothing: a failing apply leaves no company, agents or instruction files", async () => {
    const before = (await t.current.get("/api/companies")).body.length;
    // A fault the package checks cannot see: the database refuses one comment, late in the transaction.
    await t.current.tdb.db.exec(`
      CREATE FUNCTION portability_test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.body = 'FAIL-HERE' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER portability_test_fault BEFORE INSERT ON issue_comments FOR EACH ROW EXECUTE FUNCTION portability_test_fault();`);
    const files = { ...fixture.files };
    const comment = manifest.issues.flatMap((i: any) => i.comments)[0].body;
    files[".paperclip.yaml"] = files[".paperclip.yaml"].replace(JSON.stringify(comment), '"FAIL-HERE"');
    expect(files[".paperclip.yaml"]).toContain("FAIL-HERE");
    const instructionsRoot = path.join(t.current.home, "agent-instructions");
    const dirsBefore = fs.existsSync(instructionsRoot) ? fs.readdirSync(instructionsRoot).length : 0;
    try {
      const res = await t.current.post("/api/companies/import", { source: { ...source, files } });
      expect(res.status, JSON.stringify(res.body)).toBe(500);
    } finally {
      await t.current.tdb.db.exec("DROP TRIGGER portability_test_fault ON issue_comments; DROP FUNCTION portability_test_fault();");
    }
    expect((await t.current.get("/api/companies")).body.length).toBe(before);
    expect(fs.existsSync(instructionsRoot) ? fs.readdirSync(instructionsRoot).length : 0).toBe(dirsBefore);
  });

  it("answers bad packages with a 4xx naming the problem", async () => {
    const bad = async (files: Record<string, unknown>, pattern: RegExp) => {
      const res = await t.current.post("/api/companies/import/preview", { source: { type: "inline", files } });
      expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.error).toMatch(pattern);
    };
    await bad({ "README.md": "hi" }, /COMPANY\.md/);
    await bad({ ...fixture.files, "../evil.md": "x" }, /leaves the package/);
    await bad({ ...fixture.files, ".paperclip.yaml": "agents: [unclosed" }, /\.paperclip\.yaml is not valid YAML/);
    await bad(
      { ...fixture.files, ".paperclip.yaml": fixture.files[".paperclip.yaml"].replace('status: "todo"', 'status: "someday"') },
      /task 'noraaa-3' status/,
    );
    await bad({ ...fixture.files, "tasks/noraaa-2/TASK.md": '---\nname: "x"\nassignee: "nobody"\n---\n' }, /assignee names 'nobody'/);
    await bad(
      { ...fixture.files, ".paperclip.yaml": fixture.files[".paperclip.yaml"].replace("schemaVersion: 7", "schemaVersion: 99") },
      /schemaVersion 99/,
    );
    await bad(
      {
        ...fixture.files,
        ".paperclip.yaml": fixture.files[".paperclip.yaml"].replace(
          'color: "#ef4444"',
          'color: "#ef4444"\n  -\n    name: "BUG"\n    color: "#000000"',
        ),
      },
      /Duplicate label 'bug'/,
    );
    await bad(
      {
        ...fixture.files,
        ".paperclip.yaml": fixture.files[".paperclip.yaml"].replace('createdAt: "2026-12-03T17:23:43.340Z"', 'createdAt: "yesterday"'),
      },
      /task 'noraaa-3' createdAt/,
    );
    const noBody = await t.current.post("/api/companies/import", { target: { mode: "new_company" } });
    expect(noBody.status).toBe(400);
  });

  it("is a board action", async () => {
    const res = await t.current.post("/api/companies/import/preview", { source }, { anonymous: true });
    expect(res.status).toBe(401);
  });
});
