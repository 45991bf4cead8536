import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Database } from "./database.js";

/** Migrations live beside the compiled code's package: apps/server/migrations/NNNN_description.sql. */
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../migrations");

const FILE_RE = /^(\d{4})_([a-z0-9_]+)\.sql$/;
/** Serialises concurrent migrators (two servers starting on one Postgres). */
const MIGRATION_LOCK_KEY = 7_305_871_113;

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  const migrations = files.map((file) => {
    const match = FILE_RE.exec(file);
    if (!match) throw new Error(`Migration file name must look like 0001_description.sql: ${file}`);
    return { id: Number(match[1]), name: match[2]!, sql: fs.readFileSync(path.join(dir, file), "utf8") };
  });
  migrations.forEach((m, i) => {
    if (m.id !== i + 1) throw new Error(`Migrations must be numbered 1..n without gaps; found ${m.id} at position ${i + 1}`);
  });
  return migrations;
}

/** Applies every migration not yet recorded, each in its own transaction. Returns the names applied. */
export async function migrate(db: Database, migrations = loadMigrations()): Promise<string[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS staple_migrations (
    id integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  // Restart on existing data: one read instead of a locked transaction per migration (about 100
  // statements on the start path). Recorded ids are never removed, so when all are there a
  // concurrent migrator can only have added rows and there is nothing left to apply; otherwise
  // every migration goes through the locked check below as before.
  const recorded = new Set((await db.query<{ id: number }>("SELECT id FROM staple_migrations")).map((r) => r.id));
  if (migrations.every((m) => recorded.has(m.id))) return [];
  const applied: string[] = [];
  for (const migration of migrations) {
    const done = await db.tx(async (q) => {
      await q.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
      const rows = await q.query("SELECT 1 FROM staple_migrations WHERE id = $1", [migration.id]);
      if (rows.length > 0) return false;
      // Run the script statement by statement through the same transaction.
      for (const statement of splitStatements(migration.sql)) await q.query(statement);
      await q.query("INSERT INTO staple_migrations (id, name) VALUES ($1, $2)", [migration.id, migration.name]);
      return true;
    });
    if (done) applied.push(`${String(migration.id).padStart(4, "0")}_${migration.name}`);
  }
  return applied;
}

export async function pendingMigrations(db: Database, migrations = loadMigrations()): Promise<number> {
  const rows = await db.query<{ id: number }>("SELECT id FROM staple_migrations").catch(() => [] as { id: number }[]);
  const done = new Set(rows.map((r) => r.id));
  return migrations.filter((m) => !done.has(m.id)).length;
}

/**
 * Splits a migration script on top-level semicolons, skipping `--` comments, quoted strings and
 * dollar-quoted bodies. Migrations are plain DDL, so this small lexer is enough.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = "";
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end + 1;
      current += "\n";
      continue;
    }
    if (ch === "'") {
      // An unterminated string runs to the end of the script (Postgres then reports it).
      const end = sql.indexOf("'", i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      current += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (ch === "$") {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))?.[0];
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length);
        const stop = end === -1 ? sql.length : end + tag.length;
        current += sql.slice(i, stop);
        i = stop;
        continue;
      }
    }
    if (ch === ";") {
      if (current.trim()) out.push(current.trim());
      current = "";
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}
