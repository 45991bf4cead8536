import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";

/**
 * Loads the server bundle (dist/bundle: CommonJS chunks written by scripts/bundle-server.mjs) with
 * V8's code cache.
 *
 * Compiling the bundle's 1.2 MB server chunk took ~58 ms of every start (V8 parses all of it before
 * running any), and each function the start calls is compiled again when first called. Node 20 has
 * no code cache for modules (`module.enableCompileCache` came in Node 22), so the chunks are
 * compiled here with `vm.Script` and its `cachedData`: with a cache the server chunk compiles in
 * ~14 ms, and the functions the last start compiled come compiled.
 *
 * - The cache of a chunk is written once, after the server has started (`writeCodeCache`, called
 *   by start.ts once it listens, or at exit if the process ends first), so it holds what a start
 *   compiles and not what a long life did (which would be deserialised, and kept, at every start).
 *   It is written again only when V8 rejects it (another Node or other V8 flags) or it is missing.
 * - V8 checks a cache against the source's length only, so a cache is named by its chunk's size and
 *   mtime: a chunk edited in place is compiled from source and gets a cache of its own. A build
 *   rewrites dist/bundle, caches included.
 * - The cache lives next to the chunks (dist/bundle/code-cache), like compiled Python next to its
 *   source: it is derived from the build and shared by every server started from it. Written to a
 *   temporary file and renamed, so servers starting together never read half a cache. Where the
 *   directory cannot be written (a read-only install), there is no cache and nothing else changes.
 * - Relative requires between chunks are loaded here (one module object per chunk, registered
 *   before it runs, as Node does for cycles); anything else (node:*, packages) goes to Node's own
 *   `require`.
 * - No dynamic `import()`: in a script compiled from a code cache, Node 20 has lost the callback
 *   that serves it ("A dynamic import callback was not specified"; without a cache it works, so
 *   only a second start failed). The bundle's own chunks are required, and scripts/bundle-server.mjs
 *   refuses a bundle that still holds an `import(`.
 */
export interface BundleLoad {
  /** The entry chunk's exports. */
  exports: unknown;
  /** Writes the cache of each chunk that had none (or a rejected one); runs once. */
  writeCodeCache(): void;
  /** Per chunk: whether it compiled from its cache. */
  readonly cached: ReadonlyMap<string, boolean>;
}

/**
 * The global under which main.ts leaves the `BundleLoad` for start.ts (a chunk of the bundle,
 * which cannot import main's modules): start.ts reports whether the cache was used and asks for it
 * to be written once the server listens.
 */
export const BUNDLE_LOAD = Symbol.for("staple.bundle.load");

interface Chunk {
  script: vm.Script;
  cacheFile: string;
}

export function loadBundle(entry: string, options: { cacheDir?: string } = {}): BundleLoad {
  const bundleDir = path.dirname(path.resolve(entry));
  const cacheDir = options.cacheDir ?? path.join(bundleDir, "code-cache");
  const modules = new Map<string, { exports: unknown }>();
  const cached = new Map<string, boolean>();
  let toWrite: Chunk[] | undefined = [];

  function load(filename: string): unknown {
    const loaded = modules.get(filename);
    if (loaded) return loaded.exports;
    const source = fs.readFileSync(filename, "utf8");
    const stat = fs.statSync(filename);
    const cacheFile = path.join(cacheDir, `${path.basename(filename)}.${stat.size}.${Math.trunc(stat.mtimeMs)}.bin`);
    const cachedData = readIfPresent(cacheFile);
    const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename, cachedData });
    const fromCache = cachedData !== undefined && !script.cachedDataRejected;
    cached.set(path.basename(filename), fromCache);
    if (!fromCache) toWrite?.push({ script, cacheFile });
    const nodeRequire = createRequire(filename);
    const chunkRequire = Object.assign(
      (id: string) => {
        if (id.startsWith("./") || id.startsWith("../")) {
          const target = path.resolve(path.dirname(filename), id);
          if (path.dirname(target) === bundleDir && target.endsWith(".cjs")) return load(target);
        }
        return nodeRequire(id);
      },
      { resolve: nodeRequire.resolve },
    );
    const module = { exports: {} as unknown, filename, id: filename, loaded: false };
    modules.set(filename, module);
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(module.exports, module.exports, chunkRequire, module, filename, path.dirname(filename));
    module.loaded = true;
    return module.exports;
  }

  const exports = load(path.resolve(entry));

  function writeCodeCache() {
    const chunks = toWrite;
    toWrite = undefined; // once; and the scripts are no longer held
    if (!chunks?.length) return;
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      for (const { script, cacheFile } of chunks) {
        const temporary = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(temporary, script.createCachedData());
        fs.renameSync(temporary, cacheFile);
      }
    } catch {
      // Not writable (or full): start without a cache, as before.
    }
  }
  if (toWrite?.length) process.once("exit", writeCodeCache);
  else toWrite = undefined;
  return { exports, writeCodeCache, cached };
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}
