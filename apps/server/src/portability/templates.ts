import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CompanyTemplate, PackageFiles } from "@staple/contracts";
import { notFound } from "../errors.js";
import { parseFrontmatter } from "./files.js";

/** apps/server/templates, from src/portability (tests) and dist/portability (the built server) alike. */
export const TEMPLATES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../templates");
const NAME = /^[a-z0-9][a-z0-9-]*$/;

function readDir(root: string, dir = root, out: PackageFiles = {}, budget = { left: 500 }): PackageFiles {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (--budget.left < 0) break;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) readDir(root, full, out, budget);
    else if (entry.isFile()) out[path.relative(root, full).split(path.sep).join("/")] = fs.readFileSync(full, "utf8");
  }
  return out;
}

/** The bundled starter templates: each a package folder with a COMPANY.md. */
export function listTemplates(dir = TEMPLATES_DIR): CompanyTemplate[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && NAME.test(e.name) && fs.existsSync(path.join(dir, e.name, "COMPANY.md")))
    .map((e) => {
      const { frontmatter } = parseFrontmatter(fs.readFileSync(path.join(dir, e.name, "COMPANY.md"), "utf8"), `${e.name}/COMPANY.md`);
      const agentsDir = path.join(dir, e.name, "agents");
      return {
        name: e.name,
        title: typeof frontmatter.name === "string" ? frontmatter.name : e.name,
        description: typeof frontmatter.description === "string" ? frontmatter.description : "",
        agents: fs.existsSync(agentsDir) ? fs.readdirSync(agentsDir).length : 0,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function templateFiles(name: string, dir = TEMPLATES_DIR): PackageFiles {
  if (!NAME.test(name) || !fs.existsSync(path.join(dir, name, "COMPANY.md"))) {
    throw notFound(`No template named '${name}' (see GET /api/company-templates)`);
  }
  return readDir(path.join(dir, name));
}
