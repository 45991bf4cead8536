import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * PGlite's file-system bundle (`pglite.data`, 6.2 MB in 0.5.16) holds Postgres's `share/` and
 * `lib/` files. PGlite reads it whole into one ArrayBuffer and its in-memory file system points
 * into that buffer (no copy), so all of it stays resident for the life of the process.
 *
 * A server opening a cluster that already exists never opens about 4 MB of it (the list below).
 * For that case this module builds a buffer of the bundle's size and reads only the other files
 * into it. A fresh ArrayBuffer is zero pages that the kernel maps on first write, so the pages of
 * the skipped files are never resident. After start the skipped files are removed from the
 * in-memory file system ({@link removeSkippedFiles}): opening one then fails as a missing file
 * instead of reading zeros.
 *
 * The bundle's layout comes from dist/embedded-fs-manifest.json, written at build time from
 * PGlite's package metadata (scripts/build-embedded-fs-manifest.mjs). Without it, or when it does
 * not describe the installed bundle (size or version), the whole bundle is used as before.
 */

export interface FsManifest {
  pglite: string;
  size: number;
  files: { name: string; start: number; end: number }[];
}

const SHARE = "/pglite/share/postgresql/";
const LIB = "/pglite/lib/postgresql/";

/** initdb's inputs: read only while a cluster is created, which this path never does. */
const INITDB_INPUTS = new Set([
  "postgres.bki",
  "information_schema.sql",
  "system_constraints.sql",
  "system_functions.sql",
  "system_views.sql",
  "snowball_create.sql",
  "sql_features.txt",
  "errcodes.txt",
]);

/**
 * Whether a running server on an existing cluster can go without the file:
 * - initdb's inputs and its `*.sample` configuration files;
 * - encoding conversions (`utf8_and_sjis.so`, `latin_and_mic.so`, …): the cluster is UTF8 and
 *   the only client is this process, which speaks UTF8, so no conversion is ever loaded;
 * - replication (`libpqwalreceiver.so`, `pgoutput.so`): PGlite has no walsender or subscriber;
 * - `pgxs/`: the makefiles for building extensions.
 * Everything else stays: plpgsql, text search dictionaries, time zones, ICU collation data.
 */
export function unusedOnExistingCluster(name: string): boolean {
  if (name.startsWith(SHARE)) {
    const rest = name.slice(SHARE.length);
    return INITDB_INPUTS.has(rest) || (!rest.includes("/") && rest.endsWith(".sample"));
  }
  if (name.startsWith(LIB)) {
    const rest = name.slice(LIB.length);
    if (rest.startsWith("pgxs/")) return true;
    if (rest.includes("/")) return false;
    return (
      /^[a-z0-9]+(_[a-z0-9]+)*_and_[a-z0-9_]+\.so$|^euc2004_sjis2004\.so$/.test(rest) ||
      rest === "libpqwalreceiver.so" ||
      rest === "pgoutput.so"
    );
  }
  return false;
}

/** The byte ranges to read: the kept files' spans, adjacent ones merged into one read. */
export function rangesToRead(manifest: FsManifest, skip: (name: string) => boolean): [number, number][] {
  const ranges: [number, number][] = [];
  for (const f of manifest.files) {
    if (skip(f.name) || f.end === f.start) continue;
    const last = ranges.at(-1);
    if (last && last[1] === f.start) last[1] = f.end;
    else ranges.push([f.start, f.end]);
  }
  return ranges;
}

export interface PartialFsBundle {
  /** What PGlite's `fsBundle` option takes: called once, at create. */
  bundle: { arrayBuffer(): Promise<ArrayBuffer> };
  skipped: string[];
  bytesRead: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/embedded-fs-manifest.json, from the built module (dist/db) or from its source (src/db, in tests). */
export const FS_MANIFEST_PATH =
  [path.resolve(here, "../embedded-fs-manifest.json"), path.resolve(here, "../../dist/embedded-fs-manifest.json")].find((p) =>
    fs.existsSync(p),
  ) ?? path.resolve(here, "../embedded-fs-manifest.json");

function pgliteVersion(dataFile: string): string | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(path.dirname(dataFile), "../package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
}

/**
 * The bundle without the files {@link unusedOnExistingCluster} names, or undefined (use PGlite's
 * own loading) when the manifest is missing or does not match the installed bundle.
 */
export function partialFsBundle(manifestPath = FS_MANIFEST_PATH): PartialFsBundle | undefined {
  let manifest: FsManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
  } catch {
    return undefined;
  }
  const dataFile = createRequire(import.meta.url).resolve("@electric-sql/pglite/pglite.data");
  if (fs.statSync(dataFile).size !== manifest.size || pgliteVersion(dataFile) !== manifest.pglite) return undefined;
  const skipped = manifest.files.filter((f) => unusedOnExistingCluster(f.name)).map((f) => f.name);
  const ranges = rangesToRead(manifest, unusedOnExistingCluster);
  return {
    skipped,
    bytesRead: ranges.reduce((n, [a, b]) => n + b - a, 0),
    bundle: {
      async arrayBuffer() {
        const buffer = new ArrayBuffer(manifest.size);
        const fd = fs.openSync(dataFile, "r");
        try {
          for (const [start, end] of ranges) {
            let at = start;
            while (at < end) {
              const n = fs.readSync(fd, new Uint8Array(buffer, at, end - at), 0, end - at, at);
              if (n === 0) throw new Error(`pglite.data ended at ${at}, expected ${manifest.size} bytes`);
              at += n;
            }
          }
        } finally {
          fs.closeSync(fd);
        }
        return buffer;
      },
    },
  };
}

/** Removes the skipped files from PGlite's in-memory file system (they hold zeros). */
export function removeSkippedFiles(fsys: { unlink(path: string): void }, skipped: string[]): void {
  for (const name of skipped) {
    try {
      fsys.unlink(name);
    } catch {
      /* not there: nothing to remove */
    }
  }
}
