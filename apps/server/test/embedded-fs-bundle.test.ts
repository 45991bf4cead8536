import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { openEmbedded } from "../src/db/embedded.js";
import { type FsManifest, FS_MANIFEST_PATH, partialFsBundle, rangesToRead, unusedOnExistingCluster } from "../src/db/embedded-fs-bundle.js";
import { onPostgres } from "./helpers/test-db.js";

// An existing embedded cluster opens with only part of PGlite's file bundle (db/embedded-fs-bundle.ts).
// These pin down what is left out, that what a running server uses is still there, and that a
// left-out file is missing (a clean error), not zeros.

describe("which of PGlite's files an existing cluster goes without", () => {
  it.each([
    ["/pglite/share/postgresql/postgres.bki", true],
    ["/pglite/share/postgresql/information_schema.sql", true],
    ["/pglite/share/postgresql/postgresql.conf.sample", true],
    ["/pglite/lib/postgresql/utf8_and_sjis.so", true],
    ["/pglite/lib/postgresql/latin2_and_win1250.so", true],
    ["/pglite/lib/postgresql/utf8_and_iso8859_1.so", true],
    ["/pglite/lib/postgresql/euc2004_sjis2004.so", true],
    ["/pglite/lib/postgresql/libpqwalreceiver.so", true],
    ["/pglite/lib/postgresql/pgxs/src/Makefile.global", true],
    ["/pglite/lib/postgresql/plpgsql.so", false],
    ["/pglite/lib/postgresql/dict_snowball.so", false],
    ["/pglite/share/postgresql/extension/plpgsql.control", false],
    ["/pglite/share/postgresql/timezone/America/New_York", false],
    ["/pglite/share/postgresql/timezonesets/Default", false],
    ["/pglite/share/postgresql/tsearch_data/english.stop", false],
    ["/pglite/share/postgresql/samples/postgres.bki", false],
    ["/pglite/icu/icudt76l/coll/root.res", false],
    ["/pglite/password", false],
  ])("%s → %s", (name, unused) => {
    expect(unusedOnExistingCluster(name)).toBe(unused);
  });

  it("reads the kept files in as few ranges as they allow", () => {
    const manifest: FsManifest = {
      pglite: "x",
      size: 100,
      files: [
        { name: "a", start: 0, end: 10 },
        { name: "b", start: 10, end: 30 },
        { name: "skip", start: 30, end: 60 },
        { name: "empty", start: 60, end: 60 },
        { name: "c", start: 60, end: 100 },
      ],
    };
    expect(rangesToRead(manifest, (n) => n === "skip")).toEqual([
      [0, 30],
      [60, 100],
    ]);
  });

  it("the build's manifest describes the installed bundle and leaves out megabytes", () => {
    expect(fs.existsSync(FS_MANIFEST_PATH), `${FS_MANIFEST_PATH} (npm run build writes it)`).toBe(true);
    const partial = partialFsBundle();
    expect(partial).toBeDefined();
    const manifest: FsManifest = JSON.parse(fs.readFileSync(FS_MANIFEST_PATH, "utf8"));
    expect(partial!.skipped).toContain("/pglite/share/postgresql/postgres.bki");
    expect(manifest.size - partial!.bytesRead).toBeGreaterThan(3 * 1024 * 1024);
  });

  it("a manifest of another bundle is not used", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-fsm-"));
    const other = path.join(dir, "manifest.json");
    const manifest: FsManifest = JSON.parse(fs.readFileSync(FS_MANIFEST_PATH, "utf8"));
    fs.writeFileSync(other, JSON.stringify({ ...manifest, size: manifest.size + 1 }));
    expect(partialFsBundle(other)).toBeUndefined();
    fs.writeFileSync(other, JSON.stringify({ ...manifest, pglite: "0.0.1" }));
    expect(partialFsBundle(other)).toBeUndefined();
    expect(partialFsBundle(path.join(dir, "missing.json"))).toBeUndefined();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe.skipIf(onPostgres())("an existing cluster on the partial bundle", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-fsb-"));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("runs plpgsql, text search, time zones and ICU collations; a left-out file is missing", async () => {
    const created = await openEmbedded({ dataDir, template: fs.readFileSync(inject("embeddedTemplatePath")) });
    await created.close();
    const db = await openEmbedded({ dataDir });
    try {
      await db.exec(`CREATE FUNCTION twice(n int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN n * 2; END $$`);
      expect(await db.query("SELECT twice(21) AS v")).toEqual([{ v: 42 }]);
      expect(await db.query("SELECT to_tsvector('english', 'The dogs were running')::text AS v")).toEqual([{ v: "'dog':2 'run':4" }]);
      const [zoned] = await db.query<{ v: string }>(
        "SELECT (timestamptz '2026-07-01 12:00:00+00' AT TIME ZONE 'America/New_York')::text AS v",
      );
      expect(zoned!.v).toBe("2026-07-01 08:00:00");
      expect(await db.query("SELECT extract(hour FROM timestamptz '2026-01-01 12:00 EST' AT TIME ZONE 'UTC') AS v")).toEqual([{ v: "17" }]);
      expect(await db.query(`SELECT 'b' > 'a' COLLATE "und-x-icu" AS v`)).toEqual([{ v: true }]);
      expect(await db.query("SELECT pg_stat_file('/pglite/share/postgresql/postgres.bki', true) IS NULL AS gone")).toEqual([
        { gone: true },
      ]);
      expect(await db.query("SELECT pg_stat_file('/pglite/lib/postgresql/plpgsql.so', true) IS NULL AS gone")).toEqual([{ gone: false }]);
      // A conversion that is left out fails as a missing library; the database goes on.
      await expect(db.query("SELECT convert_to('x', 'SJIS')")).rejects.toThrow(/utf8_and_sjis|could not access file/);
      expect(await db.query("SELECT 1 AS v")).toEqual([{ v: 1 }]);
    } finally {
      await db.close();
    }
  });
});
