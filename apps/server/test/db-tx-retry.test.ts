import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, onPostgres, type TestDatabase } from "./helpers/test-db.js";

/**
 * `Database.tx` on Postgres runs a transaction again when Postgres aborted it as the victim of a
 * deadlock (db/database.ts): two transactions taking two rows in opposite orders both end committed,
 * and the victim's function ran twice. Postgres only (the embedded database runs one at a time).
 */
describe.skipIf(!onPostgres())("a deadlock victim is run again", () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
    await tdb.db.exec("CREATE TABLE tx_retry_probe (id int PRIMARY KEY, n int NOT NULL); INSERT INTO tx_retry_probe VALUES (1, 0), (2, 0)");
  });
  afterAll(async () => {
    await tdb?.drop();
  });

  it("both transactions commit; one ran twice", async () => {
    const calls = { a: 0, b: 0 };
    let arrived = 0;
    let open!: () => void;
    const both = new Promise<void>((r) => (open = r));
    const meet = async () => {
      if (++arrived === 2) open();
      await Promise.race([both, new Promise((r) => setTimeout(r, 2_000))]);
    };
    const take = (name: "a" | "b", first: number, second: number) =>
      tdb.db.tx(async (q) => {
        calls[name]++;
        await q.query("UPDATE tx_retry_probe SET n = n + 1 WHERE id = $1", [first]);
        if (calls[name] === 1) await meet(); // only the first attempt waits for the other
        await q.query("UPDATE tx_retry_probe SET n = n + 1 WHERE id = $1", [second]);
      });
    await Promise.all([take("a", 1, 2), take("b", 2, 1)]);
    expect(calls.a + calls.b).toBe(3);
    const rows = await tdb.db.query<{ id: number; n: number }>("SELECT id, n FROM tx_retry_probe ORDER BY id");
    expect(rows).toEqual([
      { id: 1, n: 2 },
      { id: 2, n: 2 },
    ]);
  }, 20_000);
});
