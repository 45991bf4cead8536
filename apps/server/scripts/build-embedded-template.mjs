// Builds dist/embedded-template/: an initialised, fully migrated, empty PGlite data directory.
// A first start copies it (a fraction of a second) instead of running initdb inside PGlite
// (several seconds). Skipped when the template already matches the current migrations.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, "../dist");
const { openEmbedded } = await import(path.join(dist, "db/embedded.js"));
const { migrate, loadMigrations, MIGRATIONS_DIR } = await import(path.join(dist, "db/migrate.js"));

const target = path.join(dist, "embedded-template");
const stamp = path.join(dist, "embedded-template.sha256");
const hash = crypto.createHash("sha256");
for (const m of loadMigrations(MIGRATIONS_DIR)) hash.update(`${m.id}:${m.name}:${m.sql}`);
const digest = hash.digest("hex");
if (fs.existsSync(target) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === digest) process.exit(0);

const started = Date.now();
const building = `${target}.building-${process.pid}`;
fs.rmSync(building, { recursive: true, force: true });
const db = await openEmbedded({ dataDir: building });
await migrate(db);
// The server only ever uses the `postgres` database; it never runs CREATE DATABASE, which is what
// template0 and template1 are for. Together they are 600 of the template's 1,332 files and 14 of
// its 42 MB, and a first start copies the template file by file: measured alternately on this
// machine, the copy took 363-431 ms with them and 282-331 ms without. Dropped one statement at a
// time: DROP DATABASE refuses to run in a multi-statement string.
for (const name of ["template0", "template1"]) {
  await db.exec(`UPDATE pg_database SET datistemplate = false, datallowconn = false WHERE datname = '${name}'`);
  await db.exec(`DROP DATABASE ${name}`);
}
await db.exec("CHECKPOINT");
await db.close();
fs.rmSync(target, { recursive: true, force: true });
fs.renameSync(building, target);
fs.rmSync(path.join(dist, "embedded-template.tar.gz"), { force: true }); // older builds kept a tarball
fs.writeFileSync(stamp, digest);
console.log(`embedded database template built in ${Date.now() - started} ms`);
