import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { openEmbedded } from "../../src/db/embedded.js";
import { openPostgres } from "../../src/db/postgres.js";
import { migrate } from "../../src/db/migrate.js";
import { POSTGRES_TEMPLATE_DB, withDatabaseName } from "./postgres-names.js";

declare module "vitest" {
  export interface ProvidedContext {
    embeddedTemplatePath: string;
    postgresTemplate: string | null;
  }
}

/**
 * Builds one migrated template per run; every test file then gets its own copy: an embedded
 * cluster unpacked from a tarball, or a Postgres database created from a template database.
 */
export default async function setup(project: TestProject) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-test-"));
  const templatePath = path.join(dir, "embedded-template.tar.gz");
  const db = await openEmbedded();
  await migrate(db);
  fs.writeFileSync(templatePath, await db.dump());
  await db.close();
  project.provide("embeddedTemplatePath", templatePath);

  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const admin = await openPostgres({ connectionString: url, maxConnections: 1 });
    await admin.exec(`DROP DATABASE IF EXISTS ${POSTGRES_TEMPLATE_DB} WITH (FORCE)`);
    await admin.exec(`CREATE DATABASE ${POSTGRES_TEMPLATE_DB}`);
    const template = await openPostgres({ connectionString: withDatabaseName(url, POSTGRES_TEMPLATE_DB), maxConnections: 1 });
    await migrate(template);
    await template.close();
    await admin.close();
  }
  project.provide("postgresTemplate", url ? POSTGRES_TEMPLATE_DB : null);

  return async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (url) {
      const admin = await openPostgres({ connectionString: url, maxConnections: 1 });
      await admin.exec(`DROP DATABASE IF EXISTS ${POSTGRES_TEMPLATE_DB} WITH (FORCE)`);
      await admin.close();
    }
  };
}
