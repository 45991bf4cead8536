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
 * Bounded: at most `maxBytes` of pages and `maxEntries` pages; the least recently used go first.
 * A page larger than a quarter of `maxBytes` is not kept.
 */
export interface IssueListCache {
  /** The page for `sql` (a statement returning `body`: the page's JSON text) and its params. */
  page(q: Queryable, companyId: string, sql: string, params: readonly unknown[]): Promise<Buffer<ArrayBuffer>>;
  readonly stats: { hits: number; misses: number; bytes: number; entries: number };
}

interface Entry {
  version: string;
  body: Buffer<ArrayBuffer>;
}

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
    bytes -= old.body.length;
  }

  function keep(key: string, entry: Entry) {
    drop(key);
    if (entry.body.length > opts.maxBytes / 4) return;
    entries.set(key, entry);
    bytes += entry.body.length;
    for (const oldest of entries.keys()) {
      if (bytes <= opts.maxBytes && entries.size <= maxEntries) break;
      drop(oldest);
    }
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
          return kept.body;
        }
      }
      misses++;
      // One statement, so one snapshot: the version read is exactly the one the page reflects.
      const [row] = await q.query<{ version: string | null; body: string }>(
        `SELECT (${versionSql(`$${params.length + 1}`)}) AS version, page.body FROM (${sql}) page`,
        [...params, companyId],
      );
      const body = Buffer.from(row!.body);
      const entry = { version: row!.version ?? "0", body };
      const newer = entries.get(key);
      // A slower build that read an older version must not replace a newer page.
      if (!newer || BigInt(newer.version) <= BigInt(entry.version)) keep(key, entry);
      return body;
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
      return Buffer.from(row!.body);
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
