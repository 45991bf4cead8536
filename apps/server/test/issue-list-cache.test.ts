import { brotliDecompressSync } from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Queryable } from "../src/db/database.js";
import { openPostgres } from "../src/db/postgres.js";
import { createLogger } from "../src/logger.js";
import { buildApp } from "../src/server.js";
import { createIssueListCache, issueListCacheFromEnv, type IssueListCache } from "../src/issues/list-cache.js";
import { acceptsBrotli } from "../src/http/accept-encoding.js";
import { useTestApp, TEST_JWT_SECRET } from "./helpers/test-app.js";
import { createCompany, createIssue } from "./helpers/fixtures.js";
import { onPostgres } from "./helpers/test-db.js";

/**
 * The issue list cache (src/issues/list-cache.ts, migration 0023): a kept page is answered only
 * while the company's list version is the one read with it; every committed change to the
 * company's issues, issue labels or labels, by this server or any other, moves the version.
 */

/** A fake database: answers the version check from `version` and builds pages named after the key. */
function fakeDb() {
  const state = { version: "1" as string | null, pages: 0, checks: 0 };
  const q: Queryable = {
    async query<T>(sql: string, params: readonly unknown[] = []) {
      if (sql.startsWith("SELECT version::text")) {
        state.checks++;
        return (state.version === null ? [] : [{ version: state.version }]) as T[];
      }
      state.pages++;
      return [{ version: state.version, body: `["${String(params[0])}#${state.pages}"]` }] as T[];
    },
  };
  return { q, state };
}

