// Writes dist/embedded-fs-manifest.json: where each file of PGlite's file-system bundle
// (pglite.data) lies in it, read from the package metadata compiled into PGlite's JavaScript. The
// server uses it to read only the files a running cluster opens (src/db/embedded-fs-bundle.ts).
// Without the manifest, or when it does not match the installed bundle, the server reads the whole
// bundle as PGlite does; so a failure here costs memory, never correctness, and only warns.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, "../dist/embedded-fs-manifest.json");
const require = createRequire(import.meta.url);

function warn(message) {
  fs.rmSync(out, { force: true });
  console.warn(`embedded fs manifest not written: ${message}; the server will read PGlite's whole bundle`);
  process.exit(0);
}

const dataFile = require.resolve("@electric-sql/pglite/pglite.data");
const pgliteDir = path.dirname(dataFile);
const version = JSON.parse(fs.readFileSync(path.join(pgliteDir, "../package.json"), "utf8")).version;
const size = fs.statSync(dataFile).size;

// The emscripten file packager's metadata: {files:[{filename:"/pglite/…",start:N,end:N},…],remote_package_size:N}.
const entry = /\{"?filename"?:"([^"]+)","?start"?:(\d+),"?end"?:(\d+)\}/g;
let files;
for (const name of fs.readdirSync(pgliteDir).filter((f) => f.endsWith(".js"))) {
  const text = fs.readFileSync(path.join(pgliteDir, name), "utf8");
  if (!text.includes(`remote_package_size:${size}`) && !text.includes(`"remote_package_size":${size}`)) continue;
  files = [...text.matchAll(entry)].map((m) => ({ name: m[1], start: Number(m[2]), end: Number(m[3]) }));
  break;
}
if (!files?.length) warn(`no package metadata for a ${size}-byte pglite.data in ${pgliteDir}`);
let at = 0;
for (const f of files) {
  if (f.start !== at || f.end < f.start) warn(`${f.name} is not where the previous file ended`);
  at = f.end;
}
if (at !== size) warn(`the files end at ${at}, the bundle has ${size} bytes`);
fs.writeFileSync(out, JSON.stringify({ pglite: version, size, files }));
