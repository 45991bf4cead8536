import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processAdapter } from "@staple/adapter-process";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { TEST_JWT_SECRET } from "./helpers/test-app.js";
import { buildApp, type AppBundle } from "../src/server.js";
import { createLogger } from "../src/logger.js";
import type { Database } from "../src/db/database.js";
import { insertLogPieces, openDbLogWriter, readDbLog } from "../src/runs/log-db.js";
import { createRunLogStore } from "../src/runs/log-store.js";
import { ConfigError, loadConfig } from "../src/config.js";

/**
 * Run logs live in the database (docs/runs.md#run-logs-and-events): any app on the database reads
 * them, they are written in batches, capped per run, pruned by retention, and legacy file logs
 * still read.
 */

const t = useTestServer({ runtime: { adapters: { process: processAdapter } } });

/** A second app over the same database with its own (empty) home: it has no log file of anything. */
let other: AppBundle;
const otherHome = fs.mkdtempSync(path.join(os.tmpdir(), "staple-logs-other-"));
beforeAll(async () => {
  other = await buildApp(
    t.current.tdb.db,
    { deploymentMode: "local_trusted", agentJwtSecret: TEST_JWT_SECRET, home: otherHome },
    createLogger("silent"),
  );
});
afterAll(() => fs.rmSync(otherHome, { recursive: true, force: true }));

