import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BundleInput, bundleInputUnchanged, fileSha256 } from "../src/bundle-inputs.js";

// The launcher (src/main.ts) starts the server from dist/bundle only while each witness of the
// bundle's inputs is unchanged; otherwise from the modules in dist.
describe("server bundle witnesses", () => {
  let dir: string;
  let file: string;
  const witness = (withHash = true): BundleInput => {
    const stat = fs.statSync(file);
    return ["../witness.json", stat.size, stat.mtimeMs, ...(withHash ? [fileSha256(file)] : [])] as BundleInput;
  };
  const moveMtime = () => {
    const later = new Date(fs.statSync(file).mtimeMs + 5_000);
    fs.utimesSync(file, later, later);
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-inputs-"));
    fs.mkdirSync(path.join(dir, "bundle"));
    file = path.join(dir, "witness.json");
    fs.writeFileSync(file, '{"version":"1.0.0"}');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const bundleDir = () => path.join(dir, "bundle");

  it("is unchanged when size and mtime are as recorded", () => {
    expect(bundleInputUnchanged(bundleDir(), witness())).toBe(true);
  });

  it("is unchanged when rewritten with the same bytes (tsc -b after a touch)", () => {
    const recorded = witness();
    fs.writeFileSync(file, '{"version":"1.0.0"}');
    moveMtime();
    expect(fs.statSync(file).mtimeMs).not.toBe(recorded[2]);
    expect(bundleInputUnchanged(bundleDir(), recorded)).toBe(true);
  });

  it("is changed when the content differs at the same size", () => {
    const recorded = witness();
    fs.writeFileSync(file, '{"version":"1.0.1"}');
    moveMtime();
    expect(fs.statSync(file).size).toBe(recorded[1]);
    expect(bundleInputUnchanged(bundleDir(), recorded)).toBe(false);
  });

  it("is changed when the size differs, or the file is gone", () => {
    const recorded = witness();
    fs.writeFileSync(file, '{"version":"1.0.10"}');
    expect(bundleInputUnchanged(bundleDir(), recorded)).toBe(false);
    fs.rmSync(file);
    expect(bundleInputUnchanged(bundleDir(), recorded)).toBe(false);
  });

  it("is changed when the mtime moved and no hash was recorded (a bundle of an older build)", () => {
    const recorded = witness(false);
    moveMtime();
    expect(bundleInputUnchanged(bundleDir(), recorded)).toBe(false);
  });

  it("the built bundle records a hash for every witness (when built)", () => {
    const manifestPath = path.join(import.meta.dirname, "../dist/bundle/inputs.json");
    if (!fs.existsSync(manifestPath)) return; // the bundle is written by `npm run build`
    const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as { inputs: BundleInput[] };
    expect(manifest.inputs.length).toBeGreaterThan(5);
    // Not whether they match: a `tsc -b` after an edit makes the bundle stale, as it should.
    for (const input of manifest.inputs) expect(input[3]).toMatch(/^[0-9a-f]{64}$/);
  });
});