describe("issue list cache (unit)", () => {
  it("answers a kept page after one version check, and builds it again when the version moved", async () => {
    const { q, state } = fakeDb();
    const cache = createIssueListCache({ maxBytes: 1024 });
    const first = await cache.page(q, "c1", "SELECT page", ["a"]);
    expect(first.body.toString()).toBe('["a#1"]');
    expect((await cache.page(q, "c1", "SELECT page", ["a"])).body.toString()).toBe('["a#1"]');
    expect(state).toMatchObject({ pages: 1, checks: 1 });
    state.version = "7";
    expect((await cache.page(q, "c1", "SELECT page", ["a"])).body.toString()).toBe('["a#2"]');
    expect(cache.stats).toMatchObject({ hits: 1, misses: 2, entries: 1 });
  });

  it("treats a company without a version row as version 0", async () => {
    const { q, state } = fakeDb();
    state.version = null;
    const cache = createIssueListCache({ maxBytes: 1024 });
    await cache.page(q, "c1", "SELECT page", ["a"]);
    await cache.page(q, "c1", "SELECT page", ["a"]);
    expect(state.pages).toBe(1);
    state.version = "3";
    await cache.page(q, "c1", "SELECT page", ["a"]);
    expect(state.pages).toBe(2);
  });

  it("keys pages by statement and parameters", async () => {
    const { q, state } = fakeDb();
    const cache = createIssueListCache({ maxBytes: 1024 });
    await cache.page(q, "c1", "SELECT page", ["a"]);
    expect((await cache.page(q, "c1", "SELECT page", ["b"])).body.toString()).toBe('["b#2"]');
    expect((await cache.page(q, "c1", "SELECT other", ["a"])).body.toString()).toBe('["a#3"]');
    expect(state.pages).toBe(3);
  });

  it("drops the least recently used page past the entry bound, and never keeps a page over a quarter of the bytes", async () => {
    const { q, state } = fakeDb();
    const cache = createIssueListCache({ maxBytes: 1024, maxEntries: 2 });
    await cache.page(q, "c1", "S", ["a"]);
    await cache.page(q, "c1", "S", ["b"]);
    await cache.page(q, "c1", "S", ["a"]); // a is now the most recent
    await cache.page(q, "c1", "S", ["c"]); // b goes
    expect(state.pages).toBe(3);
    await cache.page(q, "c1", "S", ["a"]);
    expect(state.pages).toBe(3);
    await cache.page(q, "c1", "S", ["b"]);
    expect(state.pages).toBe(4);
    expect(cache.stats.entries).toBe(2);

    const big = createIssueListCache({ maxBytes: 16 });
    await big.page(q, "c1", "S", ["a-long-key"]);
    await big.page(q, "c1", "S", ["a-long-key"]);
    expect(big.stats).toMatchObject({ hits: 0, misses: 2, entries: 0, bytes: 0 });
  });

  it("keeps the bytes bound", async () => {
    const { q } = fakeDb();
    const cache = createIssueListCache({ maxBytes: 40 });
    for (const k of ["a", "b", "c", "d", "e", "f"]) await cache.page(q, "c1", "S", [k]);
    expect(cache.stats.bytes).toBeLessThanOrEqual(40);
    // Brotli copies land on the thread pool's schedule and count too, so fewer pages may remain.
    expect(cache.stats.entries).toBeGreaterThanOrEqual(1);
    expect(cache.stats.entries).toBeLessThanOrEqual(Math.floor(40 / '["a#1"]'.length));
  });

  it("does not let a slower build of an older version replace a newer page", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let builds = 0;
    const q: Queryable = {
      async query<T>(sql: string) {
        if (sql.startsWith("SELECT version::text")) return [{ version: "9" }] as T[];
        builds++;
        // The first build read version 8 and finishes after the second, which read 9.
        if (builds === 1) {
          await gate;
          return [{ version: "8", body: '["old"]' }] as T[];
        }
        return [{ version: "9", body: '["new"]' }] as T[];
      },
    };
    const cache = createIssueListCache({ maxBytes: 1024 });
    const slow = cache.page(q, "c1", "S", []);
    expect((await cache.page(q, "c1", "S", [])).body.toString()).toBe('["new"]');
    release();
    expect((await slow).body.toString()).toBe('["old"]');
    expect((await cache.page(q, "c1", "S", [])).body.toString()).toBe('["new"]');
    expect(builds).toBe(2);
  });

  it("gives a kept page a Brotli copy (off this thread), counted in the byte bound", async () => {
    const { q } = fakeDb();
    const cache = createIssueListCache({ maxBytes: 4096 });
    const first = await cache.page(q, "c1", "SELECT page", ["a"]);
    expect(first.brotli).toBeNull();
    const copy = await brotliOf(cache, q);
    expect(brotliDecompressSync(copy).toString()).toBe('["a#1"]');
    expect(cache.stats.bytes).toBe('["a#1"]'.length + copy.length);
  });

  it("reads its size from STAPLE_ISSUE_LIST_CACHE_MB and names a bad value", async () => {
    expect(() => issueListCacheFromEnv({ STAPLE_ISSUE_LIST_CACHE_MB: "lots" })).toThrow(/STAPLE_ISSUE_LIST_CACHE_MB.*"lots"/);
    expect(() => issueListCacheFromEnv({ STAPLE_ISSUE_LIST_CACHE_MB: "-1" })).toThrow(/from 0 to 4096/);
    const { q, state } = fakeDb();
    const none = issueListCacheFromEnv({ STAPLE_ISSUE_LIST_CACHE_MB: "0" });
    await none.page(q, "c1", "SELECT page", ["a"]);
    await none.page(q, "c1", "SELECT page", ["a"]);
    expect(state).toMatchObject({ pages: 2, checks: 0 });
  });
});

