import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The code explains itself through the repository's own docs. Every source file under apps/,
 * packages/ and bench/ must not cite a document the repository does not hold (an outside spec's
 * sections such as "spec C.18", its file name, or the seed tests it was derived from), and every
 * `docs/<file>.md#<anchor>` it cites must exist: the file, and a heading whose GitHub-style slug is
 * the anchor. The docs' own relative links are checked the same way.
 */
const root = path.resolve(import.meta.dirname, "../../..");
const SCANNED_ROOTS = ["apps", "packages", "bench"];
const SKIPPED_DIRS = new Set(["node_modules", "dist", "coverage", "build", "test-results", "playwright-report"]);
const SCANNED_EXT = /\.(?:ts|tsx|mts|cts|js|mjs|cjs|sql|md|sh|yml|yaml)$/;
const SELF = path.relative(root, import.meta.filename);

/** Citations of a document outside the repository. */
const OUTSIDE_REFERENCE_PATTERNS: readonly RegExp[] = [
  /\bspec-core\b/i,
  /\bspec\s+(?:section\s+)?[A-F](?:\.\d+)?(?!\w)/i,
  /\(spec(?:\)|:\s+`)/i,
  /\bseeds?\s+0\d\d\b/i,
  /\bseed\s+migration\b/i,
  /\([A-F]\.\d+(?:\s+step\s+\d+)?(?:[,;)]|\s+[A-Z(])/,
];

export function outsideReference(line: string): string | null {
  for (const re of OUTSIDE_REFERENCE_PATTERNS) {
    const m = re.exec(line);
    if (m) return m[0];
  }
  return null;
}

/** GitHub's heading anchor: lower case, punctuation dropped (letters, digits, `-`, `_` and spaces kept), spaces to `-`. */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]*>/g, "")
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a markdown file offers (duplicates get -1, -2… like GitHub); code fences skipped. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | null = null;
  for (const line of markdown.split("\n")) {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === null) fence = f[1]![0]!;
      else if (f[1]![0] === fence) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const h = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = githubSlug(h[1]!.replace(/`/g, ""));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function walk(dir: string, out: string[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name.startsWith(".") || SKIPPED_DIRS.has(e.name)) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) walk(full, out);
    else if (e.isFile() && SCANNED_EXT.test(e.name)) out.push(full);
  }
}

function scannedFiles(): string[] {
  const files: string[] = [];
  for (const r of SCANNED_ROOTS) walk(path.join(root, r), files);
  return files
    .map((f) => path.relative(root, f))
    .filter((f) => f !== SELF)
    .sort();
}

const docsDir = path.join(root, "docs");
const anchorCache = new Map<string, Set<string> | null>();
function anchorsOfDoc(file: string): Set<string> | null {
  if (!anchorCache.has(file)) {
    const full = path.join(docsDir, file);
    anchorCache.set(file, fs.existsSync(full) ? anchorsOf(fs.readFileSync(full, "utf8")) : null);
  }
  return anchorCache.get(file)!;
}

describe("the detectors", () => {
  it("flag citations of the outside spec and its seeds, and nothing in ordinary code", () => {
    for (const cited of [
      "(spec C.18)",
      "spec C.4 step 11",
      "see spec-core.md",
      "seed 000",
      "seeds 000/002",
      "(spec B.2: 422)",
      "spec A cost_events",
      "(spec: `blockedByIssueIds` replaces)",
      "// Spec C.9. A live leader",
      "spec section B, costs",
      "(spec D)",
      "seed migration 0072",
      "| cancels (C.8) |",
      "(C.4 step 7)",
    ]) {
      expect(outsideReference(cited), cited).not.toBeNull();
    }
    for (const fine of [
      "spec.schema",
      "if (spec.alreadyIn?.includes(x))",
      "selectList(spec: TableColumns, alias)",
      "const CancelSpec = 1",
      "expect(spec?.schema)",
      "the execution spec",
      "respects (A) and (B)",
      "version (v1.2)",
      "docs/runs.md#transient-retry",
    ]) {
      expect(outsideReference(fine), fine).toBeNull();
    }
  });

  it("slugs headings like GitHub", () => {
    expect(githubSlug("Wakeups and coalescing")).toBe("wakeups-and-coalescing");
    expect(githubSlug("Release and force-release")).toBe("release-and-force-release");
    expect(githubSlug("Stranded-issue reconciliation")).toBe("stranded-issue-reconciliation");
    expect(githubSlug("What Staple serves (v1)")).toBe("what-staple-serves-v1");
    expect([...anchorsOf("# A\n## Same\n```\n## Not a heading\n```\n## Same\n### `Code` heading\n")]).toEqual([
      "a",
      "same",
      "same-1",
      "code-heading",
    ]);
  });
});

