import fs from "node:fs";
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import type { Database } from "../../src/db/database.js";
import { openEmbedded } from "../../src/db/embedded.js";
import { openPostgres } from "../../src/db/postgres.js";
import { withDatabaseName } from "./postgres-names.js";

export interface TestDatabase {
  db: Database;
  /** Connection string of this isolated database (Postgres lane only). */
  url: string | null;
  drop(): Promise<void>;
}

/**
 * An isolated, migrated database for one test file: embedded by default, a fresh Postgres
 * database cloned from the migrated template when TEST_DATABASE_URL is set.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  const template = inject("postgresTemplate");
  if (adminUrl && template) {
    const name = `staple_t_${randomBytes(6).toString("hex")}`;
    const admin = await openPostgres({ connectionString: adminUrl, maxConnections: 1 });
    await admin.exec(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    await admin.close();
    const url = withDatabaseName(adminUrl, name);
    const db = await openPostgres({ connectionString: url, maxConnections: 10 });
    return {
      db,
      url,
      async drop() {
        await db.close();
        const a = await openPostgres({ connectionString: adminUrl, maxConnections: 1 });
        await a.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.close();
      },
    };
  }
  const db = await openEmbedded({ template: fs.readFileSync(inject("embeddedTemplatePath")) });
  return { db, url: null, drop: () => db.close() };
}

export const onPostgres = () => Boolean(process.env.TEST_DATABASE_URL);
