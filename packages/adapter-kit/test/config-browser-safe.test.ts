import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The board bundles each adapter's config schema (`@staple/<package>/config`), so those modules may
 * import zod and the kit's config module only: never node: built-ins or an adapter's run-time code.
 */
const root = path.resolve(import.meta.dirname, "../..");
const SUBPATHS: [pkgDir: string, file: string][] = [
  ["adapter-kit", "src/config-fields.ts"],
  ["adapters/process", "src/config.ts"],
  ["adapters/http", "src/config.ts"],
  ["adapters/claude", "src/config.ts"],
  ["adapters/codex", "src/config.ts"],
  ["adapters/gemini", "src/config.ts"],
  ["adapters/opencode", "src/config.ts"],
  ["adapters/cursor", "src/config.ts"],
  ["adapters/acp", "src/config.ts"],
];
const ALLOWED = new Set(["zod", "@staple/adapter-kit/config"]);

describe("browser-safe config entry points", () => {
  it.each(SUBPATHS)("%s exports ./config from %s, which imports only zod and the kit's config", (pkgDir, file) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, pkgDir, "package.json"), "utf8")) as {
      exports: Record<string, Record<string, string>>;
    };
    expect(pkg.exports["./config"]).toMatchObject({ types: `./${file}`, default: `./dist/${path.basename(file, ".ts")}.js` });
    const source = fs.readFileSync(path.join(root, pkgDir, file), "utf8");
    const specifiers = [...source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]);
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((s) => !ALLOWED.has(s!))).toEqual([]);
  });
});
