import { createRequire } from "node:module";
import path from "node:path";
import type { PackageFileContent, PackageFiles } from "@staple/contracts";
import { ruleViolation } from "../errors.js";

/**
 * The YAML library (CommonJS, ~25 modules) is loaded by the first package read or written, not at
 * server start (docs/performance.md, W3/W4).
 */
let yamlLib: typeof import("yaml") | undefined;
const yaml = () => (yamlLib ??= createRequire(import.meta.url)("yaml") as typeof import("yaml"));

/** Bounds on what one package may hold, so a hostile upload cannot make the reader work without end. */
export const PACKAGE_MAX_FILES = 2000;

export const invalidPackage = (message: string, details?: unknown) => ruleViolation(message, details, "invalid_package");

/**
 * Normalizes a package's file map: forward slashes, no leading `./` or `/`, no `..` segments (a path
 * leaving the package is a 422 naming it), and a common top folder removed when every file sits under
 * one (a zip of `my-company/…` reads like the folder itself).
 */
export function normalizeFiles(files: PackageFiles): Record<string, PackageFileContent> {
  const entries = Object.entries(files);
  if (entries.length === 0) throw invalidPackage("The package has no files");
  if (entries.length > PACKAGE_MAX_FILES) throw invalidPackage(`The package has more than ${PACKAGE_MAX_FILES} files`);
  const out: Record<string, PackageFileContent> = {};
  for (const [raw, content] of entries) {
    const cleaned = raw
      .replace(/\\/g, "/")
      .replace(/^(\.\/)+/, "")
      .replace(/^\/+/, "");
    const normalized = path.posix.normalize(cleaned);
    if (normalized === "." || normalized.startsWith("../") || normalized === ".." || cleaned.split("/").includes("..")) {
      throw invalidPackage(`Package path '${raw}' leaves the package`, { path: raw });
    }
    out[normalized] = content;
  }
  if (!("COMPANY.md" in out)) {
    const tops = new Set(Object.keys(out).map((p) => p.split("/")[0]));
    const [top] = [...tops];
    if (tops.size === 1 && top && `${top}/COMPANY.md` in out) {
      const stripped: Record<string, PackageFileContent> = {};
      for (const [p, c] of Object.entries(out)) stripped[p.slice(top.length + 1)] = c;
      return stripped;
    }
  }
  return out;
}

export function textOf(files: Record<string, PackageFileContent>, file: string): string | undefined {
  const content = files[file];
  if (content === undefined) return undefined;
  if (typeof content === "string") return content;
  return Buffer.from(content.data, "base64").toString("utf8");
}

export function parseYamlText(text: string, file: string): unknown {
  try {
    return yaml().parse(text, { maxAliasCount: 100 });
  } catch (error) {
    throw invalidPackage(`${file} is not valid YAML: ${(error as Error).message.split("\n")[0]}`, { path: file });
  }
}

/**
 * `---\n<yaml>\n---\n\n<body>`: the frontmatter (an object, {} when absent) and the body after the one
 * blank line that separates them. The body is otherwise kept byte for byte (instruction files round trip).
 */
export function parseFrontmatter(text: string, file: string): { frontmatter: Record<string, unknown>; body: string } {
  const normalized = text.replace(/\r\n/g, "\n");
  const match = /^---\n([\s\S]*?)\n?---(?:\n|$)/.exec(normalized);
  if (!match) return { frontmatter: {}, body: normalized };
  const parsed = parseYamlText(match[1]!, file);
  if (parsed !== null && parsed !== undefined && (typeof parsed !== "object" || Array.isArray(parsed))) {
    throw invalidPackage(`${file}: the frontmatter must be a mapping`, { path: file });
  }
  const rest = normalized.slice(match[0].length);
  return { frontmatter: (parsed ?? {}) as Record<string, unknown>, body: rest.startsWith("\n") ? rest.slice(1) : rest };
}

/** Keys with undefined or null values are left out, so files stay small and stable. */
function compact(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null));
}

export function renderYaml(value: Record<string, unknown>): string {
  return yaml().stringify(compact(value), { lineWidth: 0 });
}

export function renderFrontmatter(frontmatter: Record<string, unknown>, body: string): string {
  return `---\n${renderYaml(frontmatter)}---\n\n${body}`;
}
