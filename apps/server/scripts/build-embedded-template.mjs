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
await db.close();
fs.rmSync(target, { recursive: true, force: true });
fs.renameSync(building, target);
fs.rmSync(path.join(dist, "embedded-template.tar.gz"), { force: true }); // older builds kept a tarball
fs.writeFileSync(stamp, digest);
console.log(`embedded database template built in ${Date.now() - started} ms`);
