import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess, type ServerProcess } from "../../server/test/helpers/server-process.js";
import { ok, okJson, runCli } from "./helpers/cli.js";

// `staple init --template`, `staple company export` and `staple company import` against a real server.
let server: ServerProcess;
let env: Record<string, string>;
let dir: string;
const FIXTURE = path.resolve(import.meta.dirname, "../../server/test/fixtures/paperclip-2026.916.1-company-export.json");
const fixture = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));

beforeAll(async () => {
  server = await startServerProcess({});
  env = { STAPLE_API_URL: server.url, STAPLE_HOME: server.home };
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-cli-package-"));
});

afterAll(async () => {
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("staple init and company export/import", () => {
  it("init lists the templates and creates a company from one", async () => {
    expect(await ok(["init"], env)).toMatch(/solo-founder .*\(1 agents\)/);
    const out = await ok(["init", "--template", "small-software-team", "--name", "Acme Software"], env);
    expect(out).toMatch(/^Imported Acme Software \(prefix ACM\): 4 agents, 1 projects, 2 issues: [0-9a-f-]{36}$/m);
    const unknown = await runCli(["init", "--template", "nope"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("No template named 'nope'");
  });

  it("import --preview shows creates, conflicts and ignored items and creates nothing", async () => {
    const before = (await okJson<unknown[]>(["company", "list"], env)).length;
    const out = await ok(["company", "import", FIXTURE, "--preview"], env);
    expect(out).toContain(`Import into new company ${fixture.manifest.company.name}`);
    expect(out).toMatch(new RegExp(`creates: .*${fixture.manifest.agents.length} agents`));
    for (const a of fixture.manifest.agents) expect(out).toContain(`+ agent ${a.name}`);
    for (const s of fixture.manifest.skills) expect(out).toContain(`- skill ${s.name}: Staple has no skills`);
    expect((await okJson<unknown[]>(["company", "list"], env)).length).toBe(before);
  });

  it("imports a JSON export, exports it as a folder and a zip, and imports the folder and the zip again", async () => {
    const imported = await okJson<any>(["company", "import", FIXTURE], env);
    expect(imported.issues.map((i: any) => i.identifier).sort()).toEqual(fixture.manifest.issues.map((i: any) => i.identifier).sort());

    const folder = path.join(dir, "northwind");
    expect(await ok(["company", "export", imported.company.id, "--out", folder], env)).toMatch(/^Exported \d+ files to /);
    for (const a of fixture.manifest.agents) expect(fs.existsSync(path.join(folder, "agents", a.slug, "AGENTS.md"))).toBe(true);
    expect(fs.readFileSync(path.join(folder, "COMPANY.md"), "utf8")).toContain(fixture.manifest.company.name);
    // A second export into the same folder refuses instead of mixing files.
    const again = await runCli(["company", "export", imported.company.id, "--out", folder], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("is not empty");

    const zip = path.join(dir, "northwind.zip");
    await ok(["company", "export", imported.company.id, "--out", zip], env);
    const entries = Object.keys(unzipSync(fs.readFileSync(zip))).sort();
    expect(entries).toEqual(
      fs
        .readdirSync(folder, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(folder, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
        .sort(),
    );

    for (const source of [folder, zip]) {
      const res = await okJson<any>(["company", "import", source, "--name", `Copy via ${path.extname(source) || "folder"}`], env);
      expect(res.company.name).toBe(`Copy via ${path.extname(source) || "folder"}`);
      expect(res.agents.length).toBe(fixture.manifest.agents.length);
      expect(res.issues.map((i: any) => i.identifier.split("-")[1]).sort()).toEqual(
        fixture.manifest.issues.map((i: any) => i.identifier.split("-")[1]).sort(),
      );
    }
  });

  it("bad input: a missing path and a non-package file exit 1 naming them; no argument exits 2", async () => {
    const missing = await runCli(["company", "import", path.join(dir, "nothing-here")], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no such file or folder");
    const notPackage = path.join(dir, "notes.json");
    fs.writeFileSync(notPackage, JSON.stringify({ "README.md": "hello" }));
    const rejected = await runCli(["company", "import", notPackage, "--preview"], env);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain("COMPANY.md");
    expect((await runCli(["company", "import"], env)).code).toBe(2);
  });
});
