import fs from "node:fs";
import path from "node:path";
import { strToU8, unzipSync, zipSync } from "fflate";
import { CliError } from "./errors.js";

/** A company package as the API carries it: relative path -> text, or base64 for binary files. */
export type PackageFiles = Record<string, string | { encoding: "base64"; data: string; contentType?: string | null }>;

/** Bounds on what the CLI reads from disk, so a wrong path (a home folder, a huge zip) fails fast. */
const MAX_FILES = 2000;
const MAX_BYTES = 50 * 1024 * 1024;
const SKIPPED_DIRS = new Set([".git", "node_modules"]);

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Text when the bytes are UTF-8 without NULs, base64 otherwise (images, archives). */
function contentOf(bytes: Uint8Array): PackageFiles[string] {
  if (!bytes.includes(0)) {
    try {
      return utf8.decode(bytes);
    } catch {
      /* not text */
    }
  }
  return { encoding: "base64", data: Buffer.from(bytes).toString("base64") };
}

function readDir(root: string): PackageFiles {
  const files: PackageFiles = {};
  let count = 0;
  let bytes = 0;
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(full);
      } else if (entry.isFile()) {
        if (++count > MAX_FILES) throw new CliError(`${root} holds more than ${MAX_FILES} files; is it a company package?`);
        const data = fs.readFileSync(full);
        bytes += data.length;
        if (bytes > MAX_BYTES) throw new CliError(`${root} is larger than ${MAX_BYTES / 1024 / 1024} MB`);
        files[path.relative(root, full).split(path.sep).join("/")] = contentOf(data);
      }
    }
  };
  walk(root);
  return files;
}

function readZip(file: string): PackageFiles {
  const raw = fs.readFileSync(file);
  let entries: Record<string, Uint8Array>;
  let total = 0;
  try {
    entries = unzipSync(raw, {
      filter: (f) => {
        total += f.originalSize;
        if (total > MAX_BYTES) throw new CliError(`${file} unpacks to more than ${MAX_BYTES / 1024 / 1024} MB`);
        return !f.name.endsWith("/");
      },
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${file} is not a readable zip: ${(error as Error).message}`);
  }
  const names = Object.keys(entries);
  if (names.length > MAX_FILES) throw new CliError(`${file} holds more than ${MAX_FILES} files`);
  return Object.fromEntries(names.map((name) => [name, contentOf(entries[name]!)]));
}

/**
 * Reads a package from a folder, a .zip, or a .json file (an export answer `{files, ...}` or a bare
 * `{path: content}` map).
 */
export function readPackage(source: string): PackageFiles {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new CliError(`${source}: no such file or folder`);
  }
  if (stat.isDirectory()) return readDir(source);
  if (source.toLowerCase().endsWith(".zip")) return readZip(source);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(source, "utf8"));
  } catch (error) {
    throw new CliError(`${source} is neither a folder, a .zip nor JSON: ${(error as Error).message}`);
  }
  const files = (parsed as { files?: unknown }).files ?? (parsed as { source?: { files?: unknown } }).source?.files ?? parsed;
  if (!files || typeof files !== "object" || Array.isArray(files)) throw new CliError(`${source} carries no package files`);
  return files as PackageFiles;
}

function bytesOf(content: PackageFiles[string]): Uint8Array {
  return typeof content === "string" ? strToU8(content) : new Uint8Array(Buffer.from(content.data, "base64"));
}

/** A package path as a safe relative path (the server's paths are trusted no more than a zip's). */
function safeRelative(name: string): string {
  const normalized = path.posix.normalize(name.replace(/\\/g, "/"));
  if (normalized.startsWith("../") || normalized === ".." || path.posix.isAbsolute(normalized)) {
    throw new CliError(`refusing to write package path ${name}: it leaves the output folder`);
  }
  return normalized;
}

/**
 * Writes an export: `<out>.zip` as a zip, `<out>.json` as the export JSON, anything else as a folder
 * (which must not exist yet or be empty, so an export never mixes with other files).
 */
export function writePackage(out: string, exported: { files: PackageFiles }): string {
  const lower = out.toLowerCase();
  if (lower.endsWith(".json")) {
    fs.writeFileSync(out, `${JSON.stringify(exported, null, 2)}\n`);
    return out;
  }
  if (lower.endsWith(".zip")) {
    const entries: Record<string, Uint8Array> = {};
    for (const [name, content] of Object.entries(exported.files)) entries[safeRelative(name)] = bytesOf(content);
    fs.writeFileSync(out, zipSync(entries));
    return out;
  }
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0) throw new CliError(`${out} exists and is not empty; choose another --out`);
  for (const [name, content] of Object.entries(exported.files)) {
    const target = path.join(out, safeRelative(name));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, bytesOf(content));
  }
  return out;
}
