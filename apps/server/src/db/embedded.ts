import fs from "node:fs";
import { PGlite, types } from "@electric-sql/pglite";
import { camelRows, type Database, type Queryable, type Row } from "./database.js";

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
}

function isEmptyDir(dir: string): boolean {
  return !fs.existsSync(dir) || fs.readdirSync(dir).length === 0;
}

interface PGliteQueryTarget {
  query: PGlite["query"];
}

function wrap(target: PGliteQueryTarget): Queryable {
  return {
    async query<T>(sql: string, params?: readonly unknown[]) {
      const result = await target.query<Row>(sql, params as unknown[] | undefined);
      return camelRows<T>(result.rows);
    },
  };
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
  const pg = await PGlite.create(dataDir ?? "memory://", { parsers, loadDataDir });
  const base = wrap(pg);
  return {
    kind: "embedded",
    query: base.query,
    tx: (fn) => pg.transaction((t) => fn(wrap(t))),
    async exec(sql) {
      await pg.exec(sql);
    },
    async listen(channel, handler) {
      const unsubscribe = await pg.listen(channel, handler);
      return async () => {
        await unsubscribe();
      };
    },
    async dump() {
      const blob = await pg.dumpDataDir("gzip");
      return Buffer.from(await blob.arrayBuffer());
    },
    async close() {
      await pg.close();
    },
  };
}
