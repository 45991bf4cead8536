import { brotliCompress, constants as zlibConstants } from "node:zlib";
import type { Queryable } from "../db/database.js";

/**
 * Issue list pages this server built, kept as the bytes it sent, each with the company's issue
 * list version read in the same statement as the page (migration 0023).
 *
 * Invariant: a kept page is answered only when the company's version, read by a statement of
 * its own just before, is the one read with the page. Every committed change to the company's
 * issues, issue labels or labels gives it a version never used before, in the same transaction,
 * so a page is never answered after a change any server committed before the check. The check
 * is one primary-key lookup instead of building the page (≈1 MB of JSON for 1,000 issues).
 *
 * A kept page also gets a Brotli copy, compressed on libuv's thread pool (not this thread) once
 * the page is kept; answers to clients that accept `br` use it from then on (a board's 0.9 MB list
 * goes out as tens of KB).
 *
 * Bounded: at most `maxBytes` of pages (with their Brotli copies) and `maxEntries` pages; the least
 * recently used go first. A page larger than a quarter of `maxBytes` is not kept.
 */
export interface IssueListCache {
  /** The page for `sql` (a statement returning `body`: the page's JSON text) and its params. */
  page(q: Queryable, companyId: string, sql: string, params: readonly unknown[]): Promise<IssueListPage>;
  readonly stats: { hits: number; misses: number; bytes: number; entries: number };
}

export interface IssueListPage {
  /** The JSON bytes. */
  body: Buffer<ArrayBuffer>;
  /** The same bytes Brotli-compressed, once a kept page's copy is ready (null until then). */
  brotli: Buffer<ArrayBuffer> | null;
}

interface Entry extends IssueListPage {
  version: string;
}

/** Quality 5: a 0.9 MB list compresses to 40–60 KB in a few milliseconds (11, the maximum, takes seconds). */
const brotliOptions = (length: number) => ({
  params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: length },
});
const size = (e: Entry) => e.body.length + (e.brotli?.length ?? 0);

/** The company's list version; `param` is the placeholder of the company id. */
const versionSql = (param: string) => `SELECT version::text AS version FROM issue_list_versions WHERE company_id = ${param}`;
/** A company with no row yet has never had an issue or label written: version "0". */
const versionOf = (rows: { version: string }[]) => rows[0]?.version ?? "0";

export function createIssueListCache(opts: { maxBytes: number; maxEntries?: number }): IssueListCache {
  const maxEntries = opts.maxEntries ?? 256;
  // Map iteration order is insertion order: re-inserting on use makes the first key the least recent.
  const entries = new Map<string, Entry>();
  let hits = 0;
  let misses = 0;
  let bytes = 0;

  function drop(key: string) {
    const old = entries.get(key);
    if (!old) return;
    entries.delete(key);
    bytes -= size(old);
  }

  function bound() {
    for (const oldest of entries.keys()) {
      if (bytes <= opts.maxBytes && entries.size <= maxEntries) break;
      drop(oldest);
    }
  }

  function keep(key: string, entry: Entry) {
    drop(key);
    if (entry.body.length > opts.maxBytes / 4) return;
    entries.set(key, entry);
    bytes += entry.body.length;
    bound();
    brotliCompress(entry.body, brotliOptions(entry.body.length), (error, compressed) => {
      // Attached only while this very entry is still kept (not dropped, not replaced meanwhile).
      if (error || entries.get(key) !== entry) return;
      entry.brotli = compressed as Buffer<ArrayBuffer>;
      bytes += compressed.length;
      bound();
    });
  }

  return {
    get stats() {
      return { hits, misses, bytes, entries: entries.size };
    },
    async page(q, companyId, sql, params) {
      // The statement text and its parameters (which include the company) are the whole input.
      const key = `${sql}\0${JSON.stringify(params)}`;
      const kept = entries.get(key);
      if (kept) {
        const current = versionOf(await q.query<{ version: string }>(versionSql("$1"), [companyId]));
        if (current === kept.version) {
          hits++;
          entries.delete(key);
          entries.set(key, kept);
          return kept;
        }
      }
      misses++;
      // One statement, so one snapshot: the version read is exactly the one the page reflects.
      const [row] = await q.query<{ version: string | null; body: string }>(
        `SELECT (${versionSql(`$${params.length + 1}`)}) AS version, page.body FROM (${sql}) page`,
        [...params, companyId],
      );
      const entry: Entry = { version: row!.version ?? "0", body: Buffer.from(row!.body), brotli: null };
      const newer = entries.get(key);
      // A slower build that read an older version must not replace a newer page.
      if (!newer || BigInt(newer.version) <= BigInt(entry.version)) keep(key, entry);
      return { body: entry.body, brotli: null };
    },
  };
}

/** A cache that keeps nothing (`STAPLE_ISSUE_LIST_CACHE_MB=0`): every page is built. */
export function noIssueListCache(): IssueListCache {
  let misses = 0;
  return {
    get stats() {
      return { hits: 0, misses, bytes: 0, entries: 0 };
    },
    async page(q, _companyId, sql, params) {
      misses++;
      const [row] = await q.query<{ body: string }>(sql, params);
      return { body: Buffer.from(row!.body), brotli: null };
    },
  };
}

/** `STAPLE_ISSUE_LIST_CACHE_MB`: megabytes of kept pages per server; unset = 32, 0 = none kept. */
export function issueListCacheFromEnv(env: NodeJS.ProcessEnv = process.env): IssueListCache {
  const raw = env.STAPLE_ISSUE_LIST_CACHE_MB;
  const mb = raw === undefined || raw === "" ? 32 : Number(raw);
  if (!Number.isInteger(mb) || mb < 0 || mb > 4096) {
    throw new Error(`STAPLE_ISSUE_LIST_CACHE_MB must be a whole number of megabytes from 0 to 4096, e.g. 32 (got "${raw}")`);
  }
  return mb === 0 ? noIssueListCache() : createIssueListCache({ maxBytes: mb * 1024 * 1024 });
}
