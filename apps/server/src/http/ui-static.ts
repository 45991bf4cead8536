import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Hono } from "hono";

/**
 * The built board UI (`apps/ui/dist`), resolved from this module: `apps/server/{src,dist}/http` →
 * `apps/ui/dist`.
 */
export const DEFAULT_UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../ui/dist");

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Staple</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Staple is running</h1>
<p>The board UI has not been built yet. Run <code>npm run build</code> at the repository root, then reload this page.</p>
<p>The API is available under <a href="/api/health"><code>/api</code></a> (see <a href="/api/openapi.json"><code>/api/openapi.json</code></a>).</p>
</body></html>
`;

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the board UI at `/`: files of the built UI as they are, any other path without a file
 * extension falls back to `index.html` (client-side routes). Paths under `/api` are never served
 * here (they keep the app's JSON 404). When the UI is not built, a short page says how to build it.
 * The directory is checked per request, so building while the server runs needs no restart.
 */
export function mountUiStatic(app: Hono, uiDir: string = DEFAULT_UI_DIR) {
  const root = path.resolve(uiDir);
  app.get("*", async (c) => {
    const pathname = c.req.path;
    if (pathname === "/api" || pathname.startsWith("/api/")) return c.notFound();
    const index = path.join(root, "index.html");
    if (!isFile(index)) return c.html(NOT_BUILT_PAGE, 200, { "cache-control": "no-store" });
    let relative: string;
    try {
      relative = decodeURIComponent(pathname);
    } catch {
      return c.notFound();
    }
    const candidate = path.resolve(root, "." + path.posix.normalize("/" + relative));
    const inside = candidate === root || candidate.startsWith(root + path.sep);
    if (inside && candidate !== root && isFile(candidate)) {
      const ext = path.extname(candidate).toLowerCase();
      const immutable = candidate.startsWith(path.join(root, "assets") + path.sep);
      return c.body(await fs.promises.readFile(candidate), 200, {
        "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream",
        "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      });
    }
    // A missing file (has an extension) is a 404; anything else is a client route.
    if (path.posix.extname(pathname) !== "") return c.notFound();
    return c.body(await fs.promises.readFile(index), 200, { "content-type": CONTENT_TYPES[".html"]!, "cache-control": "no-cache" });
  });
}