async function readFromOther(runId: string, query = "") {
  const res = await other.app.request(`/api/heartbeat-runs/${runId}/log${query}`, {
    headers: { authorization: `Bearer ${other.boardToken}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const chunks = (content: string) =>
  content
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { chunk: string }).chunk)
    .join("");

async function runRow(runId: string) {
  const [row] = await t.current.tdb.db.query<Record<string, any>>("SELECT * FROM heartbeat_runs WHERE id = $1", [runId]);
  return row!;
}

/** Counts statements sent to the database (batching is observable as few INSERTs for many appends). */
function countingDb(db: Database) {
  const seen: string[] = [];
  const wrapped = Object.create(db) as Database;
  wrapped.query = ((sql: string, params?: readonly unknown[]) => {
    seen.push(sql);
    return db.query(sql, params);
  }) as Database["query"];
  return { db: wrapped, seen };
}

describe("run logs in the database (engine + API)", () => {
  it("a run's log is read from a second app on the same database, while it runs and after it ends", async () => {
    const company = await createCompany(t.current);
    const release = path.join(otherHome, `release-${Date.now()}`);
    const script = `echo first-line; i=0; while [ ! -e '${release}' ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; echo last-line`;
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", script] } });
    const wake = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", reason: "test" });
    expect(wake.status).toBe(202);
    const runId = wake.body.id as string;

    // While the run executes on the first app, the second reads what was stored so far.
    const live = await waitFor("first line readable from the other app", async () => {
      const res = await readFromOther(runId);
      return res.status === 200 && res.body.content.includes("first-line") ? res : null;
    });
    expect(live.body).toMatchObject({ store: "database", logRef: `db:${runId}`, offset: 0 });
    expect(chunks(live.body.content)).toBe("first-line\n");
    fs.writeFileSync(release, "");

    await waitFor("run succeeded", async () => (await runRow(runId)).status === "succeeded");
    const fromOther = await readFromOther(runId);
    const fromFirst = await t.current.get(`/api/heartbeat-runs/${runId}/log`);
    expect(fromOther.status).toBe(200);
    expect(fromOther.body).toEqual(fromFirst.body);
    expect(chunks(fromOther.body.content)).toBe("first-line\nlast-line\n");
    expect(fromOther.body.truncated).toBeUndefined();

    // The run row names the database store; no log file was written on either home.
    const row = await runRow(runId);
    expect(row).toMatchObject({ logStore: "database", logRef: `db:${runId}`, logBytes: Buffer.byteLength(fromOther.body.content) });
    expect(row.logSha256).toBe(createHash("sha256").update(fromOther.body.content).digest("hex"));
    expect(fs.existsSync(path.join(t.current.home, "run-logs", company.id))).toBe(false);
  });

  it("a run's log written as a file before the database store keeps reading (legacy fallback)", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "echo x"] } });
    const wake = await t.current.post(`/api/agents/${agent.id}/wakeup`, { source: "on_demand", reason: "test" });
    const runId = wake.body.id as string;
    await waitFor("run succeeded", async () => (await runRow(runId)).status === "succeeded");
    // Turn it into an old run: its log in a file, nothing stored in the database.
    const writer = t.current.services.engine.resources.logStore.files.open(company.id, agent.id, runId);
    writer.append("stdout", "from the old file\n");
    await writer.close();
    await t.current.tdb.db.query("DELETE FROM heartbeat_run_log_chunks WHERE run_id = $1", [runId]);
    await t.current.tdb.db.query("UPDATE heartbeat_runs SET log_store = 'local_file', log_ref = $2 WHERE id = $1", [runId, writer.logRef]);

    const res = await t.current.get(`/api/heartbeat-runs/${runId}/log`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ store: "local_file", logRef: writer.logRef });
    expect(chunks(res.body.content)).toBe("from the old file\n");
    // The second app has no such file: the log is not found there (and says so, never a 500).
    expect((await readFromOther(runId)).status).toBe(404);
  });
});

describe("database log writer", () => {
  it("stores many appends in a few batched INSERTs, in order, readable in slices by offset", async () => {
    const { runId, companyId } = await seedRun();
    const counting = countingDb(t.current.tdb.db);
    const writer = openDbLogWriter({ db: counting.db, runId, companyId, maxBytes: 10_000_000, flushMs: 50 });
    const expected: string[] = [];
    for (let i = 0; i < 2000; i++) {
      writer.append(i % 2 ? "stderr" : "stdout", `line ${i}\n`);
      expected.push(`line ${i}\n`);
    }
    const closed = await writer.close();
    const inserts = counting.seen.filter((s) => s.includes("INSERT INTO heartbeat_run_log_chunks"));
    expect(inserts.length).toBeGreaterThanOrEqual(1);
    expect(inserts.length).toBeLessThanOrEqual(5); // ~120 KB in 64 KB batches, never one per line

    // Paging by nextOffset with a small window returns every byte exactly once.
    let content = "";
    let offset = 0;
    for (let i = 0; i < 1000; i++) {
      const slice = (await readDbLog(t.current.tdb.db, runId, offset, 7_000))!;
      expect(slice.offset).toBe(offset);
      content += slice.content;
      if (slice.nextOffset === null) break;
      offset = slice.nextOffset;
    }
    expect(chunks(content)).toBe(expected.join(""));
    expect(closed).toMatchObject({ droppedBytes: 0, bytes: Buffer.byteLength(content) });
    expect(closed.sha256).toBe(createHash("sha256").update(content).digest("hex"));
  });

  it("keeps the newest output under the cap; offsets stay valid and the dropped part is reported", async () => {
    const { runId, companyId } = await seedRun();
    const cap = 8 * 1024;
    const writer = openDbLogWriter({ db: t.current.tdb.db, runId, companyId, maxBytes: cap, flushBytes: 2048 });
    for (let i = 0; i < 2000; i++) writer.append("stdout", `n${i} ${"y".repeat(40)}\n`);
    writer.append("stderr", "z".repeat(20_000)); // longer than half the cap: split into pieces
    writer.append("stdout", "the end\n");
    const closed = await writer.close();

    const whole = (await readDbLog(t.current.tdb.db, runId, 0, 10_000_000))!;
    const kept = Buffer.byteLength(whole.content);
    expect(kept).toBeLessThanOrEqual(cap);
    expect(kept).toBeGreaterThan(cap / 2);
    expect(whole.offset).toBe(whole.droppedBytes);
    expect(whole.droppedBytes).toBeGreaterThan(100_000 - cap);
    expect(closed).toMatchObject({ bytes: kept, droppedBytes: whole.droppedBytes });
    expect(closed.sha256).toBe(createHash("sha256").update(whole.content).digest("hex"));
    expect(
      whole.content.endsWith(
        `${JSON.stringify({ ts: JSON.parse(whole.content.trim().split("\n").at(-1)!).ts, stream: "stdout", chunk: "the end\n" })}\n`,
      ),
    ).toBe(true);
    expect(whole.content).not.toContain('"n0 ');
    const [{ n }] = await t.current.tdb.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM heartbeat_run_log_chunks WHERE run_id = $1 AND bytes > $2",
      [runId, cap / 2],
    );
    expect(n).toBe(0);
  });

  it("the log endpoint reports truncation with the offset its content starts at", async () => {
    const { runId, companyId } = await seedRun();
    const writer = openDbLogWriter({ db: t.current.tdb.db, runId, companyId, maxBytes: 4096, flushBytes: 1024 });
    for (let i = 0; i < 500; i++) writer.append("stdout", `row ${i} ${"q".repeat(30)}\n`);
    const closed = await writer.close();
    const res = await readFromOther(runId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ store: "database", truncated: true, droppedBytes: closed.droppedBytes, offset: closed.droppedBytes });
    expect(chunks(res.body.content).endsWith(`row 499 ${"q".repeat(30)}\n`)).toBe(true);
  });
});

describe("retention (STAPLE_RUN_LOG_RETENTION_DAYS)", () => {
  it("deletes stored pieces older than the retention, set-based, and keeps newer ones", async () => {
    const { runId, companyId } = await seedRun();
    const now = new Date();
    const old = new Date(now.getTime() - 10 * 86_400_000).toISOString();
    const piece = (seq: number, createdAt: string) => {
      const content = `${JSON.stringify({ ts: createdAt, stream: "stdout", chunk: `p${seq}\n` })}\n`;
      return { seq, byteOffset: seq * 1000, stream: "stdout" as const, content, bytes: Buffer.byteLength(content), createdAt };
    };
    await insertLogPieces(t.current.tdb.db, runId, companyId, [piece(0, old), piece(1, old), piece(2, now.toISOString())]);

    const store = createRunLogStore({ db: t.current.tdb.db, home: otherHome, retentionDays: 7 });
    expect(await store.prune(now)).toBe(2);
    expect(await store.prune(now)).toBe(0); // at most once an hour unless forced
    const left = await t.current.tdb.db.query<{ seq: number }>("SELECT seq FROM heartbeat_run_log_chunks WHERE run_id = $1", [runId]);
    expect(left.map((r) => r.seq)).toEqual([2]);
    // Without a retention nothing is deleted.
    await insertLogPieces(t.current.tdb.db, runId, companyId, [piece(3, old)]);
    expect(await createRunLogStore({ db: t.current.tdb.db, home: otherHome }).prune(now, true)).toBe(0);
  });

  it("reads a whole number of days and refuses anything else", () => {
    expect(loadConfig({}).runLogRetentionDays).toBeUndefined();
    expect(loadConfig({ STAPLE_RUN_LOG_RETENTION_DAYS: "30" }).runLogRetentionDays).toBe(30);
    for (const bad of ["0", "-1", "1.5", "abc", "99999"]) {
      expect(() => loadConfig({ STAPLE_RUN_LOG_RETENTION_DAYS: bad }), bad).toThrow(/STAPLE_RUN_LOG_RETENTION_DAYS/);
    }
    expect(() => loadConfig({ STAPLE_RUN_LOG_RETENTION_DAYS: "0" })).toThrow(ConfigError);
  });
});

/** A finished run row to hang log pieces on (the writer is exercised directly). */
async function seedRun() {
  const company = await createCompany(t.current);
  const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/true" } });
  const [run] = await t.current.tdb.db.query<{ id: string }>(
    `INSERT INTO heartbeat_runs (company_id, agent_id, status, started_at, finished_at) VALUES ($1, $2, 'succeeded', now(), now()) RETURNING id`,
    [company.id, agent.id],
  );
  return { runId: run!.id, companyId: company.id as string };
}
