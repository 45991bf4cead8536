// Builds dist/embedded-template.tar.gz: an initialised, fully migrated, empty PGlite cluster.
// First start unpacks it (under a second) instead of running initdb inside PGlite (several seconds).
// Skipped when the template already matches the current migrations.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, "../dist");
const { openEmbedded } = await import(path.join(dist, "db/embedded.js"));
const { migrate, loadMigrations, MIGRATIONS_DIR } = await import(path.join(dist, "db/migrate.js"));

const target = path.join(dist, "embedded-template.tar.gz");
const stamp = path.join(dist, "embedded-template.sha256");
const hash = crypto.createHash("sha256");
for (const m of loadMigrations(MIGRATIONS_DIR)) hash.update(`${m.id}:${m.name}:${m.sql}`);
const digest = hash.digest("hex");
if (fs.existsSync(target) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === digest) process.exit(0);

const started = Date.now();
const db = await openEmbedded();
await migrate(db);
const tarball = await db.dump();
await db.close();
fs.writeFileSync(target, tarball);
fs.writeFileSync(stamp, digest);
console.log(`embedded database template built in ${Date.now() - started} ms (${Math.round(tarball.length / 1024)} KiB)`);
