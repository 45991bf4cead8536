import path from "node:path";
import { fileURLToPath } from "node:url";
import { defaultClientConditions, defineConfig, type Plugin } from "vite";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The landing pages of lib/page-chunks.ts, by the name index.html's boot script uses. */
const LANDING_PAGES = ["dashboard", "inbox", "issues", "issue"] as const;

/**
 * Writes the files of each landing page's chunk (the chunk and what it imports beyond the entry's
 * own files) into index.html's boot script, which adds them as `modulepreload` links for the page
 * being opened: they download beside the entry instead of after it has run.
 */
function landingPageChunks(): Plugin {
  const marker = "var chunks = {};";
  return {
    name: "staple-landing-page-chunks",
    transformIndexHtml: {
      order: "post",
      handler(html, ctx) {
        if (!ctx.bundle) return html;
        if (!html.includes(marker)) throw new Error(`index.html: "${marker}" not found (the boot script's page chunks)`);
        const chunks = Object.values(ctx.bundle).flatMap((c) => (c.type === "chunk" ? [c] : []));
        const byFile = new Map(chunks.map((c) => [c.fileName, c]));
        const entry = chunks.find((c) => c.isEntry);
        if (!entry) throw new Error("no entry chunk");
        // The entry and everything it imports statically are loaded already.
        const loaded = new Set<string>();
        const load = (file: string) => {
          if (loaded.has(file)) return;
          loaded.add(file);
          for (const dep of byFile.get(file)?.imports ?? []) load(dep);
        };
        load(entry.fileName);
        const files = (page: string) => {
          const chunk = chunks.find((c) => c.facadeModuleId === path.join(here, `src/pages/${page}.tsx`));
          if (!chunk) throw new Error(`no chunk for src/pages/${page}.tsx`);
          const out: string[] = [];
          const add = (file: string) => {
            if (loaded.has(file) || out.includes(file)) return;
            out.push(file);
            for (const dep of byFile.get(file)?.imports ?? []) add(dep);
          };
          add(chunk.fileName);
          return out.map((f) => `/${f}`);
        };
        const map = Object.fromEntries(LANDING_PAGES.map((page) => [page, files(page)]));
        html = html.replace(marker, `var chunks = ${JSON.stringify(map)};`);
        // The boot script runs before the stylesheet link: a classic script waits for the stylesheets
        // above it, and its requests should not. It stays after the entry's script and preloads, so
        // those are asked for first.
        const boot = /\s*<script>\s*\/\/ The landing page's first requests[\s\S]*?<\/script>/.exec(html);
        const stylesheet = html.indexOf('<link rel="stylesheet"');
        if (!boot || stylesheet < 0 || stylesheet > boot.index) return html;
        const without = html.slice(0, boot.index) + html.slice(boot.index + boot[0].length);
        return `${without.slice(0, stylesheet)}${boot[0].trim()}\n    ${without.slice(stylesheet)}`;
      },
    },
  };
}

// No React plugin needed: Vite's built-in transform compiles TSX with the automatic JSX runtime.
export default defineConfig({
  root: here,
  base: "/",
  oxc: { jsx: { runtime: "automatic" } },
  plugins: [landingPageChunks()],
  resolve: {
    // Workspace packages' browser-safe subpaths (the adapters' config schemas) are bundled from source.
    conditions: ["staple-source", ...defaultClientConditions],
    alias: [
      // Only the enum constants are imported as values; types are erased.
      { find: /^@staple\/contracts$/, replacement: path.resolve(here, "../../packages/contracts/src/enums.ts") },
    ],
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    target: "es2022",
    // Everything the entry imports statically goes into the entry's own file: rolldown otherwise
    // splits the modules it shares with the lazy pages into separate chunks, three of them under
    // 1.5 KB, each one more request on the cold load's six HTTP/1.1 connections (docs/performance.md, board).
    rolldownOptions: { output: { codeSplitting: { groups: [{ name: "boot", tags: ["$initial"] }] } } },
  },
  server: { proxy: { "/api": { target: "http://127.0.0.1:3100", ws: true } } },
});
