import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Database } from "./database.js";
import { openEmbedded } from "./embedded.js";
import { migrate } from "./migrate.js";
import { acquireDataDirLock, type DataDirLock } from "./data-dir-lock.js";

/** Built by `npm run build` (scripts/build-embedded-template.mjs): a migrated, empty data directory. */
export const EMBEDDED_TEMPLATE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../embedded-template");

function isEmptyDir(dir: string): boolean {
  return !fs.existsSync(dir) || fs.readdirSync(dir).length === 0;
}

export interface OpenedDatabase {
  db: Database;
  applied: string[];
  close(): Promise<void>;
}

/** Opens the configured database (embedded under STAPLE_HOME or DATABASE_URL) and migrates it. */
export async function openDatabase(config: Config, logger: Logger): Promise<OpenedDatabase> {
  let db: Database;
  let lock: DataDirLock | undefined;
  if (config.databaseUrl) {
    // Loaded only here: the `pg` driver is not needed (nor paid for at start) on the embedded database.
    const { openPostgres } = await import("./postgres.js");
    db = await openPostgres({ connectionString: config.databaseUrl });
  } else {
    const dataDir = path.join(config.home, "db");
    lock = acquireDataDirLock(config.home);
    try {
      // First start: copy the prepared cluster (never over existing data); otherwise PGlite runs initdb.
      if (isEmptyDir(dataDir) && fs.existsSync(EMBEDDED_TEMPLATE_DIR)) {
        const staging = `${dataDir}.init-${process.pid}`;
        fs.rmSync(staging, { recursive: true, force: true });
        fs.cpSync(EMBEDDED_TEMPLATE_DIR, staging, { recursive: true });
        fs.rmSync(dataDir, { recursive: true, force: true });
        fs.renameSync(staging, dataDir);
      }
      db = await openEmbedded({ dataDir });
    } catch (error) {
      lock.release();
      throw error;
    }
  }
  const applied = await migrate(db);
  if (applied.length) logger.info("migrations applied", { migrations: applied });
  return {
    db,
    applied,
    async close() {
      await db.close();
      lock?.release();
    },
  };
}
