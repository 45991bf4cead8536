#!/usr/bin/env node
// Entry point of the server process (`node apps/server/dist/main.js`). It only chooses how the
// server's modules are loaded; the server itself is start.ts.
//
// `npm run build` also writes the server as a bundle (dist/bundle, scripts/bundle-server.mjs): the
// same built modules in a few files, so start-up does not resolve, read and compile ~500 modules one
// by one. The bundle is used only while what it was made from is unchanged (dist/bundle/inputs.json:
// size, mtime and hash of each workspace package's dist/.tsbuildinfo, rewritten by every `tsc -b`
// that emits, and of each bundled dependency's package.json; see bundle-inputs.ts): after a
// `tsc -b` that changed something, or an `npm install` that did, it is stale and the server starts
// from the modules in dist, exactly as built.
// STAPLE_SERVER_BUNDLE=0 never uses it. The bundle's chunks are CommonJS, compiled with V8's code
// cache (bundle-loader.ts; STAPLE_CODE_CACHE=0 compiles them from source every time).
import "./process-flags.js";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BundleInput, bundleInputUnchanged } from "./bundle-inputs.js";
import { BUNDLE_LOAD, loadBundle } from "./bundle-loader.js";

interface BundleManifest {
  entry: string;
  /** Each witness of the bundle's inputs, as it was when the bundle was written. */
  inputs: BundleInput[];
}

function freshBundle(): string | undefined {
  if (process.env.STAPLE_SERVER_BUNDLE === "0") return undefined;
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "bundle");
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, "inputs.json"), "utf8"));
  } catch {
    return undefined; // not built (or unreadable): the modules in dist
  }
  for (const input of manifest.inputs) if (!bundleInputUnchanged(dir, input)) return undefined;
  return path.join(dir, manifest.entry);
}

/**
 * Runs the bundle's entry chunk: through bundle-loader.ts, with V8's code cache, unless
 * STAPLE_CODE_CACHE is 0 (then through Node's own `require`).
 */
function startBundle(entry: string) {
  if (process.env.STAPLE_CODE_CACHE === "0") {
    createRequire(import.meta.url)(entry);
    return;
  }
  (globalThis as Record<symbol, unknown>)[BUNDLE_LOAD] = loadBundle(entry);
}

const bundle = freshBundle();
if (bundle) startBundle(bundle);
else await import("./start.js");
