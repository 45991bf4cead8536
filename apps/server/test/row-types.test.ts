import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { selectList, tableColumns, type TableColumns } from "../src/db/row-columns.js";
import type { Queryable } from "../src/db/database.js";
import { COMPANY_ROW } from "../src/companies/service.js";
import { AGENT_ROW } from "../src/agents/service.js";
import { ISSUE_ROW } from "../src/issues/rows.js";
import { RUN_ROW } from "../src/runs/rows.js";
import { COMMENT_ROW } from "../src/issues/comments.js";
import { DOCUMENT_ROW, ISSUE_DOCUMENT_ROW } from "../src/documents/service.js";
import { ACTIVITY_ROW } from "../src/activity/service.js";

/**
 * Row types against the migrated schema. Each row module lists the columns its SELECT reads, and its
 * row interface is checked against that list at compile time (`RowMatches` in db/row-columns.ts);
 * here each list is checked against `information_schema.columns` of the migrated test database, so
 * a migration that renames or drops a column a row type reads fails this test.
 */

const t = useTestApp();

const ROWS: Record<string, TableColumns> = {
  CompanyRow: COMPANY_ROW,
  AgentRow: AGENT_ROW,
  IssueRow: ISSUE_ROW,
  RunRow: RUN_ROW,
  CommentRow: COMMENT_ROW,
  "DocRow (link)": ISSUE_DOCUMENT_ROW,
  "DocRow (document)": DOCUMENT_ROW,
  ActivityRow: ACTIVITY_ROW,
};

/** Columns of the spec that the table does not have (empty when the row type matches the schema). */
async function missingColumns(q: Queryable, spec: TableColumns): Promise<string[]> {
  const rows = await q.query<{ columnName: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
    [spec.table],
  );
  const present = new Set(rows.map((r) => r.columnName));
  return spec.columns.filter((c) => !present.has(c));
}

describe("row types match the migrated schema", () => {
  it("covers the main tables", () => {
    expect(new Set(Object.values(ROWS).map((s) => s.table))).toEqual(
      new Set(["companies", "agents", "issues", "heartbeat_runs", "issue_comments", "issue_documents", "documents", "activity_log"]),
    );
  });

  for (const [name, spec] of Object.entries(ROWS)) {
    it(`${name}: every column it reads exists in ${spec.table}`, async () => {
      expect(spec.columns.length).toBeGreaterThan(3);
      expect(new Set(spec.columns).size, "no column listed twice").toBe(spec.columns.length);
      expect(await missingColumns(t.current.tdb.db, spec)).toEqual([]);
    });
  }

  it("a renamed or dropped column is reported", async () => {
    const renamed = tableColumns("companies", [...COMPANY_ROW.columns.filter((c) => c !== "brand_color"), "brand_colour"]);
    expect(await missingColumns(t.current.tdb.db, renamed)).toEqual(["brand_colour"]);
    expect(await missingColumns(t.current.tdb.db, tableColumns("no_such_table", ["id"]))).toEqual(["id"]);
  });

  it("the select lists read rows whose keys are the listed columns, camelCased", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    await createIssue(t.current, company.id, { assigneeAgentId: agent.id, status: "todo" });
    const camel = (c: string) => c.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
    for (const spec of [COMPANY_ROW, AGENT_ROW, ISSUE_ROW, RUN_ROW, ACTIVITY_ROW]) {
      const scope = spec.table === "companies" ? "x.id" : "x.company_id";
      const [row] = await t.current.tdb.db.query<Record<string, unknown>>(
        `SELECT ${selectList(spec, "x")} FROM ${spec.table} x WHERE ${scope} = $1 LIMIT 1`,
        [company.id],
      );
      expect(row, `${spec.table} has a row of the company`).toBeDefined();
      expect(Object.keys(row!).sort(), spec.table).toEqual(spec.columns.map(camel).sort());
    }
  });
});
