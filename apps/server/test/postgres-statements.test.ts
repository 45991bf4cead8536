import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgres } from "../src/db/postgres.js";
import { isStalePlan, PostgresStatementNames } from "../src/db/postgres-statements.js";
import type { Database } from "../src/db/database.js";
import { createTestDatabase, onPostgres, type TestDatabase } from "./helpers/test-db.js";

describe("which statements the Postgres driver names (postgres-statements.ts)", () => {
  it("a text is named from its third use, keeps its name, and parameterless texts stay unnamed", () => {
    const names = new PostgresStatementNames(10, 3);
    const sql = "SELECT $1::int";
    expect(names.config(sql, [1]).name).toBeUndefined();
    expect(names.config(sql, [1]).name).toBeUndefined();
    const named = names.config(sql, [1]).name;
    expect(named).toMatch(/^staple_\d+$/);
    expect(names.config(sql, [2])).toEqual({ name: named, text: sql, values: [2] });
    for (let i = 0; i < 5; i++) expect(names.config("SELECT 1; SELECT 2", undefined).name).toBeUndefined();
    for (let i = 0; i < 5; i++) expect(names.config("SELECT now()", []).name).toBeUndefined();
  });

  it("no more than `max` texts are named; the rest run unnamed", () => {
    const names = new PostgresStatementNames(2, 1);
    expect(names.config("SELECT $1::int AS a", [1]).name).toBeDefined();
    expect(names.config("SELECT $1::int AS b", [1]).name).toBeDefined();
    expect(names.config("SELECT $1::int AS c", [1]).name).toBeUndefined();
    expect(names.size).toBe(2);
  });

  it("renew gives a text a new name; renewAll gives every text one", () => {
    const names = new PostgresStatementNames(10, 1);
    const a = names.config("SELECT $1::int AS a", [1]).name;
    const b = names.config("SELECT $1::int AS b", [1]).name;
    names.renew("SELECT $1::int AS a");
    const a2 = names.config("SELECT $1::int AS a", [1]).name;
    expect(a2).not.toBe(a);
    expect(names.config("SELECT $1::int AS b", [1]).name).toBe(b);
    names.renewAll();
    expect(names.config("SELECT $1::int AS a", [1]).name).not.toBe(a2);
    expect(names.config("SELECT $1::int AS b", [1]).name).not.toBe(b);
  });

  it("recognises Postgres's stale-plan error and nothing else", () => {
    expect(isStalePlan({ code: "0A000", message: "cached plan must not change result type" })).toBe(true);
    expect(isStalePlan({ code: "0A000", message: "something else not supported" })).toBe(false);
    expect(isStalePlan({ code: "40P01", message: "deadlock detected" })).toBe(false);
    expect(isStalePlan(null)).toBe(false);
  });
});

/**
 * On a real server: statements are prepared once per connection, and a prepared statement whose
 * result columns change (another server's migration) is prepared again instead of failing.
 */
describe.skipIf(!onPostgres())("named statements on Postgres", () => {
  let tdb: TestDatabase;
  let other: Database;
  beforeAll(async () => {
    tdb = await createTestDatabase();
    // A second pool on the same database: the "other server" whose DDL the first does not see coming.
    other = await openPostgres({ connectionString: tdb.url!, maxConnections: 1 });
    await other.exec("CREATE TABLE prepared_probe (id int PRIMARY KEY, a text)");
    await other.query("INSERT INTO prepared_probe VALUES ($1, $2)", [1, "x"]);
  });
  afterAll(async () => {
    await other?.close();
    await tdb?.drop();
  });

  it("a statement used repeatedly is prepared on the connection, once", async () => {
    const prepared = await tdb.db.tx(async (q) => {
      for (let i = 0; i < 5; i++) await q.query("SELECT a FROM prepared_probe WHERE id = $1", [1]);
      return q.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE statement = $1", [
        "SELECT a FROM prepared_probe WHERE id = $1",
      ]);
    });
    expect(prepared).toHaveLength(1);
    expect(prepared[0]!.name).toMatch(/^staple_\d+$/);
  });

  it("after another server adds a column, a prepared SELECT * answers with it, outside and inside a transaction", async () => {
    const sql = "SELECT * FROM prepared_probe WHERE id = $1";
    // Prepared on every pooled connection the loop touches (10 connections at most).
    await Promise.all(Array.from({ length: 12 }, () => tdb.db.query(sql, [1])));
    await Promise.all(Array.from({ length: 12 }, () => tdb.db.tx((q) => q.query(sql, [1]))));
    await other.exec("ALTER TABLE prepared_probe ADD COLUMN b int DEFAULT 7");
    const rows = await Promise.all(Array.from({ length: 12 }, () => tdb.db.query<{ id: number; a: string; b: number }>(sql, [1])));
    for (const r of rows) expect(r).toEqual([{ id: 1, a: "x", b: 7 }]);
    await other.exec("ALTER TABLE prepared_probe ADD COLUMN c int DEFAULT 8");
    const inTx = await Promise.all(
      Array.from({ length: 12 }, () => tdb.db.tx((q) => q.query<{ id: number; a: string; b: number; c: number }>(sql, [1]))),
    );
    for (const r of inTx) expect(r).toEqual([{ id: 1, a: "x", b: 7, c: 8 }]);
  });
});
