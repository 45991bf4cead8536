import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { Hono } from "hono";
import { afterAll, describe, expect, it } from "vitest";
import { mountUiStatic } from "../src/http/ui-static.js";
import { useTestApp } from "./helpers/test-app.js";

const t = useTestApp();
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A bare app like createApp's tail: the UI handler, then the JSON 404. */
function appWith(uiDir: string) {
  const app = new Hono();
  app.get("/api/ping", (c) => c.json({ ok: true }));
  mountUiStatic(app, uiDir);
  app.notFound((c) => c.json({ error: c.req.path.startsWith("/api") ? "API route not found" : "Not found" }, 404));
  return app;
}

function builtUi() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-ui-"));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, "assets"));
  fs.writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>Staple board</title><div id=root></div>");
  fs.writeFileSync(path.join(dir, "assets", "app-1234.js"), "console.log('hi')");
  fs.writeFileSync(path.join(dir, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  return dir;
}

describe("board UI at /", () => {
  it("serves index.html at / and for client routes, files as they are", async () => {
    const app = appWith(builtUi());
    const home = await app.request("/");
    expect(home.status).toBe(200);
    expect(home.headers.get("content-type")).toMatch(/text\/html/);
    expect(await home.text()).toContain("Staple board");

    const route = await app.request("/companies/abc/issues/ACM-1");
    expect(route.status).toBe(200);
    expect(await route.text()).toContain("Staple board");

    const asset = await app.request("/assets/app-1234.js");
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/javascript/);
    expect(asset.headers.get("cache-control")).toMatch(/immutable/);
    expect(await asset.text()).toBe("console.log('hi')");

    expect((await app.request("/favicon.svg")).headers.get("content-type")).toMatch(/^image\/svg\+xml/);
  });

  it("sends the build's Brotli or gzip copy the browser accepts, with Vary and the asset's year-long cache", async () => {
    const dir = builtUi();
    const js = `export const rows = ${JSON.stringify(Array.from({ length: 200 }, (_, i) => `row ${i}`))};\n`;
    const html = `<!doctype html><title>Staple board</title><div id=root></div>${"<!-- padding -->".repeat(100)}`;
    fs.writeFileSync(path.join(dir, "assets", "big-abcd.js"), js);
    fs.writeFileSync(path.join(dir, "index.html"), html);
    // What apps/ui/scripts/compress-dist.mjs writes after `vite build`.
    execFileSync(process.execPath, [path.resolve(import.meta.dirname, "../../ui/scripts/compress-dist.mjs"), dir]);
    expect(fs.existsSync(path.join(dir, "assets", "big-abcd.js.br"))).toBe(true);
    const app = appWith(dir);

    const br = await app.request("/assets/big-abcd.js", { headers: { "accept-encoding": "gzip, deflate, br" } });
    expect(br.status).toBe(200);
    expect(br.headers.get("content-encoding")).toBe("br");
    expect(br.headers.get("content-type")).toMatch(/javascript/);
    expect(br.headers.get("vary")).toBe("Accept-Encoding");
    expect(br.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const brBytes = Buffer.from(await br.arrayBuffer());
    expect(brBytes.length).toBeLessThan(js.length / 2);
    expect(zlib.brotliDecompressSync(brBytes).toString()).toBe(js);

    const gz = await app.request("/assets/big-abcd.js", { headers: { "accept-encoding": "gzip" } });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(zlib.gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toBe(js);

    const plain = await app.request("/assets/big-abcd.js");
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(plain.headers.get("vary")).toBe("Accept-Encoding");
    expect(await plain.text()).toBe(js);

    // index.html, also as the fallback of client routes, is compressed but revalidated.
    for (const p of ["/", "/c/abc/issues"]) {
      const page = await app.request(p, { headers: { "accept-encoding": "gzip" } });
      expect(page.headers.get("content-encoding"), p).toBe("gzip");
      expect(page.headers.get("cache-control"), p).toBe("no-cache");
      expect(page.headers.get("vary"), p).toBe("Accept-Encoding");
      expect(zlib.gunzipSync(Buffer.from(await page.arrayBuffer())).toString(), p).toBe(html);
    }
    // Too small to be worth compressing: sent as it is.
    const small = await app.request("/assets/app-1234.js", { headers: { "accept-encoding": "br, gzip" } });
    expect(small.headers.get("content-encoding")).toBeNull();
    expect(await small.text()).toBe("console.log('hi')");
  });

  it("a missing file is a 404, and no path escapes the UI directory", async () => {
    const app = appWith(builtUi());
    const missing = await app.request("/assets/missing.js");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("cache-control")).not.toMatch(/immutable/);
    const escaped = await app.request("/..%2f..%2fetc%2fpasswd");
    expect(await escaped.text()).not.toContain("root:");
    for (const p of ["/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2f..%2fetc%2fpasswd", "/assets%5c..%5c..%5cetc%5cpasswd"]) {
      const res = await app.request(p);
      expect(await res.text(), p).not.toContain("root:");
    }
  });

  it("revalidates index.html and other files; a client route with encoded characters still gets the board", async () => {
    const app = appWith(builtUi());
    expect((await app.request("/")).headers.get("cache-control")).toBe("no-cache");
    expect((await app.request("/favicon.svg")).headers.get("cache-control")).toBe("no-cache");
    const route = await app.request("/c/abc/issues/A%20B");
    expect(route.status).toBe(200);
    expect(route.headers.get("cache-control")).toBe("no-cache");
    expect(await route.text()).toContain("Staple board");
  });

  it("leaves /api alone: known routes answer, unknown ones are a JSON 404", async () => {
    const app = appWith(builtUi());
    expect(await (await app.request("/api/ping")).json()).toEqual({ ok: true });
    for (const p of ["/api", "/api/nope", "/api/companies/x/nothing"]) {
      const res = await app.request(p);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: "API route not found" });
    }
  });

  it("without a built UI, / is a short page saying to run npm run build", async () => {
    const app = appWith(path.join(os.tmpdir(), `staple-ui-missing-${process.pid}`));
    for (const p of ["/", "/issues/ACM-1"]) {
      const res = await app.request(p);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("npm run build");
    }
    expect((await app.request("/api/nope")).status).toBe(404);
  });

  it("the real app serves HTML at / and keeps JSON 404s and the API under /api", async () => {
    const home = await t.current.app.request("/");
    expect(home.status).toBe(200);
    expect(home.headers.get("content-type")).toMatch(/text\/html/);
    const missing = await t.current.get("/api/definitely-not-a-route");
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: "API route not found" });
    expect((await t.current.get("/api/health")).body).toMatchObject({ status: "ok" });
    expect((await t.current.post("/not-api", {})).status).toBe(404);
  });

  it("every answer carries X-Request-Id: the caller's own when plain, else a new uuid", async () => {
    const app = t.current.app;
    const own = await app.request("/api/health", { headers: { "x-request-id": "trace-123" } });
    expect(own.headers.get("x-request-id")).toBe("trace-123");
    const hostile = await app.request("/api/health", { headers: { "x-request-id": "a b<script>" } });
    expect(hostile.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await app.request("/api/definitely-not-a-route");
    expect(missing.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
