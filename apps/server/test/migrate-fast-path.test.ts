import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { loadMigrations, migrate } from "../src/db/migrate.js";
import { createTestDatabase, type TestDatabase } from "./helpers/test-db.js";

/** Counts every statement sent through the handle, transactions included. */
function counting(db: Database) {
  const c = { n: 0 };
  const counted: Database = {
    ...db,
    query: (sql, params) => {
      c.n++;
      return db.query(sql, params);
    },
    exec: (sql) => {
      c.n++;
      return db.exec(sql);
    },
    tx: (fn) =>
      db.tx((q) =>
        fn({
          query: (sql, params) => {
            c.n++;
            return q.query(sql, params);
          },
        }),
      ),
  };
  return { c, db: counted };
}

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
}, 120_000);
afterAll(() => tdb?.drop());

// The restart path (bench W3): an up-to-date database is checked with one read, not a locked
// transaction per migration.
describe("migrate on an up-to-date database", () => {
  it("costs two statements whatever the number of migrations, and applies nothing", async () => {
    const { c, db } = counting(tdb.db);
    expect(loadMigrations().length).toBeGreaterThan(10);
    expect(await migrate(db)).toEqual([]);
    expect(c.n).toBe(2);
  });

  it("still applies a missing migration through the locked path", async () => {
    const base = loadMigrations();
    const extra = { id: base.length + 1, name: "fast_path_extra", sql: "CREATE TABLE fast_path_extra (id int);" };
    const { c, db } = counting(tdb.db);
    expect(await migrate(db, [...base, extra])).toEqual([`${String(extra.id).padStart(4, "0")}_fast_path_extra`]);
    expect(c.n).toBeGreaterThan(base.length);
    const [row] = await tdb.db.query<{ exists: boolean }>("SELECT to_regclass('fast_path_extra') IS NOT NULL AS exists");
    expect(row!.exists).toBe(true);
  });
});
