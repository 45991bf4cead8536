import fs from "node:fs";
import path from "node:path";
import { PGlite, types } from "@electric-sql/pglite";
import { camelRows, type Database, type Queryable, type Row } from "./database.js";
import { partialFsBundle, removeSkippedFiles } from "./embedded-fs-bundle.js";
import { EmbeddedNotifications } from "./embedded-notifications.js";
import { EMBEDDED_STATEMENT_CACHE_SIZE, EmbeddedStatements } from "./embedded-statements.js";
import { useBaselineWasmCompiler } from "../v8-flags.js";
import { DatabaseTurns, withTurn, type Lane } from "./turns.js";

/** int8 columns (counters, token totals) fit comfortably in a double; return numbers, not strings. */
const parsers = { [types.INT8]: (value: string) => Number(value) };

export interface EmbeddedOptions {
  /** Directory of the cluster; omitted means in-memory (tests, template building). */
  dataDir?: string;
  /**
   * A gzipped tarball of an initialised, migrated cluster. Used only when the data directory is
   * empty: unpacking it takes well under a second where `initdb` inside PGlite takes several.
   */
  template?: Buffer;
  /**
   * Postgres `shared_buffers` inside PGlite (default {@link EMBEDDED_SHARED_BUFFERS}, or
   * `STAPLE_EMBEDDED_SHARED_BUFFERS`). PGlite's own default (128MB) is zeroed at open, so every
   * page of it is resident from the first second and the zeroing is most of the open time.
   */
  sharedBuffers?: string;
  /**
   * How many named prepared statements to keep (default {@link EMBEDDED_STATEMENT_CACHE_SIZE}, or
   * `STAPLE_EMBEDDED_STATEMENT_CACHE`); 0 sends every statement through `PGlite.query` as before.
   */
  statementCacheSize?: number;
}

/**
 * Small on purpose: the buffer pool is a cache in front of the data files, which stay in the
 * kernel's page cache after the first read, so a smaller pool costs reads through a syscall, not
 * disk I/O; it changes no durability or locking behaviour (WAL and fsync are as before). Measured
 * (docs/performance.md, W4 data, same minute): 128MB → 16MB takes the idle server's PSS from 336
 * to 212 MiB; the periodic pass at 100,000 runs was not slower.
 */
export const EMBEDDED_SHARED_BUFFERS = "16MB";

/**
 * Postgres sizes its shared memory for backends PGlite never has (it runs one backend in this
 * process: no other connections, WAL senders, replication slots or autovacuum workers), and PGlite
 * zeroes the whole segment at open, so all of it is resident. Sized for one backend, the segment
 * outside the buffer pool goes from 8 to 2.7 MB; measured on an existing cluster, the WebAssembly
 * memory's resident size went from 29.9 to 25.0 MB.
 * - huge_pages=off: with `try` the segment is rounded up to a 2 MB huge page, which WebAssembly
 *   memory never uses.
 * - io_max_concurrency=1: PGlite does all I/O synchronously (io_method=sync), so a backend never
 *   has more than one I/O in flight; the default sizes 0.75 MB of I/O handles for 64 each.
 * - The lock table is sized by max_locks_per_transaction × the backends (and may grow into the
 *   segment's free space): one transaction can still lock about 1,350 relations (measured: 1,356
 *   temporary tables created in one transaction; 7,725 before). Staple's largest transactions
 *   lock far fewer: the largest migration creates 38 tables and indexes, a company import writes
 *   a few dozen tables.
 * - wal_buffers: 512kB → 64kB. WAL is still written and flushed at every commit as before; a
 *   transaction writing more than 64 kB of WAL writes it out in more pieces.
 */
export const EMBEDDED_SERVER_SETTINGS = [
  "max_connections=4", // above superuser_reserved_connections (3), which Postgres requires
  "max_wal_senders=0",
  "max_replication_slots=0",
  "autovacuum_max_workers=1",
  "wal_buffers=64kB",
  "huge_pages=off",
  "io_max_concurrency=1",
];

export { EMBEDDED_WASM_FLAG } from "../v8-flags.js";

function isEmptyDir(dir: string): boolean {
  return !fs.existsSync(dir) || fs.readdirSync(dir).length === 0;
}

interface PGliteQueryTarget {
  query: PGlite["query"];
}

/** The `PGlite.query` path: parses and plans every statement (kept for a cache size of 0). */
function wrap(target: PGliteQueryTarget): Queryable {
  return {
    async query<T>(sql: string, params?: readonly unknown[]) {
      const result = await target.query<Row>(sql, params as unknown[] | undefined);
      return camelRows<T>(result.rows);
    },
  };
}

function statementCacheSize(option: number | undefined): number {
  if (option !== undefined) return option;
  const env = process.env.STAPLE_EMBEDDED_STATEMENT_CACHE;
  if (env === undefined || env === "") return EMBEDDED_STATEMENT_CACHE_SIZE;
  const size = Number(env);
  if (!Number.isInteger(size) || size < 0) throw new Error(`invalid STAPLE_EMBEDDED_STATEMENT_CACHE: ${env}`);
  return size;
}

