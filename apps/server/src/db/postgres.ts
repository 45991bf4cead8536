import pg from "pg";
import { camelRows, isTransactionConflict, type Database, type Queryable, type Row } from "./database.js";
import { isStalePlan, PostgresStatementNames } from "./postgres-statements.js";
import { DatabaseTurns, withTurn, type Lane } from "./turns.js";

// int8 -> number (see embedded.ts); timestamps stay Date objects in both drivers.
pg.types.setTypeParser(20, (value: string) => Number(value));

export interface PostgresOptions {
  connectionString: string;
  /** Optional search_path schema (tests isolate per schema when they cannot create databases). */
  maxConnections?: number;
  applicationName?: string;
  /** Named prepared statements (postgres-statements.ts); default on, `STAPLE_PG_NAMED_STATEMENTS=0` turns them off. */
  namedStatements?: boolean;
}

/**
 * LISTEN needs a connection of its own (a pooled one would be handed to other queries). If it
 * drops, reconnect with a bounded backoff; notifications sent while disconnected are lost, which
 * callers tolerate because every consumer also has a periodic pass that finds the same work.
 */
/** Attempts of one transaction that Postgres aborts for a conflict with another (see `tx`). */
const TX_ATTEMPTS = 3;

async function listenWithReconnect(
  options: PostgresOptions,
  channel: string,
  handler: (payload: string) => void,
  listeners: Set<() => Promise<void>>,
) {
  let client: pg.Client | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const connect = async (attempt: number): Promise<void> => {
    if (stopped) return;
    const c = new pg.Client({
      connectionString: options.connectionString,
      application_name: `${options.applicationName ?? "staple"}-listen`,
    });
    c.on("notification", (msg) => {
      if (msg.channel === channel) handler(msg.payload ?? "");
    });
    c.on("error", () => {
      if (stopped || client !== c) return;
      client = undefined;
      c.end().catch(() => {});
      timer = setTimeout(() => void connect(Math.min(attempt + 1, 6)), 250 * 2 ** Math.min(attempt, 5));
    });
    try {
      await c.connect();
      await c.query(`LISTEN "${channel.replace(/"/g, "")}"`);
      client = c;
    } catch (error) {
      await c.end().catch(() => {});
      if (attempt === 0) throw error;
      timer = setTimeout(() => void connect(Math.min(attempt + 1, 6)), 250 * 2 ** Math.min(attempt, 5));
    }
  };
  await connect(0);
  const stop = async () => {
    stopped = true;
    listeners.delete(stop);
    if (timer) clearTimeout(timer);
    await client?.end().catch(() => {});
  };
  listeners.add(stop);
  return stop;
}

const DEFAULT_MAX_CONNECTIONS = 10;

export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    application_name: options.applicationName ?? "staple",
    // Short OLTP statements: JIT compilation costs more than it saves (it fired on the
    // reconciliation facts query and took a third of its time; bench W5).
    options: "-c jit=off",
  });
  // A broken idle connection must not crash the server; the next checkout reconnects.
  pool.on("error", () => {});
  const client = await pool.connect(); // fail fast with a clear error when unreachable
  client.release();

  const listeners = new Set<() => Promise<void>>();
  const named = options.namedStatements ?? process.env.STAPLE_PG_NAMED_STATEMENTS !== "0";
  const statements = named ? new PostgresStatementNames() : undefined;
  const config = (sql: string, params?: readonly unknown[]) =>
    statements ? statements.config(sql, params) : { text: sql, values: params as unknown[] | undefined };
  const query: Queryable["query"] = async <T>(sql: string, params?: readonly unknown[]) => {
    try {
      return camelRows<T>((await pool.query<Row>(config(sql, params))).rows);
    } catch (error) {
      // Its result columns changed under a prepared plan (another server's migration): once more, renamed.
      if (!statements || !isStalePlan(error)) throw error;
      statements.renew(sql);
      return camelRows<T>((await pool.query<Row>(config(sql, params))).rows);
    }
  };
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const turns = new DatabaseTurns(maxConnections);
  const txIn = async <T>(lane: Lane, fn: (q: Queryable) => Promise<T>): Promise<T> => {
    const once = async () => {
      const conn = await pool.connect();
      const q: Queryable = {
        async query<T>(sql: string, params?: readonly unknown[]) {
          try {
            return camelRows<T>((await conn.query<Row>(config(sql, params))).rows);
          } catch (error) {
            // The transaction is aborted: it runs again (below), with this text renamed.
            if (statements && isStalePlan(error)) statements.renew(sql);
            throw error;
          }
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
    };
    // Postgres aborts one transaction of a deadlock (or a serialization conflict) and rolls it
    // back whole; the other goes on. The aborted one is run again, a bounded number of times, as
    // is one that met a stale prepared plan (renamed by then, so prepared afresh).
    for (let attempt = 1; ; attempt++) {
      try {
        return await withTurn(turns, lane, once);
      } catch (error) {
        if (attempt >= TX_ATTEMPTS || !(isTransactionConflict(error) || isStalePlan(error))) throw error;
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
      }
    }
  };
  // The pool's connections go to requests before the run engine's work (turns.ts): without this,
  // under load the engine's checkouts filled the pool and a request queued behind up to ~56 of
  // them (W2: a board read during the load took 41 ms p50, 189 ms p95). A transaction run again
  // after a deadlock waits for a turn again.
  const inLane = (lane: Lane): Pick<Database, "query" | "tx"> => ({
    query: <T>(sql: string, params?: readonly unknown[]) => withTurn(turns, lane, () => query<T>(sql, params)),
    tx: (fn) => txIn(lane, fn),
  });
  const db: Database = {
    kind: "postgres",
    ...inLane("foreground"),
    async exec(sql) {
      await pool.query(sql);
      // A script is how migrations run: prepare every statement afresh rather than meet a stale plan.
      statements?.renewAll();
    },
    listen: (channel, handler) => listenWithReconnect(options, channel, handler, listeners),
    async close() {
      for (const stop of [...listeners]) await stop();
      await pool.end();
    },
  };
  return { ...db, background: { ...db, ...inLane("background") } };
}
