/**
 * The database port. Domain code sees only `Queryable` (run a parameterised statement, get camelCase
 * rows) and `Database.tx` (run a function in one transaction). Two implementations: embedded PGlite
 * and a Postgres server through `pg`; both run the same SQL and the same migrations.
 */
export type Row = Record<string, unknown>;

export interface Queryable {
  /** Rows come back with camelCase keys (`issue_number` -> `issueNumber`). */
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Database extends Queryable {
  readonly kind: "embedded" | "postgres";
  /**
   * Runs `fn` in a transaction; commits when it resolves, rolls back when it throws. Not re-entrant.
   * On Postgres, a transaction aborted as the victim of a deadlock or a serialization conflict is
   * rolled back and `fn` runs again (at most 3 attempts in all): effects of `fn` outside the
   * database must be idempotent or happen after commit.
   */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Runs a multi-statement script (migrations) outside the camelCase row mapping. */
  exec(sql: string): Promise<void>;
  /**
   * Subscribes to a NOTIFY channel. Notifications are delivered after the notifying transaction
   * commits (never for rolled-back work), to every server instance on the database.
   */
  listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  /**
   * The same database for work no request waits on (the run engine's claims, executions and
   * periodic passes): its statements and transactions take their turn after the ones requests
   * are waiting for (turns.ts). A wrapper that does not set it leaves that work in the request lane.
   */
  readonly background?: Database;
}

/** The view of `db` for work no request waits on (`Database.background`), else `db` itself. */
export const backgroundOf = (db: Database): Database => db.background ?? db;

const keyCache = new Map<string, string>();
export function camelKey(key: string): string {
  let cached = keyCache.get(key);
  if (cached === undefined) {
    cached = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    keyCache.set(key, cached);
  }
  return cached;
}

export function camelRows<T>(rows: readonly Row[]): T[] {
  if (rows.length === 0) return [];
  const first = rows[0]!;
  const keys = Object.keys(first);
  const mapped = keys.map(camelKey);
  const out = new Array<T>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const src = rows[i]!;
    const dst: Row = {};
    for (let k = 0; k < keys.length; k++) dst[mapped[k]!] = src[keys[k]!];
    out[i] = dst as T;
  }
  return out;
}

/** Deadlock (40P01) or serialization failure (40001): Postgres rolled the transaction back; it may run again. */
export function isTransactionConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "40P01" || code === "40001";
}

/** Postgres error codes the domain layer reacts to. */
export const PG_UNIQUE_VIOLATION = "23505";
export const PG_FOREIGN_KEY_VIOLATION = "23503";
export const PG_CHECK_VIOLATION = "23514";

export function pgErrorCode(error: unknown): string | undefined {
  if (error && typeof error === "object" && "code" in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

export function pgConstraint(error: unknown): string | undefined {
  if (error && typeof error === "object" && "constraint" in error) {
    const c = (error as { constraint: unknown }).constraint;
    return typeof c === "string" ? c : undefined;
  }
  return undefined;
}
