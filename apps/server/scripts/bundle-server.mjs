// Writes dist/bundle/: the built server (dist/start.js and every module it imports from dist, the
// workspace packages and the pure-ESM dependencies below) bundled into a few files, so a start
// loads a handful of modules instead of ~500 (docs/performance.md, W3). dist/main.js uses it only
// while what it was made from is unchanged (dist/bundle/inputs.json, below), otherwise it starts
// from the modules in dist. Run after `tsc -b` (part of `npm run build`).
//
// - Packages that find files next to their own code (PGlite: its wasm and data files) or are
//   CommonJS (pg, ws, busboy, yaml, fflate) stay external: imported from node_modules as before.
// - `import.meta.url` of a bundled module of this repository is rewritten to the URL of the file it
//   came from, so paths resolved from it (migrations, templates, the UI, the skill, the embedded
//   template, adapter-kit's spawn host) are the same as in the unbundled build.
// - Dynamic imports stay dynamic (chunks of their own): what start-up does not need is not loaded.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { rolldown } from "rolldown";
import { fileSha256 } from "../dist/bundle-inputs.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, "../dist");
const repo = path.resolve(here, "../../..");
const outDir = path.join(dist, "bundle");
const entry = path.join(dist, "start.js");

/** Bare imports bundled; any other package stays an import from node_modules. */
const BUNDLED_PACKAGES = ["zod", "hono", "@hono/node-server", "croner", "@agentclientprotocol/sdk"];
const bundled = (id) => id.startsWith("@staple/") || BUNDLED_PACKAGES.some((p) => id === p || id.startsWith(`${p}/`));

const BARREL_FILES = /[\\/]packages[\\/](contracts|adapter-kit)[\\/]dist[\\/]index\.js$/;

const started = Date.now();
fs.rmSync(outDir, { recursive: true, force: true });

const build = await rolldown({
  input: { start: entry },
  platform: "node",
  // The workspace packages' index files only re-export: marked free of side effects, an import of
  // one name from them (config.ts: a constant of the contracts and an allow-list helper) does not
  // pull every module of the package into start.js, which would run before the database opens.
  treeshake: { moduleSideEffects: (id) => (BARREL_FILES.test(id) ? false : undefined) },
  logLevel: "warn",
  external: (id) => {
    if (id.startsWith(".") || path.isAbsolute(id)) return false;
    return id.startsWith("node:") || !bundled(id);
  },
  plugins: [
    {
      name: "staple-import-meta-url",
      transform(code, id) {
        if (!code.includes("import.meta")) return null;
        const file = id.split("?")[0];
        if (!path.isAbsolute(file)) return null; // rolldown's own runtime module
        if (!file.startsWith(repo) || file.includes(`${path.sep}node_modules${path.sep}`)) {
          this.error(`${file} uses import.meta: keep its package external (scripts/bundle-server.mjs)`);
        }
        const rest = code.replaceAll("import.meta.url", "");
        if (rest.includes("import.meta")) this.error(`${file} uses import.meta other than import.meta.url`);
        const rel = path.relative(outDir, file).split(path.sep).join("/");
        return { code: code.replaceAll("import.meta.url", `new URL(${JSON.stringify(rel)}, import.meta.url).href`), map: null };
      },
    },
  ],
});
const { output } = await build.write({
  dir: outDir,
  // CommonJS, so that src/bundle-loader.ts can compile the chunks with V8's code cache (Node 20
  // has none for ES modules). `.cjs`: the package is "type": "module".
  format: "cjs",
  entryFileNames: "[name].cjs",
  chunkFileNames: "[name]-[hash].cjs",
  keepNames: true,
  // Whitespace and comments only (no renaming, no rewriting): V8 keeps a module's source for as long
  // as the process lives, and scans all of it at start.
  minify: { compress: false, mangle: false, codegen: { removeWhitespace: true } },
  sourcemap: true,
});
await build.close();

// V8 keeps each module's source for the life of the process, one byte per character only while
// every character is Latin-1. A single "…" or "—" in a message made the whole 1.2 MB server chunk
// a two-byte string (2.4 MB of the idle server's heap). Characters above U+00FF are written as
// \uXXXX escapes, which mean the same in strings, template literals, regular expressions and
// identifiers, and nothing in comments. (A tagged template's `raw` would see the escape; none of
// the bundled code reads raw strings of non-Latin-1 text.) Source-map columns after an escape on
// its line are off by five per escape.
for (const chunk of output) {
  if (chunk.type !== "chunk") continue;
  const file = path.join(outDir, chunk.fileName);
  const code = fs.readFileSync(file, "utf8");
  const latin1 = code.replace(/[\u0100-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  // src/bundle-loader.ts compiles the chunks from V8's code cache, where Node 20 cannot run a
  // dynamic import(): load a lazily needed package with createRequire (see src/http/multipart.ts).
  const dynamicImport = /\bimport\s*\(/.exec(code);
  if (dynamicImport) {
    throw new Error(
      `${chunk.fileName} holds a dynamic import() (…${code.slice(Math.max(0, dynamicImport.index - 60), dynamicImport.index + 40)}…): ` +
        "load the package with createRequire instead (src/bundle-loader.ts)",
    );
  }
  // The modules were ES modules, which are strict; rolldown's CommonJS output does not say so.
  // On the first line, so the source map's lines stay right.
  fs.writeFileSync(file, `"use strict";${latin1}`);
}

// What the launcher checks before using the bundle: not each of the ~400 input files (stat-ing them
// all took 15-45 ms of every start) but one witness per package they came from. A workspace
// package's dist is written only by `tsc -b`, which rewrites its dist/.tsbuildinfo whenever it
// emits; a dependency changes only through npm, which rewrites its package.json.
const inputs = new Set();
for (const chunk of output)
  if (chunk.type === "chunk") for (const id of Object.keys(chunk.modules)) if (path.isAbsolute(id)) inputs.add(id);
const witnesses = new Set();
for (const file of inputs) {
  const parts = file.split(path.sep);
  const nm = parts.lastIndexOf("node_modules");
  if (nm >= 0) {
    // A dependency: its root package.json (nested ones only mark a folder's module type).
    const root = parts.slice(0, nm + (parts[nm + 1]?.startsWith("@") ? 3 : 2)).join(path.sep);
    witnesses.add(path.join(root, "package.json"));
    continue;
  }
  let dir = path.dirname(file);
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${file}`);
    dir = up;
  }
  const buildInfo = path.join(dir, "dist", ".tsbuildinfo");
  if (!fs.existsSync(buildInfo)) throw new Error(`${file}: its package has no dist/.tsbuildinfo to witness it`);
  witnesses.add(buildInfo);
}
const manifest = {
  entry: "start.cjs",
  inputs: [...witnesses].sort().map((file) => {
    const stat = fs.statSync(file);
    // The hash settles a witness rewritten with the same bytes (src/bundle-inputs.ts).
    return [path.relative(outDir, file).split(path.sep).join("/"), stat.size, stat.mtimeMs, fileSha256(file)];
  }),
};
fs.writeFileSync(path.join(outDir, "inputs.json"), `${JSON.stringify(manifest)}\n`);
const chunks = output.filter((o) => o.type === "chunk");
const bytes = chunks.reduce((n, c) => n + c.code.length, 0);
console.log(
  `server bundle: ${inputs.size} modules of ${witnesses.size} packages → ${chunks.length} files, ${(bytes / 1024).toFixed(0)} KiB, ${Date.now() - started} ms (apps/server/dist/bundle)`,
);
