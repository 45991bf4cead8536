import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The issue execution lock (execution_run_id, execution_agent_name_key, execution_locked_at,
 * checkout_run_id) has one writer: apps/server/src/issues/execution-lock.ts. Other modules call its
 * functions or embed its SQL fragments; none assigns a lock column itself.
 */
const LOCK = "(?:checkout_run_id|execution_run_id|execution_agent_name_key|execution_locked_at)";

function lockWrites(text: string): number[] {
  const lines = new Set<number>();
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;
  // SQL: assignments in the SET list of an UPDATE of issues.
  for (const m of text.matchAll(/UPDATE\s+issues\b(?:\s+\w+)?\s+SET\b([\s\S]*?)(?:\bWHERE\b|\bFROM\b|\bRETURNING\b|`|"|$)/gi)) {
    if (new RegExp(`(^|[\\s,(])(\\w+\\.)?${LOCK}\\s*=`).test(m[1]!)) lines.add(lineOf(m.index!));
  }
  // SQL: an INSERT into issues naming a lock column.
  for (const m of text.matchAll(/INSERT\s+INTO\s+issues\s*\(([^)]*)\)/gi)) {
    if (new RegExp(`\\b${LOCK}\\b`).test(m[1]!)) lines.add(lineOf(m.index!));
  }
  // TypeScript: a column map entry (`set.execution_run_id = …`, `{ execution_run_id: … }`).
  for (const m of text.matchAll(new RegExp(`(?:\\.\\s*${LOCK}\\s*=(?!=)|[{,]\\s*["']?${LOCK}["']?\\s*:(?!:))`, "g")))
    lines.add(lineOf(m.index!));
  return [...lines];
}

describe("the issue execution lock has one writer", () => {
  it("the detector sees SQL and column-map writes, and ignores reads", () => {
    expect(lockWrites("`UPDATE issues SET status = 'x', execution_run_id = NULL WHERE id = $1`")).toEqual([1]);
    expect(lockWrites("`UPDATE issues SET\n checkout_run_id = $2 WHERE id = $1`")).toEqual([1]);
    expect(lockWrites('set.execution_locked_at = "NULL";')).toEqual([1]);
    expect(lockWrites('const s = { execution_agent_name_key: "NULL" };')).toEqual([1]);
    expect(lockWrites("`INSERT INTO issues (id, execution_run_id) VALUES ($1, $2)`")).toEqual([1]);
    expect(lockWrites("`UPDATE issues SET status = 'todo' WHERE id = $1 AND execution_run_id = $2`")).toEqual([]);
    expect(lockWrites("`SELECT execution_run_id FROM issues WHERE execution_run_id = $1`")).toEqual([]);
    expect(lockWrites("if (issue.executionRunId === run.id) return;")).toEqual([]);
  });

  it("no file but issues/execution-lock.ts writes a lock column", () => {
    const src = path.resolve(import.meta.dirname, "../src");
    const owner = path.join(src, "issues/execution-lock.ts");
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith(".ts") && full !== owner) {
          for (const line of lockWrites(fs.readFileSync(full, "utf8"))) offenders.push(`${path.relative(src, full)}:${line}`);
        }
      }
    };
    walk(src);
    expect(offenders).toEqual([]);
    // The owner really is the writer (the detector finds its statements).
    expect(lockWrites(fs.readFileSync(owner, "utf8")).length).toBeGreaterThan(3);
  });
});
