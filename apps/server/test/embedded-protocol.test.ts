import { protocol } from "@electric-sql/pglite";
import { describe, expect, it } from "vitest";
import { bindExecuteSync, readExecuteResponse } from "../src/db/embedded-protocol.js";
import { embeddedDatabasesPerTest } from "./helpers/embedded-dbs.js";
import { onPostgres } from "./helpers/test-db.js";

// The embedded driver writes a prepared statement's Bind/Execute/Sync and reads its response
// itself (db/embedded-protocol.ts), leaving errors and notifications to PGlite's parser, and
// routes notifications to listeners (db/embedded-notifications.ts).

/** One backend message: type, then int32 length (itself included) and body. */
const message = (type: string, body: Buffer) => {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const dataRow = (fields: (string | null)[]) => {
  const parts = [Buffer.alloc(2)];
  parts[0]!.writeInt16BE(fields.length);
  for (const field of fields) {
    const length = Buffer.alloc(4);
    if (field === null) length.writeInt32BE(-1);
    else length.writeInt32BE(Buffer.byteLength(field));
    parts.push(length, ...(field === null ? [] : [Buffer.from(field)]));
  }
  return message("D", Buffer.concat(parts));
};
const cstring = (s: string) => Buffer.from(`${s}\0`);
const ready = message("Z", Buffer.from("I"));
const bindComplete = message("2", Buffer.alloc(0));
const complete = (tag: string) => message("C", cstring(tag));

/** What PGlite's own parser reads from the same bytes. */
function pgliteRows(response: Buffer): (string | null)[][] {
  const rows: (string | null)[][] = [];
  new protocol.Parser().parse(response, (m) => {
    if (m instanceof protocol.messages.DataRowMessage) rows.push(m.fields);
  });
  return rows;
}

describe("embedded protocol: reading a response", () => {
  it("reads data rows as PGlite's parser does: nulls, empty strings, multi-byte text", () => {
    const rows = [
      ["1", "日本語 ✓ 🚀", null, ""],
      [null, null, null, null],
      ["x".repeat(70_000), "é", "0", '{"a":[1,2]}'],
    ];
    const response = Buffer.concat([bindComplete, ...rows.map(dataRow), complete("SELECT 3"), ready]);
    expect(readExecuteResponse(response)).toEqual(rows);
    expect(readExecuteResponse(response)).toEqual(pgliteRows(response));
  });

  it("an answer without rows is an empty list", () => {
    expect(readExecuteResponse(Buffer.concat([bindComplete, message("n", Buffer.alloc(0)), complete("UPDATE 0"), ready]))).toEqual([]);
  });

  it.each([
    ["an error", message("E", Buffer.concat([cstring("SERROR"), cstring("C23505"), cstring("Mduplicate"), Buffer.from([0])]))],
    ["a notification", message("A", Buffer.concat([Buffer.from([0, 0, 0, 7]), cstring("staple_live"), cstring("{}")]))],
    ["an unknown message", message("?", Buffer.alloc(3))],
  ])("leaves %s to PGlite's parser", (_, odd) => {
    expect(readExecuteResponse(Buffer.concat([bindComplete, dataRow(["1"]), odd, complete("SELECT 1"), ready]))).toBeUndefined();
  });

  it("a response cut short is left to PGlite's parser, never read past its end", () => {
    const whole = Buffer.concat([bindComplete, dataRow(["abc", "def"]), ready]);
    for (let cut = 1; cut < whole.length; cut++) {
      const rows = readExecuteResponse(whole.subarray(0, cut));
      if (rows !== undefined) expect(rows.length).toBeLessThanOrEqual(1);
    }
    const lying = Buffer.from(dataRow(["abc"]));
    lying.writeInt32BE(1_000, 7); // a field longer than its message
    expect(readExecuteResponse(lying)).toBeUndefined();
  });

  it("writes Bind (unnamed portal, text formats) of the named statement, then Execute and Sync", () => {
    const bytes = Buffer.from(bindExecuteSync("staple_7", ["a", null, "日本", ""]));
    expect(String.fromCharCode(bytes[0]!)).toBe("B");
    const bindEnd = 1 + bytes.readInt32BE(1);
    let at = 5;
    const cstr = () => {
      const end = bytes.indexOf(0, at);
      const s = bytes.toString("utf8", at, end);
      at = end + 1;
      return s;
    };
    expect(cstr()).toBe(""); // portal
    expect(cstr()).toBe("staple_7");
    expect(bytes.readInt16BE(at)).toBe(0); // no format codes: text
    expect(bytes.readInt16BE(at + 2)).toBe(4);
    at += 4;
    const values: (string | null)[] = [];
    for (let i = 0; i < 4; i++) {
      const length = bytes.readInt32BE(at);
      at += 4;
      values.push(length < 0 ? null : bytes.toString("utf8", at, at + length));
      at += Math.max(0, length);
    }
    expect(values).toEqual(["a", null, "日本", ""]);
    expect(bytes.readInt16BE(at)).toBe(0); // results as text
    expect(at + 2).toBe(bindEnd);
    // Execute (unnamed portal, all rows) and Sync, as PGlite's serializer writes them.
    expect(bytes.subarray(bindEnd)).toEqual(Buffer.concat([protocol.serialize.execute({}), protocol.serialize.sync()]));
  });
});

const openDb = embeddedDatabasesPerTest();
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe.skipIf(onPostgres())("embedded protocol: statements and notifications on a real database", () => {
  it("parameters and results round-trip: multi-byte text, nulls, empty strings, long values", async () => {
    const db = await openDb(50);
    const long = "ü".repeat(100_000);
    const rows = await db.query<{ a: string | null; b: string | null; c: string; d: string; n: number }>(
      "SELECT $1::text AS a, $2::text AS b, $3::text AS c, $4::text AS d, length($4::text) AS n",
      ["日本語 ✓ 🚀", null, "", long],
    );
    expect(rows).toEqual([{ a: "日本語 ✓ 🚀", b: null, c: "", d: long, n: 100_000 }]);
    const many = await db.query<{ g: number }>("SELECT g FROM generate_series(1, 5000) g");
    expect(many.map((r) => r.g)).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
  });

  it("an error thrown from a prepared statement is PGlite's DatabaseError, and the next statement works", async () => {
    const db = await openDb(50);
    await db.exec("CREATE TABLE uniq (k text PRIMARY KEY)");
    await db.query("INSERT INTO uniq VALUES ($1)", ["a"]);
    const error = await db.query("INSERT INTO uniq VALUES ($1)", ["a"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(protocol.messages.DatabaseError);
    expect(error).toMatchObject({ code: "23505", constraint: "uniq_pkey" });
    expect(await db.query("SELECT count(*)::int AS n FROM uniq")).toEqual([{ n: 1 }]);
  });

  it("each notification reaches each listener once, whichever path read it; unlisten stops it", async () => {
    for (const size of [0, 50]) {
      const db = await openDb(size);
      const first: string[] = [];
      const second: string[] = [];
      const stopFirst = await db.listen("staple_test", (p) => first.push(p));
      const stopSecond = await db.listen("staple_test", (p) => second.push(p));
      const other: string[] = [];
      await db.listen("staple_other", (p) => other.push(p));
      await db.query("SELECT pg_notify('staple_test', $1)", ["autocommit"]); // a prepared statement's own commit
      await db.tx(async (q) => {
        await q.query("SELECT pg_notify('staple_test', $1)", ["in a transaction"]); // delivered by COMMIT
        await q.query("SELECT 1");
      });
      await db.exec("NOTIFY staple_test, 'script'");
      await tick();
      const expected = ["autocommit", "in a transaction", "script"];
      expect(first, `cache ${size}`).toEqual(expected);
      expect(second).toEqual(expected);
      expect(other).toEqual([]);
      await stopFirst();
      await db.query("SELECT pg_notify('staple_test', $1)", ["after"]);
      await tick();
      expect(first).toEqual(expected);
      expect(second).toEqual([...expected, "after"]);
      await stopSecond();
      const [listening] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_listening_channels() c WHERE c = 'staple_test'");
      expect(listening).toEqual({ n: 0 });
    }
  });

  it("a rolled-back NOTIFY is never delivered", async () => {
    const db = await openDb(50);
    const seen: string[] = [];
    await db.listen("staple_test", (p) => seen.push(p));
    await db
      .tx(async (q) => {
        await q.query("SELECT pg_notify('staple_test', 'rolled back')");
        throw new Error("abort");
      })
      .catch(() => {});
    await db.query("SELECT pg_notify('staple_test', 'kept')");
    await tick();
    expect(seen).toEqual(["kept"]);
  });
});
