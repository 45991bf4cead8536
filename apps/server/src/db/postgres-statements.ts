import type { QueryConfig } from "pg";

/** Distinct statements given a name at most (a bound on each connection's prepared statements). */
export const POSTGRES_NAMED_STATEMENTS_MAX = 300;
/** A statement is named once it has been sent this many times (one-off texts stay unnamed). */
export const POSTGRES_NAME_AFTER_USES = 3;

/**
 * Named prepared statements for the Postgres driver (docs/deploying.md#a-team-server-postgres). `pg` prepares a
 * named statement once per connection (Parse) and afterwards only binds and executes it, so Postgres
 * neither parses nor plans it again: a statement sent unnamed is parsed, analysed and planned every
 * time (measured on bench W1: creating an issue 4.1-4.3 → 2.8-3.1 ms).
 *
 * Which statements get a name: a text sent `nameAfterUses` times, until `max` texts are named.
 * Names are never taken back, so each connection holds at most `max` prepared statements (their
 * plans live in that backend for the connection's life); texts built with values inside them
 * (rare here: values go in parameters) are kept out by the use count and, past it, by the bound.
 *
 * After DDL a prepared statement is re-planned by Postgres itself, except when the columns of its
 * result changed ("cached plan must not change result type", another server's migration, say):
 * `renew` gives that text a fresh name, so every connection prepares it again, and the caller runs
 * the statement (or its whole transaction) once more. A script run through this server (`exec`,
 * migrations) renews every name.
 */
export class PostgresStatementNames {
  private readonly uses = new Map<string, number>();
  private readonly names = new Map<string, string>();
  private counter = 0;

  constructor(
    private readonly max = POSTGRES_NAMED_STATEMENTS_MAX,
    private readonly nameAfterUses = POSTGRES_NAME_AFTER_USES,
  ) {}

  /**
   * The query config for `sql`: named once the text is in use, else unnamed. A statement without
   * parameters stays unnamed: `pg` sends it as a simple query, which may hold several commands (a
   * named statement may not).
   */
  config(sql: string, params: readonly unknown[] | undefined): QueryConfig {
    const values = params as unknown[] | undefined;
    if (!values?.length) return { text: sql, values };
    const name = this.names.get(sql) ?? this.admit(sql);
    return name ? { name, text: sql, values } : { text: sql, values };
  }

  /** How many texts have a name (tests, diagnostics). */
  get size(): number {
    return this.names.size;
  }

  /** A fresh name for `sql` (its prepared plan's result type went stale). */
  renew(sql: string): void {
    if (this.names.has(sql)) this.names.set(sql, this.nextName());
  }

  /** Fresh names for every text (after a script that may have changed the schema). */
  renewAll(): void {
    for (const sql of this.names.keys()) this.names.set(sql, this.nextName());
  }

  private admit(sql: string): string | undefined {
    if (this.names.size >= this.max) return undefined;
    const seen = (this.uses.get(sql) ?? 0) + 1;
    if (seen < this.nameAfterUses) {
      // The counts of texts not (yet) named are bounded too: one-off texts must not pile up.
      if (this.uses.size >= this.max * 4) this.uses.clear();
      this.uses.set(sql, seen);
      return undefined;
    }
    this.uses.delete(sql);
    const name = this.nextName();
    this.names.set(sql, name);
    return name;
  }

  private nextName(): string {
    return `staple_${this.counter++}`;
  }
}

/** Postgres refused a prepared statement whose result columns changed since it was prepared. */
export function isStalePlan(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === "0A000" && typeof e.message === "string" && e.message.includes("cached plan must not change result type");
}
