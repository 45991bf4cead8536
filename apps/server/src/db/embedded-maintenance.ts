import type { Database } from "./database.js";
import type { Logger } from "../logger.js";

/**
 * Postgres's autovacuum defaults: a table is vacuumed once its dead row versions exceed
 * 50 + 20 % of its rows, analysed once the rows changed since its last analysis exceed 50 + 10 %.
 */
const VACUUM_BASE = 50;
const VACUUM_SCALE = 0.2;
const ANALYZE_BASE = 50;
const ANALYZE_SCALE = 0.1;
/** Tables handled per run at most (bounded work per periodic pass; the rest wait for the next run). */
export const MAINTENANCE_TABLES_PER_PASS = 4;
/** How often the tables are looked at: autovacuum's default naptime. */
export const MAINTENANCE_INTERVAL_MS = 60_000;

/**
 * The tables autovacuum would act on now. A table never analysed (`reltuples < 0`) that holds data
 * is analysed too: the activity counters live in the running process and start at zero after a
 * restart, but the catalog remembers whether a table was ever analysed. Most changes first, then
 * the largest tables.
 */
const DUE_SQL = `
  SELECT format('%I', c.relname) AS name,
         coalesce(s.n_dead_tup, 0) > ${VACUUM_BASE} + ${VACUUM_SCALE} * greatest(c.reltuples, 0) AS vacuum
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
    LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
   WHERE c.relkind = 'r'
     AND (coalesce(s.n_dead_tup, 0) > ${VACUUM_BASE} + ${VACUUM_SCALE} * greatest(c.reltuples, 0)
          OR coalesce(s.n_mod_since_analyze, 0) > ${ANALYZE_BASE} + ${ANALYZE_SCALE} * greatest(c.reltuples, 0)
          OR (c.reltuples < 0 AND pg_relation_size(c.oid) > 0))
   ORDER BY coalesce(s.n_dead_tup, 0) + coalesce(s.n_mod_since_analyze, 0) DESC, pg_relation_size(c.oid) DESC
   LIMIT ${MAINTENANCE_TABLES_PER_PASS}`;

/**
 * Vacuum and planner statistics for the embedded database. PGlite runs Postgres as one process
 * with no background workers, so autovacuum never runs there: tables were never analysed (the
 * planner guessed one row per table and chose a lookup per row: the labels of a 1,000-issue list
 * were 1,000 index scans, each asking the file system for the table's size) and dead row versions
 * were never reclaimed. Each call does what autovacuum would have done by now, with its
 * thresholds, for a few tables, once per naptime (the periodic pass calls it every pass; calls in
 * between do nothing). The first run is one naptime after the first call (the start-up pass), so
 * start-up never waits for it. On Postgres, the server's own autovacuum does this; not used there.
 */
export function createEmbeddedMaintenance(db: Database, logger: Logger, intervalMs = MAINTENANCE_INTERVAL_MS) {
  let nextAt: number | null = null;
  return async function maintain(now: Date): Promise<{ vacuumed: string[]; analyzed: string[] }> {
    const done = { vacuumed: [] as string[], analyzed: [] as string[] };
    if (nextAt === null || now.getTime() < nextAt) {
      nextAt ??= now.getTime() + intervalMs;
      return done;
    }
    nextAt = now.getTime() + intervalMs;
    // The activity counters reach the shared statistics at most once a second; ask for the
    // pending ones to be flushed when this statement ends, so the next one reads them.
    await db.query("SELECT pg_stat_force_next_flush()");
    for (const table of await db.query<{ name: string; vacuum: boolean }>(DUE_SQL)) {
      // VACUUM cannot run inside a transaction block: each is its own autocommit statement.
      await db.query(table.vacuum ? `VACUUM (ANALYZE) ${table.name}` : `ANALYZE ${table.name}`);
      (table.vacuum ? done.vacuumed : done.analyzed).push(table.name);
    }
    if (done.vacuumed.length || done.analyzed.length) logger.debug("embedded database maintenance", done);
    return done;
  };
}
