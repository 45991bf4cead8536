import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The agent skill shipped with the server (apps/server/skill/staple/SKILL.md). */
export const SKILL_SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../skill/staple/SKILL.md");

export function readSkill(): string {
  return fs.readFileSync(SKILL_SOURCE, "utf8");
}

/**
 * Installs the skill where CLI agents look for skills: STAPLE_HOME/skills/staple/SKILL.md. Claude
 * runs get `--add-dir` on STAPLE_HOME/skills; other agents read it from GET /api/skill.
 */
export function installSkill(home: string): string {
  const dir = path.join(home, "skills");
  const target = path.join(dir, "staple", "SKILL.md");
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const text = readSkill();
  if (!fs.existsSync(target) || fs.readFileSync(target, "utf8") !== text) fs.writeFileSync(target, text);
  return dir;
}
