import fs from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { backgroundOf } from "../src/db/database.js";
import { openEmbedded } from "../src/db/embedded.js";
import { openPostgres } from "../src/db/postgres.js";
import { createTestDatabase, onPostgres } from "./helpers/test-db.js";
import { DatabaseTurns, FOREGROUND_STREAK, nextLane, withTurn, type Lane } from "../src/db/turns.js";

// Turns at the embedded database (src/db/turns.ts): requests before the run engine's work, the
// engine never shut out, and the event loop let through while the queue drains.

describe("nextLane", () => {
  it.each([
    // foreground waiting, background waiting, foreground turns in a row, limit → next
    [0, 0, 0, 3, undefined],
    [1, 0, 0, 3, "foreground"],
    [0, 1, 0, 3, "background"],
    [2, 2, 0, 3, "foreground"],
    [2, 2, 2, 3, "foreground"],
    [2, 2, 3, 3, "background"],
    [5, 0, 9, 3, "foreground"], // nobody else waits: the streak does not matter
    [0, 4, 9, 3, "background"],
    [1, 1, 0, 0, "background"], // a limit of 0: strictly alternating is not possible, background first
  ] as const)("fg %i, bg %i, streak %i, limit %i → %s", (fg, bg, streak, limit, expected) => {
    expect(nextLane(fg, bg, streak, limit)).toBe(expected);
  });
});

/** Records the order in which callers got their turn; each holds it until `free()` is called. */
function recorder(turns: DatabaseTurns) {
  const order: string[] = [];
  const releases: (() => void)[] = [];
  const take = (name: string, lane: Lane) =>
    turns.acquire(lane).then(() => {
      order.push(name);
      return new Promise<void>((resolve) => releases.push(resolve)).then(() => turns.release());
    });
  const free = async () => {
    releases.shift()!();
    // Let the hand-over happen (it may go through the event loop).
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  };
  return { order, take, free };
}

describe("DatabaseTurns", () => {
  it("gives an uncontended turn at once, and frees it when nobody waits", async () => {
    const turns = new DatabaseTurns();
    let got = false;
    void turns.acquire("background").then(() => (got = true));
    await Promise.resolve();
    expect(got).toBe(true);
    turns.release();
    expect(turns.waiting).toEqual({ foreground: 0, background: 0 });
    let again = false;
    void turns.acquire("foreground").then(() => (again = true));
    await Promise.resolve();
    expect(again).toBe(true);
  });

  it("one turn at a time: the second caller waits until the first releases", async () => {
    const turns = new DatabaseTurns();
    const r = recorder(turns);
    const a = r.take("a", "background");
    const b = r.take("b", "background");
    await new Promise((res) => setImmediate(res));
    expect(r.order).toEqual(["a"]);
    expect(turns.waiting).toEqual({ foreground: 0, background: 1 });
    await r.free();
    expect(r.order).toEqual(["a", "b"]);
    await r.free();
    await Promise.all([a, b]);
  });

  it("a waiting request goes before earlier background work", async () => {
    const turns = new DatabaseTurns();
    const r = recorder(turns);
    const all = [r.take("engine-1", "background"), r.take("engine-2", "background"), r.take("engine-3", "background")];
    await new Promise((res) => setImmediate(res));
    all.push(r.take("request", "foreground"));
    await new Promise((res) => setImmediate(res));
    await r.free(); // engine-1 done
    expect(r.order).toEqual(["engine-1", "request"]);
    for (let i = 0; i < 3; i++) await r.free();
    await Promise.all(all);
    expect(r.order).toEqual(["engine-1", "request", "engine-2", "engine-3"]);
  });

  it(`background work gets a turn after at most ${FOREGROUND_STREAK} request turns in a row`, async () => {
    const turns = new DatabaseTurns();
    const r = recorder(turns);
    const all = [r.take("first", "foreground"), r.take("engine", "background")];
    for (let i = 1; i <= 6; i++) all.push(r.take(`req-${i}`, "foreground"));
    await new Promise((res) => setImmediate(res));
    for (let i = 0; i < 8; i++) await r.free();
    await Promise.all(all);
    expect(r.order).toEqual(["first", "req-1", "req-2", "req-3", "engine", "req-4", "req-5", "req-6"]);
  });

  it("with a capacity of 3, three hold turns at once and a request is next in line", async () => {
    const turns = new DatabaseTurns(3);
    const r = recorder(turns);
    const all = ["e1", "e2", "e3", "e4"].map((name) => r.take(name, "background"));
    await new Promise((res) => setImmediate(res));
    expect(r.order).toEqual(["e1", "e2", "e3"]);
    all.push(r.take("request", "foreground"));
    await r.free();
    expect(r.order).toEqual(["e1", "e2", "e3", "request"]);
    for (let i = 0; i < 4; i++) await r.free();
    await Promise.all(all);
    expect(r.order).toEqual(["e1", "e2", "e3", "request", "e4"]);
    expect(() => new DatabaseTurns(0)).toThrow(/capacity/);
  });

  it("lets the event loop run while a queue drains: a callback scheduled meanwhile runs before the queue ends", async () => {
    const turns = new DatabaseTurns();
    const events: string[] = [];
    // 200 queued turns of ~0.1 ms of synchronous work each (~20 ms in all): without going through the
    // event loop they would all run in one microtask checkpoint, before any timer or socket.
    const busy = () => {
      const until = performance.now() + 0.1;
      while (performance.now() < until) {
        /* spin */
      }
    };
    const queue = Array.from({ length: 200 }, (_, i) =>
      withTurn(turns, "background", async () => {
        busy();
        events.push(`turn ${i}`);
      }),
    );
    setImmediate(() => events.push("event loop"));
    await Promise.all(queue);
    const at = events.indexOf("event loop");
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(events.length - 1);
  });
});

