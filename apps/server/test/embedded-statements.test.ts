import { describe, expect, it } from "vitest";
import { pgErrorCode } from "../src/db/database.js";
import type { EmbeddedDatabase } from "../src/db/embedded.js";
import { embeddedDatabasesPerTest } from "./helpers/embedded-dbs.js";
import { onPostgres } from "./helpers/test-db.js";

// The embedded driver runs statements as named prepared statements (db/embedded-statements.ts).
// These pin down that it returns what PGlite.query returns, reuses and evicts statements, and
// survives a changed result type.

const openDb = embeddedDatabasesPerTest();

const prepared = async (db: EmbeddedDatabase) =>
  (await db.query<{ name: string; statement: string }>("SELECT name, statement FROM pg_prepared_statements ORDER BY prepare_time")).filter(
    (row) => !row.statement.includes("pg_prepared_statements"),
  );

const SCRATCH = `CREATE TABLE scratch (
  id bigserial PRIMARY KEY, title text NOT NULL UNIQUE, at timestamptz, doc jsonb, tags text[], done boolean, n int8)`;

describe.skipIf(onPostgres())("embedded prepared statements", () => {
  it("returns the same rows and types as PGlite.query (no cache) for the same statements", async () => {
    const results: unknown[] = [];
    for (const size of [0, 50]) {
      const db = await openDb(size);
      await db.exec(SCRATCH);
      const at = new Date("2026-12-04T10:00:00.123Z");
      await db.query("INSERT INTO scratch (title, at, doc, tags, done, n) VALUES ($1, $2, $3, $4, $5, $6)", [
        "first",
        at,
        { a: [1, 2], b: "x" },
        ["red", "blue"],
        true,
        9_007_199_254,
      ]);
      await db.query("INSERT INTO scratch (title, at, doc, tags, done, n) VALUES ($1, $2, $3, $4, $5, $6)", [
        "second",
        null,
        null,
        [],
        false,
        null,
      ]);
      const rows = await db.query(
        "SELECT id, title AS the_title, at, doc, tags, done, n FROM scratch WHERE title = ANY($1::text[]) ORDER BY id",
        [["first", "second"]],
      );
      results.push(rows);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[1]).toEqual([
      {
        id: 1,
        theTitle: "first",
        at: new Date("2026-12-04T10:00:00.123Z"),
        doc: { a: [1, 2], b: "x" },
        tags: ["red", "blue"],
        done: true,
        n: 9_007_199_254,
      },
      { id: 2, theTitle: "second", at: null, doc: null, tags: [], done: false, n: null },
    ]);
  });

  it("parses a statement once and reuses it; errors keep their code and constraint", async () => {
    const db = await openDb(50);
    await db.exec(SCRATCH);
    for (let i = 0; i < 20; i++) await db.query("INSERT INTO scratch (title) VALUES ($1)", [`t${i}`]);
    const statements = await prepared(db);
    expect(statements.filter((row) => row.statement.startsWith("INSERT INTO scratch"))).toHaveLength(1);

    const error = await db.query("INSERT INTO scratch (title) VALUES ($1)", ["t3"]).catch((e: unknown) => e);
    expect(pgErrorCode(error)).toBe("23505");
    expect((error as { constraint?: string }).constraint).toBe("scratch_title_key");
    expect((error as { query?: string }).query).toBe("INSERT INTO scratch (title) VALUES ($1)");
    // A syntax error is not cached and does not break the next statement.
    await expect(db.query("SELEC 1")).rejects.toMatchObject({ code: "42601" });
    expect(await db.query("SELECT count(*)::int AS n FROM scratch")).toEqual([{ n: 20 }]);
  });

  it("keeps at most the cache size, closing the least recently used", async () => {
    const db = await openDb(3);
    for (let i = 1; i <= 6; i++) await db.query(`SELECT ${i} AS n`);
    await db.query("SELECT 1 AS n"); // evicted earlier: prepared again, and the pending closes go out with it
    const statements = (await prepared(db)).map((row) => row.statement);
    expect(statements.length).toBeLessThanOrEqual(4);
    expect(statements).toContain("SELECT 1 AS n");
    expect(statements).not.toContain("SELECT 2 AS n");
    expect(await db.query("SELECT 6 AS n")).toEqual([{ n: 6 }]);
  });

  it("prepares again when the result type changes outside a transaction; inside one the error stands", async () => {
    const db = await openDb(50);
    await db.exec(SCRATCH);
    await db.query("INSERT INTO scratch (title) VALUES ('a')");
    expect(await db.query("SELECT * FROM scratch")).toEqual([{ id: 1, title: "a", at: null, doc: null, tags: null, done: null, n: null }]);
    await db.query("ALTER TABLE scratch ADD COLUMN extra text DEFAULT 'x'");
    expect(await db.query("SELECT * FROM scratch")).toEqual([
      { id: 1, title: "a", at: null, doc: null, tags: null, done: null, n: null, extra: "x" },
    ]);

    await db.query("ALTER TABLE scratch DROP COLUMN extra");
    await expect(db.tx((q) => q.query("SELECT * FROM scratch"))).rejects.toMatchObject({ code: "0A000" });
    // The transaction rolled back and the stale statement was dropped: the next call works.
    expect(await db.tx((q) => q.query("SELECT title FROM scratch"))).toEqual([{ title: "a" }]);
    expect(await db.query("SELECT * FROM scratch")).toHaveLength(1);
  });

  it("drops every statement after a script, runs transactions in isolation and refuses a closed transaction", async () => {
    const db = await openDb(50);
    await db.exec(SCRATCH);
    await db.query("SELECT title FROM scratch");
    expect((await prepared(db)).length).toBeGreaterThan(0);
    await db.exec("CREATE INDEX scratch_at_idx ON scratch (at)");
    expect(await prepared(db)).toEqual([]);

    let leaked: { query: (sql: string) => Promise<unknown> } | undefined;
    const outside: string[] = [];
    await db.tx(async (q) => {
      leaked = q;
      await q.query("INSERT INTO scratch (title) VALUES ('in-tx')");
      // A statement outside the transaction waits for it to end.
      void db.query<{ n: number }>("SELECT count(*)::int AS n FROM scratch").then((rows) => outside.push(`seen ${rows[0]!.n}`));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(outside).toEqual([]);
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(outside).toEqual(["seen 1"]);
    await expect(leaked!.query("SELECT 1")).rejects.toThrow("Transaction is closed");

    await expect(
      db.tx(async (q) => {
        await q.query("INSERT INTO scratch (title) VALUES ('rolled-back')");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await db.query("SELECT title FROM scratch ORDER BY id")).toEqual([{ title: "in-tx" }]);
  });
});
