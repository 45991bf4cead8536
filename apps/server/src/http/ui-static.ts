import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Env, Hono, MiddlewareHandler } from "hono";

/**
 * The built board UI (`apps/ui/dist`), resolved from this module: `apps/server/{src,dist}/http` →
 * `apps/ui/dist`.
 */
export const DEFAULT_UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../ui/dist");

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

/** The handler adds `Vary` only when it sent a compressed copy; the plain answer needs it as well. */
function withVary(res: Awaited<ReturnType<MiddlewareHandler>>): Response | undefined {
  if (!res) return undefined;
  if (res.status < 300 && !res.headers.has("vary")) res.headers.set("vary", "Accept-Encoding");
  return res;
}

const isApi = (pathname: string) => pathname === "/api" || pathname.startsWith("/api/");

/** Hashed files are answered from memory up to this size each (the board's largest script is ~90 KB compressed). */
const MAX_MEMORY_ASSET_BYTES = 1024 * 1024;

/**
 * A hashed asset's answer with its bytes in one buffer instead of a file stream. The handler has
 * chosen the file and set every header; the body then goes out in one write, without waiting for
 * file reads between API requests (on the embedded database a long SQL statement holds the same
 * thread, and the board's first requests and its scripts arrive together). A hashed file never
 * changes under its name, so it is read once.
 */
function fromMemory(res: Response, file: string, cache: Map<string, Uint8Array>): Response {
  let bytes = cache.get(file);
  if (!bytes) {
    try {
      if (fs.statSync(file).size > MAX_MEMORY_ASSET_BYTES) return res;
      bytes = fs.readFileSync(file);
    } catch {
      return res;
    }
    cache.set(file, bytes);
  }
  void res.body?.cancel();
  return new Response(bytes, { status: res.status, headers: res.headers });
}

/**
 * Serves the board UI at `/` with Hono's static handler: files of the built UI as they are (the
 * handler refuses `..` segments, encoded separators and backslashes, so no path leaves the
 * directory), hashed files under assets/ cached for a year, everything else revalidated. Text files
 * go out compressed when the browser accepts it: the build writes `.br` and `.gz` copies beside them
 * (apps/ui/scripts/compress-dist.mjs) and the handler picks one by `Accept-Encoding` (Brotli first);
 * every answer says `Vary: Accept-Encoding` so a shared cache keeps the variants apart. A path
 * without a file extension that is no file falls back to `index.html` (client-side routes); a
 * missing file is a 404. Paths under `/api` are never served here (they keep the app's JSON 404).
 * When the UI is not built, a short page says how to build it; the directory is checked per
 * request, so building while the server runs needs no restart. Hashed files are sent from memory
 * after their first read (fromMemory).
 */
export function mountUiStatic<E extends Env>(app: Hono<E>, uiDir: string = DEFAULT_UI_DIR) {
  const root = path.resolve(uiDir);
  const index = path.join(root, "index.html");
  // Created on first use: the handler warns once at creation when its root does not exist yet.
  let files: MiddlewareHandler | undefined;
  let indexPage: MiddlewareHandler | undefined;
  // The file (plain or a compressed copy) the handler chose for a request, and hashed files' bytes.
  const chosen = new WeakMap<Request, string>();
  const assetBytes = new Map<string, Uint8Array>();

  app.get("*", async (c, next) => {
    if (isApi(c.req.path)) return c.notFound();
    if (!isFile(index)) return c.html(NOT_BUILT_PAGE, 200, { "cache-control": "no-store" });
    const hashed = c.req.path.startsWith("/assets/");
    // Set before the handler answers (it builds the response itself); only served files keep it.
    c.header("cache-control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
    files ??= serveStatic({ root, precompressed: true, onFound: (file, c) => void chosen.set(c.req.raw, file) });
    const res = withVary(await files(c, next));
    const file = chosen.get(c.req.raw);
    // Whole files only: a range request keeps the handler's partial answer.
    if (res && hashed && file && res.status === 200 && c.req.method === "GET" && !c.req.header("range"))
      return fromMemory(res, file, assetBytes);
    return res;
  });
  app.get("*", async (c, next) => {
    c.header("cache-control", "no-cache");
    if (path.posix.extname(c.req.path) !== "") return c.notFound();
    indexPage ??= serveStatic({ path: index, precompressed: true });
    return withVary(await indexPage(c, next));
  });
}