describe("code cites only the repository's own docs", () => {
  const files = scannedFiles();

  it("scans the source tree", () => {
    expect(files).toContain("apps/server/src/runs/engine.ts");
    expect(files.length).toBeGreaterThan(100);
  });

  it("no file in apps/, packages/ or bench/ cites the outside spec, spec-core or a seed test", () => {
    const offenders: string[] = [];
    for (const file of files) {
      const lines = fs.readFileSync(path.join(root, file), "utf8").split("\n");
      lines.forEach((line, i) => {
        const hit = outsideReference(line);
        if (hit) offenders.push(`${file}:${i + 1}: ${hit}`);
      });
    }
    expect(offenders, "replace each with a pointer to a docs/<file>.md#<section> or the invariant itself").toEqual([]);
  });

  it("every docs/<file>.md#<anchor> cited in code names an existing file and heading", () => {
    const broken: string[] = [];
    let cited = 0;
    for (const file of files) {
      const lines = fs.readFileSync(path.join(root, file), "utf8").split("\n");
      lines.forEach((line, i) => {
        for (const m of line.matchAll(/\bdocs\/([\w.-]+\.md)(?:#([\w-]+))?/g)) {
          cited++;
          const anchors = anchorsOfDoc(m[1]!);
          if (!anchors) broken.push(`${file}:${i + 1}: docs/${m[1]} does not exist`);
          else if (m[2] && !anchors.has(m[2])) broken.push(`${file}:${i + 1}: docs/${m[1]} has no heading #${m[2]}`);
        }
      });
    }
    expect(broken).toEqual([]);
    expect(cited).toBeGreaterThan(50);
  });
});

describe("the docs stand alone", () => {
  const docs = fs
    .readdirSync(docsDir)
    .filter((f) => f.endsWith(".md"))
    .sort();

  it("architecture.md links every other doc", () => {
    const entry = fs.readFileSync(path.join(docsDir, "architecture.md"), "utf8");
    const unlinked = docs.filter((d) => d !== "architecture.md" && !entry.includes(`](${d}`));
    expect(unlinked).toEqual([]);
  });

  it("relative links between the docs resolve to a file and, with an anchor, to a heading", () => {
    const broken: string[] = [];
    for (const doc of docs) {
      const text = fs.readFileSync(path.join(docsDir, doc), "utf8");
      for (const m of text.matchAll(/\]\(([^)\s]*)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:, agent:
        const [file, anchor] = target.split("#") as [string, string | undefined];
        const resolved = file === "" ? path.join(docsDir, doc) : path.resolve(docsDir, file);
        if (!fs.existsSync(resolved)) {
          broken.push(`${doc}: ${target} (no such file)`);
          continue;
        }
        if (anchor && resolved.endsWith(".md") && !anchorsOf(fs.readFileSync(resolved, "utf8")).has(anchor)) {
          broken.push(`${doc}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("no doc cites the outside spec either", () => {
    const offenders = docs.flatMap((doc) =>
      fs
        .readFileSync(path.join(docsDir, doc), "utf8")
        .split("\n")
        .flatMap((line, i) => {
          const hit = outsideReference(line);
          return hit ? [`${doc}:${i + 1}: ${hit}`] : [];
        }),
    );
    expect(offenders).toEqual([]);
  });
});