/**
 * Queries through named prepared statements. Outside a transaction a statement takes PGlite's
 * transaction mutex (it waits for an open transaction to end, as `PGlite.query` does) and syncs the
 * file system after; inside one, only the query mutex, and the COMMIT syncs.
 */
function preparedQueries(pg: PGlite, statements: EmbeddedStatements) {
  const autocommit: Queryable = {
    async query<T>(sql: string, params: readonly unknown[] = []) {
      await pg._checkReady();
      return pg._runExclusiveTransaction(() =>
        pg._runExclusiveQuery(async () => {
          const rows = await statements.run<T>(sql, params, false);
          await pg.syncToFs();
          return rows;
        }),
      );
    },
  };
  const inTransaction = (isOpen: () => boolean): Queryable => ({
    async query<T>(sql: string, params: readonly unknown[] = []) {
      if (!isOpen()) throw new Error("Transaction is closed");
      return pg._runExclusiveQuery(() => statements.run<T>(sql, params, true));
    },
  });
  return { autocommit, inTransaction };
}

export interface EmbeddedDatabase extends Database {
  /** A gzipped tarball of the whole cluster (used to build templates). */
  dump(): Promise<Buffer>;
}

/**
 * PGlite runs Postgres inside this process. It executes one statement at a time; a transaction
 * holds the connection until it ends and other callers queue behind it, which is the isolation a
 * one-connection pool gives. `FOR UPDATE SKIP LOCKED` and advisory locks behave as on a server.
 */
export async function openEmbedded(options: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const { dataDir, template } = options;
  const loadDataDir = template && (!dataDir || isEmptyDir(dataDir)) ? new Blob([new Uint8Array(template)]) : undefined;
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const sharedBuffers = options.sharedBuffers ?? (process.env.STAPLE_EMBEDDED_SHARED_BUFFERS || EMBEDDED_SHARED_BUFFERS);
  if (!/^\d+(kB|MB|GB)$/.test(sharedBuffers)) throw new Error(`invalid shared_buffers for the embedded database: ${sharedBuffers}`);
  const startParams = [
    ...PGlite.defaultStartParams,
    ...[`shared_buffers=${sharedBuffers}`, ...EMBEDDED_SERVER_SETTINGS].flatMap((s) => ["-c", s]),
  ];
  useBaselineWasmCompiler();
  const cacheSize = statementCacheSize(options.statementCacheSize);
  // An existing cluster needs only part of PGlite's file bundle (embedded-fs-bundle.ts); creating
  // one (initdb, or a tarball template) reads it whole. STAPLE_EMBEDDED_FULL_FS_BUNDLE=1 always does.
  const existing = !!dataDir && !loadDataDir && fs.existsSync(path.join(dataDir, "PG_VERSION"));
  const partial = existing && process.env.STAPLE_EMBEDDED_FULL_FS_BUNDLE !== "1" ? partialFsBundle() : undefined;
  const fsBundle = partial?.bundle as Blob | undefined; // PGlite only calls its arrayBuffer()
  const pg = await PGlite.create(dataDir ?? "memory://", { parsers, loadDataDir, startParams, fsBundle });
  if (partial) removeSkippedFiles(pg.Module.FS, partial.skipped);
  const notifications = new EmbeddedNotifications(pg);
  const statements =
    cacheSize > 0 ? new EmbeddedStatements(pg, cacheSize, (channel, payload) => notifications.deliver(channel, payload)) : undefined;
  const prepared = statements && preparedQueries(pg, statements);
  const query = prepared ? prepared.autocommit.query : wrap(pg).query;
  const tx: Database["tx"] = (fn) =>
    pg.transaction(async (t) => {
      if (!prepared) return fn(wrap(t));
      let open = true;
      try {
        return await fn(prepared.inTransaction(() => open && !t.closed));
      } finally {
        open = false;
      }
    });
  // Requests' statements and transactions take their turn before the run engine's (turns.ts).
  const turns = new DatabaseTurns();
  const inLane = (lane: Lane): Pick<Database, "query" | "tx"> => ({
    query: <T>(sql: string, params?: readonly unknown[]) => withTurn(turns, lane, () => query<T>(sql, params)),
    tx: (fn) => withTurn(turns, lane, () => tx(fn)),
  });
  const db: EmbeddedDatabase = {
    kind: "embedded",
    ...inLane("foreground"),
    async exec(sql) {
      await pg.exec(sql);
      // A script is how migrations run: drop every statement rather than meet a stale one later.
      if (statements) await pg._runExclusiveTransaction(() => pg._runExclusiveQuery(() => statements.reset()));
    },
    listen: (channel, handler) => notifications.listen(channel, handler),
    async dump() {
      const blob = await pg.dumpDataDir("gzip");
      return Buffer.from(await blob.arrayBuffer());
    },
    async close() {
      await pg.close();
    },
  };
  return { ...db, background: { ...db, ...inLane("background") } };
}
