import path from "node:path";
import { fileURLToPath } from "node:url";
import { defaultClientConditions, defineConfig } from "vite";

const here = path.dirname(fileURLToPath(import.meta.url));

// No React plugin needed: Vite's built-in transform compiles TSX with the automatic JSX runtime.
export default defineConfig({
  root: here,
  base: "/",
  oxc: { jsx: { runtime: "automatic" } },
  resolve: {
    // Workspace packages' browser-safe subpaths (the adapters' config schemas) are bundled from source.
    conditions: ["staple-source", ...defaultClientConditions],
    alias: [
      // Only the enum constants are imported as values; types are erased.
      { find: /^@staple\/contracts$/, replacement: path.resolve(here, "../../packages/contracts/src/enums.ts") },
    ],
  },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, target: "es2022" },
  server: { proxy: { "/api": { target: "http://127.0.0.1:3100", ws: true } } },
});
