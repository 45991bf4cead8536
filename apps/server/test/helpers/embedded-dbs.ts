import fs from "node:fs";
import { afterEach, inject } from "vitest";
import { type EmbeddedDatabase, openEmbedded } from "../../src/db/embedded.js";

/**
 * Fresh embedded databases from the migrated template, each closed after the test that opened it.
 * Call at the top of a test file; the result opens one (with a statement cache size, 0 for none).
 */
export function embeddedDatabasesPerTest(): (statementCacheSize?: number) => Promise<EmbeddedDatabase> {
  const open: EmbeddedDatabase[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
  });
  return async (statementCacheSize) => {
    const db = await openEmbedded({ template: fs.readFileSync(inject("embeddedTemplatePath")), statementCacheSize });
    open.push(db);
    return db;
  };
}