/** The kept page's Brotli copy, once the thread pool has made it (bounded wait). */
async function brotliOf(cache: IssueListCache, q: Queryable): Promise<Buffer> {
  for (let i = 0; i < 200; i++) {
    const page = await cache.page(q, "c1", "SELECT page", ["a"]);
    if (page.brotli) return page.brotli;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("no Brotli copy after 1 s");
}

describe("Accept-Encoding", () => {
  it.each([
    [undefined, false],
    ["", false],
    ["gzip, deflate", false],
    ["gzip, deflate, br", true],
    ["br", true],
    ["BR;q=0.5", true],
    ["gzip, br;q=0", false],
    ["br ; q=0.000", false],
    ["*", false],
    ["brotli", false],
  ])("%j accepts Brotli: %s", (header, expected) => {
    expect(acceptsBrotli(header)).toBe(expected);
  });
});

const t = useTestApp();
type Listed = { id: string; title: string; status: string; labels: { id: string; name: string }[] };

async function list(companyId: string, query = "limit=1000"): Promise<Listed[]> {
  const res = await t.current.get(`/api/companies/${companyId}/issues?${query}`);
  expect(res.status).toBe(200);
  return res.body as Listed[];
}

/** Counts page builds (the list statement) against version checks on the app's own database. */
function watchStatements() {
  const db = t.current.tdb.db;
  const spy = vi.spyOn(db, "query");
  const count = (re: RegExp) => spy.mock.calls.filter(([sql]) => re.test(sql)).length;
  return {
    builds: () => count(/json_agg\(t\)/),
    checks: () => count(/^SELECT version::text AS version FROM issue_list_versions/),
    restore: () => spy.mockRestore(),
  };
}

describe("issue list cache on the database", () => {
  afterEach(() => vi.restoreAllMocks());

  it("answers an unchanged list without building it again, and another company's change leaves it kept", async () => {
    const a = await createCompany(t.current, { name: "Cache A" });
    const b = await createCompany(t.current, { name: "Cache B" });
    await createIssue(t.current, a.id, { title: "A1" });
    await createIssue(t.current, b.id, { title: "B1" });
    const first = await list(a.id);
    const watch = watchStatements();
    expect(await list(a.id)).toEqual(first);
    expect(watch.builds()).toBe(0);
    expect(watch.checks()).toBe(1);
    await createIssue(t.current, b.id, { title: "B2" });
    expect(await list(a.id)).toEqual(first);
    expect(watch.builds()).toBe(0);
    expect((await list(b.id)).map((i) => i.title).sort()).toEqual(["B1", "B2"]);
  });

  it("shows every change made through the API: create, update, labels, label rename and delete, issue delete", async () => {
    const c = await createCompany(t.current, { name: "Cache API" });
    const issue = await createIssue(t.current, c.id, { title: "first" });
    expect((await list(c.id)).map((i) => i.title)).toEqual(["first"]);
    await createIssue(t.current, c.id, { title: "second" });
    expect((await list(c.id)).map((i) => i.title).sort()).toEqual(["first", "second"]);

    expect((await t.current.patch(`/api/issues/${issue.id}`, { title: "renamed", status: "cancelled" })).status).toBe(200);
    const afterPatch = await list(c.id);
    expect(afterPatch.find((i) => i.id === issue.id)).toMatchObject({ title: "renamed", status: "cancelled" });
    expect((await list(c.id, "status=todo,backlog")).map((i) => i.title)).toEqual(["second"]);

    const label = (await t.current.post(`/api/companies/${c.id}/labels`, { name: "bug", color: "#ff0000" })).body as { id: string };
    expect((await t.current.patch(`/api/issues/${issue.id}`, { labelIds: [label.id] })).status).toBe(200);
    expect((await list(c.id)).find((i) => i.id === issue.id)!.labels.map((l) => l.name)).toEqual(["bug"]);
    expect((await t.current.patch(`/api/labels/${label.id}`, { name: "defect" })).status).toBe(200);
    expect((await list(c.id)).find((i) => i.id === issue.id)!.labels.map((l) => l.name)).toEqual(["defect"]);
    expect((await t.current.del(`/api/labels/${label.id}`)).status).toBe(200);
    expect((await list(c.id)).find((i) => i.id === issue.id)!.labels).toEqual([]);

    expect((await t.current.del(`/api/issues/${issue.id}`)).status).toBe(200);
    expect((await list(c.id)).map((i) => i.title)).toEqual(["second"]);
  });

  it("shows changes written straight to the database, as another server would write them", async () => {
    const db = t.current.tdb.db;
    const c = await createCompany(t.current, { name: "Cache SQL" });
    const issue = await createIssue(t.current, c.id, { title: "before" });
    const label = (await t.current.post(`/api/companies/${c.id}/labels`, { name: "ops", color: "#00ff00" })).body as { id: string };
    await list(c.id);

    await db.query("UPDATE issues SET title = 'after' WHERE id = $1", [issue.id]);
    expect((await list(c.id))[0]!.title).toBe("after");
    await db.query("INSERT INTO issue_labels (issue_id, label_id, company_id) VALUES ($1, $2, $3)", [issue.id, label.id, c.id]);
    expect((await list(c.id))[0]!.labels.map((l) => l.name)).toEqual(["ops"]);
    await db.query("UPDATE labels SET name = 'infra' WHERE id = $1", [label.id]);
    expect((await list(c.id))[0]!.labels.map((l) => l.name)).toEqual(["infra"]);
    await db.query("DELETE FROM issue_labels WHERE issue_id = $1", [issue.id]);
    expect((await list(c.id))[0]!.labels).toEqual([]);
    // Several rows in one transaction: one version for the lot, and the list shows all of it.
    await db.tx(async (q) => {
      await q.query("UPDATE issues SET title = 'tx one' WHERE id = $1", [issue.id]);
      await q.query("UPDATE issues SET status = 'blocked' WHERE id = $1", [issue.id]);
    });
    expect((await list(c.id))[0]).toMatchObject({ title: "tx one", status: "blocked" });
    // A rolled-back change moves nothing and shows nothing.
    await expect(
      db.tx(async (q) => {
        await q.query("UPDATE issues SET title = 'rolled back' WHERE id = $1", [issue.id]);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect((await list(c.id))[0]!.title).toBe("tx one");
    await db.query("DELETE FROM issues WHERE id = $1", [issue.id]);
    expect(await list(c.id)).toEqual([]);
  });

  it("deleting a company with issues and labels still works (its version row goes with it)", async () => {
    const c = await createCompany(t.current, { name: "Cache Gone" });
    const issue = await createIssue(t.current, c.id, { title: "x" });
    const label = (await t.current.post(`/api/companies/${c.id}/labels`, { name: "l", color: "#0000ff" })).body as { id: string };
    await t.current.patch(`/api/issues/${issue.id}`, { labelIds: [label.id] });
    await t.current.tdb.db.query("DELETE FROM companies WHERE id = $1", [c.id]);
    expect(await t.current.tdb.db.query("SELECT 1 FROM issue_list_versions WHERE company_id = $1", [c.id])).toEqual([]);
  });

  it("answers a kept page Brotli-compressed to clients that accept br, and plain to the others", async () => {
    const c = await createCompany(t.current, { name: "Cache Brotli" });
    for (let i = 0; i < 20; i++) await createIssue(t.current, c.id, { title: `issue ${i}` });
    const get = (acceptEncoding: string) =>
      t.current.app.request(`/api/companies/${c.id}/issues?limit=1000`, {
        headers: { authorization: `Bearer ${t.current.boardToken}`, "accept-encoding": acceptEncoding },
      });
    const plain = await (await get("gzip, deflate")).text();
    let compressed: Response | undefined;
    for (let i = 0; i < 200 && !compressed; i++) {
      const res = await get("gzip, deflate, br");
      expect(res.headers.get("vary")).toBe("accept-encoding");
      if (res.headers.get("content-encoding") === "br") compressed = res;
      else await new Promise((r) => setTimeout(r, 5));
    }
    expect(compressed, "no Brotli answer within 1 s").toBeDefined();
    const bytes = Buffer.from(await compressed!.arrayBuffer());
    expect(bytes.length).toBeLessThan(Buffer.byteLength(plain) / 3);
    expect(brotliDecompressSync(bytes).toString()).toBe(plain);
    const refused = await get("gzip, br;q=0");
    expect(refused.headers.get("content-encoding")).toBeNull();
    expect(await refused.text()).toBe(plain);
    // After a change the page is built again and first goes out plain, with the new title.
    await createIssue(t.current, c.id, { title: "new one" });
    const after = await get("br");
    expect(after.headers.get("content-encoding")).toBeNull();
    expect((JSON.parse(await after.text()) as Listed[]).map((i) => i.title)).toContain("new one");
  });

  it.skipIf(!onPostgres())("a second server's commit is seen by the first, and an uncommitted change is not", async () => {
    const c = await createCompany(t.current, { name: "Cache Two Servers" });
    const issue = await createIssue(t.current, c.id, { title: "one" });
    await list(c.id);
    const otherDb = await openPostgres({ connectionString: t.current.tdb.url!, maxConnections: 2 });
    try {
      const other = await buildApp(
        otherDb,
        { deploymentMode: "local_trusted", agentJwtSecret: TEST_JWT_SECRET, home: t.current.home },
        createLogger("silent"),
      );
      const res = await other.app.request(`/api/issues/${issue.id}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${other.boardToken}`, "content-type": "application/json" },
        body: JSON.stringify({ title: "two" }),
      });
      expect(res.status).toBe(200);
      expect((await list(c.id))[0]!.title).toBe("two");

      let commit!: () => void;
      const held = new Promise<void>((r) => (commit = r));
      let written!: () => void;
      const wrote = new Promise<void>((r) => (written = r));
      const tx = otherDb.tx(async (q) => {
        await q.query("UPDATE issues SET title = 'three' WHERE id = $1", [issue.id]);
        written();
        await held;
      });
      await wrote;
      expect((await list(c.id))[0]!.title).toBe("two");
      commit();
      await tx;
      expect((await list(c.id))[0]!.title).toBe("three");
    } finally {
      await otherDb.close();
    }
  });
});
