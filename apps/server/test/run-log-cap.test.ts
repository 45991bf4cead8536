import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { processAdapter } from "@staple/adapter-process";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { createLogStore, DEFAULT_RUN_LOG_MAX_BYTES } from "../src/runs/log-store.js";
import { ConfigError, loadConfig } from "../src/config.js";

/**
 * D13: a run's log is capped (runtime option here, STAPLE_RUN_LOG_MAX_BYTES in production). Past the
 * cap the newest output survives, the drop is a `log.truncated` run event, and the log endpoint says so.
 */

const CAP = 64 * 1024;
/** The marker line the store puts first in a truncated log. */
const MARKER_SLACK = 200;

const t = useTestServer({ runtime: { runLogMaxBytes: CAP, adapters: { process: processAdapter } } });

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "staple-log-cap-"));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

const parseLines = (content: string) =>
  content
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { ts: string; stream: string; chunk: string });

describe("run log cap (engine)", () => {
  it("a process agent printing far more than the cap ends with a log under the cap that holds its final lines", async () => {
    const company = await createCompany(t.current);
    // ~600 KB of numbered lines, then a last line to look for.
    const script = `for (let i = 0; i < 6000; i++) process.stdout.write("line " + i + " " + "x".repeat(90) + "\\n"); console.log("FINAL LINE 5999 done");`;
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: process.execPath, args: ["-e", script] } });
    const wake = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", reason: "test" });
    expect(wake.status).toBe(202);
    const run = await waitFor(
      `run ${wake.body.id} terminal`,
      async () => {
        const res = await t.current.get(`/api/heartbeat-runs/${wake.body.id}`);
        return ["succeeded", "failed", "timed_out", "cancelled"].includes(res.body.status) ? (res.body as Record<string, any>) : null;
      },
      30_000,
    );
    expect(run.status, JSON.stringify(run)).toBe("succeeded");

    const log = await t.current.get(`/api/heartbeat-runs/${run.id}/log?limitBytes=1000000`);
    expect(log.status).toBe(200);
    // Stored in the database: the slice starts at the first kept byte (its offset = the bytes dropped).
    expect(log.body).toMatchObject({ store: "database", truncated: true, droppedBytes: expect.any(Number) });
    expect(log.body.offset).toBe(log.body.droppedBytes);
    expect(log.body.nextOffset).toBeUndefined();
    const bytes = Buffer.byteLength(log.body.content);
    expect(bytes).toBeLessThanOrEqual(CAP);
    expect(bytes).toBeGreaterThan(CAP / 2);
    expect(log.body.droppedBytes).toBeGreaterThan(400_000);

    const text = parseLines(log.body.content)
      .map((l) => l.chunk)
      .join("");
    expect(text.endsWith("FINAL LINE 5999 done\n")).toBe(true);
    expect(text).toContain("line 5998 ");
    expect(text).not.toContain("line 0 ");

    // The run record agrees with what was read; nothing was written under the home.
    expect(run.logBytes).toBe(bytes);
    expect(run.logSha256).toBe(createHash("sha256").update(log.body.content).digest("hex"));
    expect(fs.existsSync(path.join(t.current.home, "run-logs"))).toBe(false);

    const events = await t.current.get(`/api/heartbeat-runs/${run.id}/events`);
    const truncated = (events.body as Array<Record<string, any>>).filter((e) => e.eventType === "log.truncated");
    expect(truncated).toHaveLength(1);
    expect(truncated[0]).toMatchObject({
      level: "warn",
      payload: { droppedBytes: log.body.droppedBytes, maxBytes: CAP, keptBytes: bytes },
    });
  });

  it("a log under the cap is stored whole, with no truncation flag or event", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "sh", args: ["-c", "echo small output"] } });
    const wake = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", reason: "test" });
    const run = await waitFor("small run terminal", async () => {
      const res = await t.current.get(`/api/heartbeat-runs/${wake.body.id}`);
      return res.body.status === "succeeded" ? (res.body as Record<string, any>) : null;
    });
    const log = await t.current.get(`/api/heartbeat-runs/${run.id}/log`);
    expect(log.body.truncated).toBeUndefined();
    expect(
      parseLines(log.body.content)
        .map((l) => l.chunk)
        .join(""),
    ).toBe("small output\n");
    const events = await t.current.get(`/api/heartbeat-runs/${run.id}/events`);
    expect((events.body as Array<{ eventType: string }>).some((e) => e.eventType === "log.truncated")).toBe(false);
  });
});

describe("STAPLE_RUN_LOG_MAX_BYTES", () => {
  it("defaults to 50 MB and reads a byte count; refuses nonsense and tiny caps", () => {
    expect(DEFAULT_RUN_LOG_MAX_BYTES).toBe(50 * 1024 * 1024);
    expect(loadConfig({}).runLogMaxBytes).toBeUndefined();
    expect(createLogStore(tmpRoot).maxBytes).toBe(DEFAULT_RUN_LOG_MAX_BYTES);
    expect(loadConfig({ STAPLE_RUN_LOG_MAX_BYTES: "1048576" }).runLogMaxBytes).toBe(1_048_576);
    for (const bad of ["abc", "1000", "1.5e6x", "-5"]) {
      expect(() => loadConfig({ STAPLE_RUN_LOG_MAX_BYTES: bad }), bad).toThrow(ConfigError);
    }
  });
});

describe("run log cap (store)", () => {
  it("keeps the newest whole lines within the cap, splits oversized chunks, and reports truncation while writing", async () => {
    const cap = 8 * 1024;
    const store = createLogStore(fs.mkdtempSync(path.join(tmpRoot, "h-")), { maxBytes: cap });
    const writer = store.open("c", "a", "r1");
    for (let i = 0; i < 2000; i++) writer.append("stdout", `n${i} ${"y".repeat(40)}\n`);
    writer.append("stderr", "z".repeat(20_000)); // longer than half the cap: split into lines that fit
    writer.append("stdout", "the end\n");
    const during = await store.read(writer.logRef, 0, 1_000_000);
    expect(during?.truncated).toBe(true);
    expect(during?.droppedBytes).toBeNull();

    const closed = await writer.close();
    const read = await store.read(writer.logRef, 0, 1_000_000);
    const size = Buffer.byteLength(read!.content);
    expect(size).toBeLessThanOrEqual(cap + MARKER_SLACK);
    expect(closed).toMatchObject({ bytes: size, droppedBytes: read!.droppedBytes });
    expect(closed.droppedBytes).toBeGreaterThan(100_000 - cap);
    const lines = parseLines(read!.content);
    expect(lines.at(-1)).toMatchObject({ stream: "stdout", chunk: "the end\n" });
    expect(lines.every((l) => Buffer.byteLength(JSON.stringify(l)) <= cap / 2)).toBe(true);
  });

  it("leaves a log that never reached the cap exactly as written", async () => {
    const store = createLogStore(fs.mkdtempSync(path.join(tmpRoot, "h-")), { maxBytes: 8 * 1024 });
    const writer = store.open("c", "a", "r2");
    for (let i = 0; i < 50; i++) writer.append("stdout", `line ${i}\n`);
    const closed = await writer.close();
    const read = await store.read(writer.logRef, 0, 1_000_000);
    expect(read).toMatchObject({ truncated: false, droppedBytes: null });
    expect(closed).toMatchObject({ droppedBytes: 0, bytes: Buffer.byteLength(read!.content) });
    expect(closed.sha256).toBe(createHash("sha256").update(read!.content).digest("hex"));
    expect(parseLines(read!.content)).toHaveLength(50);
  });
});