describe("the embedded database's lanes", () => {
  it("shares one sequence of turns: a request's statement runs before queued engine work", { timeout: 120_000 }, async () => {
    const db = await openEmbedded({ template: fs.readFileSync(inject("embeddedTemplatePath")) });
    try {
      const engine = backgroundOf(db);
      expect(engine).not.toBe(db);
      await db.exec("CREATE TABLE turn_probe (seq serial PRIMARY KEY, who text NOT NULL)");
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      // The engine holds a transaction; more engine work and then a request queue behind it.
      const first = engine.tx(async (q) => {
        await q.query("INSERT INTO turn_probe (who) VALUES ('engine-tx')");
        await held;
      });
      await new Promise((r) => setImmediate(r));
      const queued = [1, 2, 3].map((i) => engine.query("INSERT INTO turn_probe (who) VALUES ($1)", [`engine-${i}`]));
      await new Promise((r) => setImmediate(r));
      const request = db.query("INSERT INTO turn_probe (who) VALUES ('request')");
      release();
      await Promise.all([first, ...queued, request]);
      const rows = await db.query<{ who: string }>("SELECT who FROM turn_probe ORDER BY seq");
      expect(rows.map((r) => r.who)).toEqual(["engine-tx", "request", "engine-1", "engine-2", "engine-3"]);
    } finally {
      await db.close();
    }
  });

  it("a failed statement or transaction gives its turn back", { timeout: 120_000 }, async () => {
    const db = await openEmbedded({ template: fs.readFileSync(inject("embeddedTemplatePath")) });
    try {
      await expect(db.query("SELECT * FROM no_such_table")).rejects.toThrow(/no_such_table/);
      await expect(
        backgroundOf(db).tx(async (q) => {
          await q.query("SELECT 1");
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      const [row] = await db.query<{ one: number }>("SELECT 1 AS one");
      expect(row!.one).toBe(1);
      const [again] = await backgroundOf(db).query<{ two: number }>("SELECT 2 AS two");
      expect(again!.two).toBe(2);
    } finally {
      await db.close();
    }
  });
});

describe.skipIf(!onPostgres())("Postgres: the pool's connections go to requests first", () => {
  it("with every connection taken by the engine, a request's statement runs before queued engine work", { timeout: 60_000 }, async () => {
    const tdb = await createTestDatabase();
    const db = await openPostgres({ connectionString: tdb.url!, maxConnections: 2 });
    try {
      const engine = backgroundOf(db);
      expect(engine).not.toBe(db);
      await db.exec("CREATE TABLE turn_probe (seq serial PRIMARY KEY, who text NOT NULL)");
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const holders = [1, 2].map((i) =>
        engine.tx(async (q) => {
          await q.query("SELECT $1::int", [i]);
          await held;
        }),
      );
      await new Promise((r) => setTimeout(r, 50));
      const queued = [1, 2, 3].map((i) => engine.query("INSERT INTO turn_probe (who) VALUES ($1)", [`engine-${i}`]));
      await new Promise((r) => setTimeout(r, 20));
      const request = db.query("INSERT INTO turn_probe (who) VALUES ('request')");
      release();
      await Promise.all([...holders, ...queued, request]);
      const rows = await db.query<{ who: string }>("SELECT who FROM turn_probe ORDER BY seq");
      // Two connections come free at once: the request takes one, the oldest engine statement the other.
      expect(rows.map((r) => r.who).indexOf("request")).toBeLessThanOrEqual(1);
      expect(rows).toHaveLength(4);
    } finally {
      await db.close();
      await tdb.drop();
    }
  });
});
