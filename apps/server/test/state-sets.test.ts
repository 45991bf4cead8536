import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as enums from "@staple/contracts";
import { findRetypedStateLists } from "./helpers/state-set-scan.js";

/**
 * Every status list comes from the frozen constants in packages/contracts/src/enums.ts (or the
 * shared SQL predicates built from them): a literal list of two or more members of one state set,
 * in SQL text (`IN ('a', 'b')`) or a TypeScript array (`["a", "b"]`), anywhere else in the server
 * or the packages is a retyped copy that will drift.
 */
const root = path.resolve(import.meta.dirname, "../../..");
const ALLOWED = new Set(["packages/contracts/src/enums.ts", "apps/server/src/db/predicates.ts"]);

const STATE_SETS: Record<string, readonly string[]> = {
  RUN_STATUSES: enums.RUN_STATUSES,
  ISSUE_STATUSES: enums.ISSUE_STATUSES,
  AGENT_STATUSES: enums.AGENT_STATUSES,
  WAKEUP_STATUSES: enums.WAKEUP_STATUSES,
  APPROVAL_STATUSES: enums.APPROVAL_STATUSES,
  COMPANY_STATUSES: enums.COMPANY_STATUSES,
  GOAL_STATUSES: enums.GOAL_STATUSES,
  PROJECT_STATUSES: enums.PROJECT_STATUSES,
  BUDGET_INCIDENT_STATUSES: enums.BUDGET_INCIDENT_STATUSES,
  ENVIRONMENT_LEASE_STATUSES: enums.ENVIRONMENT_LEASE_STATUSES,
  WORK_PRODUCT_STATUSES: enums.WORK_PRODUCT_STATUSES,
  TREE_HOLD_STATUSES: enums.TREE_HOLD_STATUSES,
};

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === "dist") continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) out.push(full);
    }
  };
  walk(path.join(root, "apps/server/src"));
  const packages = path.join(root, "packages");
  for (const dir of [packages, path.join(packages, "adapters")]) {
    for (const pkg of fs.readdirSync(dir)) {
      const src = path.join(dir, pkg, "src");
      if (fs.existsSync(src)) walk(src);
    }
  }
  return out;
}

describe("state sets come from one place", () => {
  it("the scanner finds retyped lists in SQL and TypeScript (and ignores single values and other words)", () => {
    const text = [
      "const a = `SELECT 1 FROM heartbeat_runs WHERE status IN ('queued', 'scheduled_retry', 'running')`;",
      'const b = ["paused", "terminated"];',
      "const c = ['done',\n  'cancelled'];",
      'const d = ["queued"]; const e = ["alpha", "beta"]; const f = ("x", "done");',
      "const g = `status NOT IN ('done', 'cancelled')`;",
    ].join("\n");
    const hits = findRetypedStateLists(text, STATE_SETS);
    expect(hits.map((h) => [h.line, h.set])).toEqual([
      [1, "RUN_STATUSES"],
      [2, "AGENT_STATUSES"],
      [3, "ISSUE_STATUSES"],
      [6, "ISSUE_STATUSES"],
    ]);
  });

  it("no file outside contracts/enums.ts and db/predicates.ts retypes a state list", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles()) {
      const rel = path.relative(root, file).split(path.sep).join("/");
      if (ALLOWED.has(rel)) continue;
      for (const hit of findRetypedStateLists(fs.readFileSync(file, "utf8"), STATE_SETS)) {
        offenders.push(`${rel}:${hit.line} ${hit.text} (members of ${hit.set})`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
