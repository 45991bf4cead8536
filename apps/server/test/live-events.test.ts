import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { LIVE_EVENT_PAYLOADS, LIVE_EVENT_TYPES, LiveEvent } from "@staple/contracts";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import type { LiveEvent as BusEvent } from "../src/live/bus.js";

/**
 * Live events are declared once (LIVE_EVENT_PAYLOADS in @staple/contracts): every event a real
 * server publishes during a run parses with the `LiveEvent` union, and the server's publish function
 * refuses, at compile time, an unknown type or a payload that does not match its type.
 */

const t = useTestServer();
const root = path.resolve(import.meta.dirname, "../../..");

describe("events a running server publishes", () => {
  it("a wake, a run with output, and activity: every event parses, every declared type is seen", async () => {
    const app = t.current;
    const company = await createCompany(app);
    const events: BusEvent[] = [];
    const unsubscribe = app.services.live.subscribe(company.id, (event) => events.push(event));
    try {
      const agent = await createAgent(app, company.id, {
        adapterConfig: { command: "/bin/sh", args: ["-c", "echo hello from the run"], timeoutSec: 30 },
      });
      await createIssue(app, company.id, { assigneeAgentId: agent.id, status: "todo" });
      const types = (): Set<string> => new Set(events.map((e) => e.type));
      await waitFor("every live event type", async () => LIVE_EVENT_TYPES.every((type) => types().has(type)), 20_000);
      await waitFor("the run's final status", async () =>
        events.some((e) => e.type === "heartbeat.run.status" && ["succeeded", "failed"].includes(e.payload.status)),
      );
    } finally {
      unsubscribe();
    }
    for (const event of events) {
      const parsed = LiveEvent.safeParse(event);
      expect(parsed.success ? "ok" : `${JSON.stringify(event)}: ${parsed.error.message}`).toBe("ok");
      expect(event.companyId).toBe(company.id);
    }
    const log = events.find((e) => e.type === "heartbeat.run.log");
    expect(log?.type === "heartbeat.run.log" && log.payload.chunk).toContain("hello from the run");
  });

  it("a cancel is announced as a typed status event with its reason", async () => {
    const app = t.current;
    const company = await createCompany(app);
    const events: BusEvent[] = [];
    const unsubscribe = app.services.live.subscribe(company.id, (event) => events.push(event));
    try {
      const agent = await createAgent(app, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "sleep 20"], timeoutSec: 30 } });
      const wake = await app.post(`/api/agents/${agent.id}/wakeup`, {});
      expect(wake.status).toBe(202);
      const cancelled = await app.post(`/api/heartbeat-runs/${wake.body.id}/cancel`);
      expect(cancelled.status).toBe(200);
      const event = await waitFor("the cancel event", async () =>
        events.find((e) => e.type === "heartbeat.run.status" && e.payload.runId === wake.body.id && e.payload.status === "cancelled"),
      );
      expect(LiveEvent.parse(event)).toMatchObject({
        type: "heartbeat.run.status",
        payload: { status: "cancelled", errorCode: expect.any(String) },
      });
    } finally {
      unsubscribe();
    }
  });

  it("a payload of the wrong shape does not parse", () => {
    const base = { companyId: "00000000-0000-4000-8000-000000000001", at: new Date().toISOString() };
    expect(LiveEvent.safeParse({ ...base, type: "agent.status", payload: { agentId: base.companyId, status: "exploded" } }).success).toBe(
      false,
    );
    expect(LiveEvent.safeParse({ ...base, type: "agent.renamed", payload: {} }).success).toBe(false);
    expect(LiveEvent.safeParse({ ...base, type: "heartbeat.run.queued", payload: { runId: base.companyId } }).success).toBe(false);
    expect(Object.keys(LIVE_EVENT_PAYLOADS)).toEqual([...LIVE_EVENT_TYPES]);
  });

  it("the OpenAPI document lists the live events", async () => {
    const doc = await t.current.get("/api/openapi.json");
    expect(Object.keys(doc.body["x-live-events"].types)).toEqual([...LIVE_EVENT_TYPES]);
    for (const ref of Object.values(doc.body["x-live-events"].types) as { $ref: string }[]) {
      expect(doc.body.components.schemas).toHaveProperty(ref.$ref.replace("#/components/schemas/", ""));
    }
    expect(doc.body.components.schemas).toHaveProperty("LiveEvent");
  });
});

describe("publish is typed by the event map", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-live-types-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("an unknown type, a wrong payload and a missing field fail to compile; a right one compiles", { timeout: 120_000 }, async () => {
    const bus = path.join(root, "apps/server/src/live/bus.js");
    const lines = [
      `import type { LiveBus } from ${JSON.stringify(bus)};`,
      `import type { Queryable } from ${JSON.stringify(path.join(root, "apps/server/src/db/database.js"))};`,
      "declare const bus: LiveBus;",
      "declare const q: Queryable;",
      `export const right = () => bus.publish(q, "heartbeat.run.status", "c", { runId: "r", agentId: "a", status: "running", startedAt: null });`,
      `export const unknownType = () => bus.publish(q, "agent.renamed", "c", { agentId: "a" });`,
      `export const wrongValue = () => bus.publish(q, "agent.status", "c", { agentId: "a", status: "exploded" });`,
      `export const missingField = () => bus.publish(q, "heartbeat.run.queued", "c", { runId: "r", agentId: "a" });`,
      `export const otherTypesPayload = () => bus.publish(q, "heartbeat.run.log", "c", { agentId: "a", status: "idle" });`,
    ];
    const file = path.join(dir, "publish-calls.mts");
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    fs.writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: path.join(root, "tsconfig.base.json"),
        compilerOptions: { noEmit: true, composite: false, declaration: false, typeRoots: [path.join(root, "node_modules/@types")] },
        files: [file],
      }),
    );
    const tsc = path.join(root, "node_modules/.bin/tsc");
    const result = await promisify(execFile)(tsc, ["-p", path.join(dir, "tsconfig.json"), "--pretty", "false"], { cwd: root }).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout }),
    );
    const errorLines = new Set(
      result.stdout
        .split("\n")
        .filter((l) => l.includes("publish-calls.mts("))
        .map((l) => Number(/publish-calls\.mts\((\d+),/.exec(l)![1])),
    );
    // 1-based lines of the snippet: 5 compiles, 6-9 do not.
    expect(
      [...errorLines].sort((a, b) => a - b),
      result.stdout,
    ).toEqual([6, 7, 8, 9]);
  });
});
