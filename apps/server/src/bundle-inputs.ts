import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * One witness of the server bundle's inputs (dist/bundle/inputs.json): its path relative to the
 * bundle directory, size, mtime and SHA-256 as they were when the bundle was written.
 */
export type BundleInput = [file: string, size: number, mtimeMs: number, sha256?: string];

/**
 * Whether a witness is as it was when the bundle was written.
 *
 * The stat decides in the common case (no hashing on a normal start). A witness with the same size
 * but another mtime has its content compared: `tsc -b` rewrites `.tsbuildinfo` byte for byte
 * identical after a source file was only touched (a checkout, an editor's save), and a reinstall of
 * the same dependency version rewrites its package.json; neither changes what was bundled. A
 * witness without a recorded hash (a bundle written by an older build) is stale when its mtime moved.
 */
export function bundleInputUnchanged(dir: string, [file, size, mtimeMs, sha256]: BundleInput): boolean {
  const absolute = path.resolve(dir, file);
  const stat = fs.statSync(absolute, { throwIfNoEntry: false });
  if (!stat || stat.size !== size) return false;
  if (stat.mtimeMs === mtimeMs) return true;
  return sha256 !== undefined && fileSha256(absolute) === sha256;
}

export function fileSha256(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}
