import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { waitFor } from "./helpers/test-server.js";
import { createAgent, createAgentKey, createCompany } from "./helpers/fixtures.js";
import { useRunControlServer, wake } from "./helpers/run-control-kit.js";

/** The live event streams (SSE and WebSocket): run lifecycle and activity events of the company, and who may subscribe. */

const { t } = useRunControlServer();

interface SeenEvent {
  type: string;
  companyId?: string;
  payload?: Record<string, any>;
}

describe("live events", () => {
  /** Reads an SSE response into `sink` until aborted. */
  async function pumpSse(res: Response, sink: SeenEvent[]) {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: ?(.*)$/m.exec(block)?.[1];
          const data = block
            .split("\n")
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.replace(/^data: ?/, ""))
            .join("\n");
          if (!event) continue;
          sink.push({ type: event, ...(data ? JSON.parse(data) : {}) });
        }
      }
    } catch {
      /* aborted */
    }
  }

  function hasRunLifecycle(events: SeenEvent[], runId: string, finalStatus: string) {
    const forRun = (type: string, status?: string) =>
      events.some((e) => e.type === type && e.payload?.runId === runId && (status === undefined || e.payload?.status === status));
    return (
      forRun("heartbeat.run.queued") &&
      forRun("heartbeat.run.status", "running") &&
      forRun("heartbeat.run.status", finalStatus) &&
      // The agent status its finalization settled (idle after a success, nobody else running).
      events.some(
        (e) =>
          e.type === "agent.status" &&
          e.payload?.agentId === events.find((x) => x.payload?.runId === runId)?.payload?.agentId &&
          e.payload?.status === "idle",
      ) &&
      events.some((e) => e.type === "activity.logged")
    );
  }

  it("SSE and WebSocket clients receive heartbeat.run.* and activity.logged events of the company", async () => {
    const company = await createCompany(t.current);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-live-"));
    // Echoes its run token: the live log feed must carry it redacted.
    const script = `require("fs").writeFileSync(process.env.OUT_DIR + "/token.txt", process.env.PAPERCLIP_API_KEY); console.log("live token=" + process.env.PAPERCLIP_API_KEY);`;
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: { command: process.execPath, args: ["-e", script], env: { OUT_DIR: dir } },
    });

    const sseEvents: SeenEvent[] = [];
    const abort = new AbortController();
    const sse = await fetch(`${t.current.url}/api/companies/${company.id}/events`, {
      signal: abort.signal,
      headers: { accept: "text/event-stream", authorization: `Bearer ${t.current.boardToken}` },
    });
    expect(sse.status).toBe(200);
    expect(sse.headers.get("content-type")).toContain("text/event-stream");
    const pumping = pumpSse(sse, sseEvents);

    const wsEvents: SeenEvent[] = [];
    const ws = new WebSocket(`${t.current.url.replace(/^http/, "ws")}/api/companies/${company.id}/events/ws`, {
      headers: { authorization: `Bearer ${t.current.boardToken}` },
    });
    ws.on("message", (data) => wsEvents.push(JSON.parse(String(data))));
    try {
      await waitFor("ws open", async () => ws.readyState === WebSocket.OPEN);
      await waitFor(
        "both streams ready",
        async () => sseEvents.some((e) => e.type === "ready") && wsEvents.some((e) => e.type === "ready"),
      );

      const queued = await wake(t.current, agent.id);
      await waitFor("SSE lifecycle events", async () => hasRunLifecycle(sseEvents, queued.id, "succeeded"), 15_000);
      await waitFor("WebSocket lifecycle events", async () => hasRunLifecycle(wsEvents, queued.id, "succeeded"), 15_000);
      for (const list of [sseEvents, wsEvents]) {
        for (const e of list.filter((x) => x.type !== "ready")) expect(e.companyId).toBe(company.id);
        const activity = list.filter((e) => e.type === "activity.logged");
        expect(activity.some((e) => e.payload?.action === "heartbeat.invoked" && e.payload?.entityId === agent.id)).toBe(true);
      }
      const token = fs.readFileSync(path.join(dir, "token.txt"), "utf8");
      expect(token.length).toBeGreaterThan(20);
      await waitFor("live log chunk", async () =>
        sseEvents.some(
          (e) =>
            e.type === "heartbeat.run.log" && e.payload?.runId === queued.id && String(e.payload?.chunk).includes("live token=[REDACTED]"),
        ),
      );
      expect(JSON.stringify(sseEvents)).not.toContain(token);
      expect(JSON.stringify(wsEvents)).not.toContain(token);
    } finally {
      ws.close();
      abort.abort();
      await pumping;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a run queued by an issue assignment is announced too", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const events: SeenEvent[] = [];
    const abort = new AbortController();
    const sse = await fetch(`${t.current.url}/api/companies/${company.id}/events`, {
      signal: abort.signal,
      headers: { accept: "text/event-stream", authorization: `Bearer ${t.current.boardToken}` },
    });
    const pumping = pumpSse(sse, events);
    try {
      await waitFor("stream ready", async () => events.some((e) => e.type === "ready"));
      const issue = await t.current.post(`/api/companies/${company.id}/issues`, {
        title: "Announce me",
        assigneeAgentId: agent.id,
        status: "todo",
      });
      expect(issue.status, JSON.stringify(issue.body)).toBe(201);
      await waitFor("queued event", async () =>
        events.some(
          (e) => e.type === "heartbeat.run.queued" && e.payload?.agentId === agent.id && e.payload?.invocationSource === "assignment",
        ),
      );
    } finally {
      abort.abort();
      await pumping;
    }
  });

  it("another company's agent is refused (403) on SSE and WebSocket; a bad token is 401", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const outsider = await createAgent(t.current, other.id);
    const key = await createAgentKey(t.current, outsider.id);

    const sse = await fetch(`${t.current.url}/api/companies/${company.id}/events`, { headers: { authorization: `Bearer ${key.token}` } });
    expect(sse.status).toBe(403);
    await sse.body?.cancel();
    const bad = await fetch(`${t.current.url}/api/companies/${company.id}/events`, { headers: { authorization: "Bearer pcp_nope" } });
    expect(bad.status).toBe(401);
    await bad.body?.cancel();

    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${t.current.url.replace(/^http/, "ws")}/api/companies/${company.id}/events/ws`, {
        headers: { authorization: `Bearer ${key.token}` },
      });
      const timer = setTimeout(() => reject(new Error("no answer to the upgrade")), 10_000);
      ws.on("unexpected-response", (_req, res) => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on("open", () => {
        clearTimeout(timer);
        ws.close();
        resolve(101);
      });
      ws.on("error", () => undefined);
    });
    expect(status).toBe(403);

    // Its own company's stream is fine for the agent.
    const own = new AbortController();
    const mine = await fetch(`${t.current.url}/api/companies/${other.id}/events`, {
      headers: { authorization: `Bearer ${key.token}` },
      signal: own.signal,
    });
    expect(mine.status).toBe(200);
    own.abort();
    await mine.body?.cancel().catch(() => undefined);
  });
});
