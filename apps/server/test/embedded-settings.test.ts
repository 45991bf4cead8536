import fs from "node:fs";
import v8 from "node:v8";
import { describe, expect, inject, it, vi } from "vitest";
import { EMBEDDED_SERVER_SETTINGS, EMBEDDED_SHARED_BUFFERS, EMBEDDED_WASM_FLAG, openEmbedded } from "../src/db/embedded.js";

// The embedded database's buffer pool is sized down from PGlite's 128MB (zeroed, hence resident,
// at open): idle memory and open time (bench W3/W4, docs/performance.md).
const template = () => fs.readFileSync(inject("embeddedTemplatePath"));

describe("embedded database settings", () => {
  it("opens with the small shared_buffers, its WebAssembly on V8's baseline compiler", { timeout: 120_000 }, async () => {
    const setFlags = vi.spyOn(v8, "setFlagsFromString");
    const db = await openEmbedded({ template: template() });
    expect(setFlags).toHaveBeenCalledWith(EMBEDDED_WASM_FLAG);
    expect(EMBEDDED_WASM_FLAG).toBe("--liftoff-only");
    setFlags.mockRestore();
    try {
      const [row] = await db.query<{ sharedBuffers: string }>("SHOW shared_buffers");
      expect(row!.sharedBuffers).toBe(EMBEDDED_SHARED_BUFFERS);
      expect(EMBEDDED_SHARED_BUFFERS).toBe("16MB");
    } finally {
      await db.close();
    }
  });

  it("sizes shared memory for one backend; one transaction still locks a thousand relations", { timeout: 120_000 }, async () => {
    const db = await openEmbedded({ template: template() });
    try {
      for (const setting of EMBEDDED_SERVER_SETTINGS) {
        const [name, value] = setting.split("=") as [string, string];
        const [row] = await db.query<Record<string, string>>(`SELECT current_setting($1) AS v`, [name]);
        expect(row!.v, name).toBe(value);
      }
      const [{ bytes }] = (await db.query<{ bytes: number }>("SELECT sum(allocated_size)::int8 AS bytes FROM pg_shmem_allocations")) as [
        { bytes: number },
      ];
      expect(bytes).toBeLessThan(19.5 * 1024 * 1024); // 24 MB with Postgres's defaults, 16 MB of it the buffer pool
      const created = await db.tx(async (q) => {
        for (let i = 0; i < 1000; i++) await q.query(`CREATE TEMP TABLE lock_probe_${i} (x int)`);
        return (await q.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'relation'"))[0]!.n;
      });
      expect(created).toBeGreaterThanOrEqual(1000);
    } finally {
      await db.close();
    }
  });

  it("refuses a malformed size instead of passing it to Postgres", async () => {
    await expect(openEmbedded({ template: template(), sharedBuffers: "16MB -c fsync=off" })).rejects.toThrow(/invalid shared_buffers/);
  });
});
