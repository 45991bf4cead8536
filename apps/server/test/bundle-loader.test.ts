import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadBundle } from "../src/bundle-loader.js";
import { startServerProcess } from "./helpers/server-process.js";

// src/bundle-loader.ts: the server bundle's CommonJS chunks compiled with V8's code cache.
describe("bundle loader", () => {
  let dir: string;
  const write = (name: string, code: string) => fs.writeFileSync(path.join(dir, name), `"use strict";${code}`);
  const cacheFiles = () => (fs.existsSync(path.join(dir, "code-cache")) ? fs.readdirSync(path.join(dir, "code-cache")).sort() : []);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-loader-"));
    // An entry and a chunk that require each other (as rolldown's chunks do), a built-in, and
    // __filename.
    write(
      "entry.cjs",
      `exports.early = "entry";
       const other = require("./other.cjs");
       exports.sum = other.add(2, 3);
       exports.sawEntry = other.sawEntry;
       exports.base = require("node:path").basename(__filename);
       exports.strict = (function () { return this === undefined; })();
       exports.inspectType = typeof require("node:util").inspect;`,
    );
    write("other.cjs", `const entry = require("./entry.cjs"); exports.sawEntry = entry.early; exports.add = (a, b) => a + b;`);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs chunks as CommonJS modules: cycles, built-ins, strict mode", () => {
    const load = loadBundle(path.join(dir, "entry.cjs"));
    const exports = load.exports as Record<string, unknown>;
    expect(exports.sum).toBe(5);
    expect(exports.sawEntry).toBe("entry"); // the cycle sees what the entry had exported so far
    expect(exports.base).toBe("entry.cjs");
    expect(exports.strict).toBe(true);
    expect(exports.inspectType).toBe("function");
  });

  // A fresh process per load: within one process V8 reuses its own compilation of a source it has
  // seen, and the code cache is never consulted.
  const LOADER = path.join(import.meta.dirname, "../dist/bundle-loader.js");
  const loadInChild = (opts: { write?: boolean } = {}) => {
    const script = `import { loadBundle } from ${JSON.stringify(pathToFileURL(LOADER).href)};
      const load = loadBundle(${JSON.stringify(path.join(dir, "entry.cjs"))});
      ${opts.write ? "load.writeCodeCache();" : ""}
      process.stdout.write(JSON.stringify({ cached: Object.fromEntries(load.cached), sum: load.exports.sum }));`;
    return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })) as {
      cached: Record<string, boolean>;
      sum: number;
    };
  };

  it("writes each chunk's cache once, and the next start compiles from it", () => {
    const first = loadBundle(path.join(dir, "entry.cjs"));
    expect([...first.cached.values()]).toEqual([false, false]);
    expect(cacheFiles()).toEqual([]);
    first.writeCodeCache();
    const written = cacheFiles();
    expect(written).toHaveLength(2);
    expect(written.every((f) => f.endsWith(".bin"))).toBe(true);
    first.writeCodeCache(); // once: nothing rewritten
    expect(cacheFiles()).toEqual(written);

    expect(loadInChild()).toEqual({ cached: { "entry.cjs": true, "other.cjs": true }, sum: 5 });
  });

  it("never runs a cache of other code: an edited chunk of the same length compiles from its source", () => {
    loadInChild({ write: true });
    const before = fs.readFileSync(path.join(dir, "other.cjs"), "utf8");
    const edited = before.replace("a + b", "a * b");
    expect(edited.length).toBe(before.length); // V8 itself would accept the old cache for this source
    fs.writeFileSync(path.join(dir, "other.cjs"), edited);
    fs.utimesSync(path.join(dir, "other.cjs"), new Date(), new Date(Date.now() + 5_000));
    expect(loadInChild()).toEqual({ cached: { "entry.cjs": true, "other.cjs": false }, sum: 6 });
  });

  it("a cache V8 rejects is compiled from source and written again", () => {
    loadInChild({ write: true });
    const files = cacheFiles();
    for (const f of files) fs.writeFileSync(path.join(dir, "code-cache", f), Buffer.from("not a code cache"));
    expect(loadInChild({ write: true })).toEqual({ cached: { "entry.cjs": false, "other.cjs": false }, sum: 5 });
    expect(cacheFiles()).toEqual(files);
    expect(loadInChild()).toEqual({ cached: { "entry.cjs": true, "other.cjs": true }, sum: 5 });
  });

  it("without a writable cache directory it loads all the same", () => {
    fs.writeFileSync(path.join(dir, "blocked"), "a file where the directory would be");
    const load = loadBundle(path.join(dir, "entry.cjs"), { cacheDir: path.join(dir, "blocked", "code-cache") });
    expect(() => load.writeCodeCache()).not.toThrow();
    expect((load.exports as Record<string, unknown>).sum).toBe(5);
  });
});

const BUNDLE = path.join(import.meta.dirname, "../dist/bundle");

describe("the built server bundle", () => {
  it("is strict-mode CommonJS without a dynamic import()", () => {
    if (!fs.existsSync(path.join(BUNDLE, "inputs.json"))) return; // written by `npm run build`
    const chunks = fs.readdirSync(BUNDLE).filter((f) => f.endsWith(".cjs"));
    expect(chunks).toContain("start.cjs");
    for (const chunk of chunks) {
      const code = fs.readFileSync(path.join(BUNDLE, chunk), "latin1");
      expect(code.startsWith('"use strict";')).toBe(true);
      // From a code cache, Node 20 cannot run one (src/bundle-loader.ts); the build refuses it too.
      expect(code).not.toMatch(/\bimport\s*\(/);
    }
  });

  it("a restart compiles from the code cache the start before it wrote", { timeout: 120_000 }, async () => {
    const first = await startServerProcess({});
    const listening = (output: string) => JSON.parse(output.split("\n").find((l) => l.includes('"staple listening"'))!);
    const firstLine = listening(first.output());
    await first.stop();
    // Started from dist's modules (a `tsc -b` after the build made the bundle stale): no cache.
    if (!("codeCacheUsed" in firstLine)) return;
    const second = await startServerProcess({}, first.home);
    try {
      expect(listening(second.output()).codeCacheUsed).toBe(true);
      expect((await fetch(`${second.url}/api/health`)).status).toBe(200);
      // A package the first upload loads (busboy): a dynamic import() failed here, from the cache.
      const auth = { authorization: `Bearer ${second.boardToken}` };
      const post = (p: string, body: unknown) =>
        fetch(`${second.url}${p}`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const company = await (await post("/api/companies", { name: "Cached start" })).json();
      const issue = await (await post(`/api/companies/${company.id}/issues`, { title: "Upload" })).json();
      const form = new FormData();
      form.append("file", new Blob(["hello"], { type: "text/plain" }), "hello.txt");
      const upload = await fetch(`${second.url}/api/companies/${company.id}/issues/${issue.id}/attachments`, {
        method: "POST",
        headers: auth,
        body: form,
      });
      expect(upload.status, await upload.clone().text()).toBe(201);
    } finally {
      await second.stop();
    }
  });
});
