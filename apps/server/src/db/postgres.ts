import pg from "pg";
import { camelRows, type Database, type Queryable, type Row } from "./database.js";

// int8 -> number (see embedded.ts); timestamps stay Date objects in both drivers.
pg.types.setTypeParser(20, (value: string) => Number(value));

export interface PostgresOptions {
  connectionString: string;
  /** Optional search_path schema (tests isolate per schema when they cannot create databases). */
  maxConnections?: number;
  applicationName?: string;
}

export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? "staple",
  });
  // A broken idle connection must not crash the server; the next checkout reconnects.
  pool.on("error", () => {});
  const client = await pool.connect(); // fail fast with a clear error when unreachable
  client.release();

  const query: Queryable["query"] = async <T>(sql: string, params?: readonly unknown[]) => {
    const result = await pool.query<Row>(sql, params as unknown[] | undefined);
    return camelRows<T>(result.rows);
  };
  return {
    kind: "postgres",
    query,
    async tx(fn) {
      const conn = await pool.connect();
      const q: Queryable = {
        async query<T>(sql: string, params?: readonly unknown[]) {
          const result = await conn.query<Row>(sql, params as unknown[] | undefined);
          return camelRows<T>(result.rows);
        },
      };
      try {
        await conn.query("BEGIN");
        const value = await fn(q);
        await conn.query("COMMIT");
        return value;
      } catch (error) {
        await conn.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        conn.release();
      }
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async close() {
      await pool.end();
    },
  };
}
