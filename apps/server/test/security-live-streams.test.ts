import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { signAgentJwt } from "../src/auth/agent-jwt.js";
import { liveGuardFor, STREAM_CLOSED_EVENT, WS_CLOSE_REVOKED } from "../src/http/live-stream.js";
import { STREAM_REVALIDATE_MS } from "../src/http/live-guard.js";
import { createLogger } from "../src/logger.js";
import { TEST_JWT_SECRET } from "./helpers/test-app.js";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

const s = useTestServer();

/** Within "a few seconds": the immediate path closes at once, the periodic pass within one period. */
const CLOSE_WITHIN_MS = STREAM_REVALIDATE_MS + 4_000;

interface Received {
  type: string;
  data: any;
}

interface OpenStream {
  received: Received[];
  ended: () => boolean;
  /** Resolves once the server ended the stream (bounded by the caller's waitFor). */
  close(): void;
  /** WebSocket only: the close code and reason. */
  closeInfo?: () => { code: number; reason: string } | undefined;
}

async function openSse(companyId: string, token: string): Promise<OpenStream> {
  const controller = new AbortController();
  const res = await fetch(`${s.current.url}/api/companies/${companyId}/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const received: Received[] = [];
  let ended = false;
  void (async () => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type && data) received.push({ type, data: JSON.parse(data) });
        }
      }
    } catch {
      /* aborted by the test */
    }
    ended = true;
  })();
  await waitFor("sse ready", async () => received.some((e) => e.type === "ready"));
  return { received, ended: () => ended, close: () => controller.abort() };
}

async function openWs(companyId: string, token: string): Promise<OpenStream> {
  const ws = new WebSocket(`${s.current.url.replace("http", "ws")}/api/companies/${companyId}/events/ws`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const received: Received[] = [];
  let info: { code: number; reason: string } | undefined;
  ws.on("message", (raw) => {
    const data = JSON.parse(String(raw));
    received.push({ type: data.type, data });
  });
  ws.on("close", (code, reason) => (info = { code, reason: String(reason) }));
  ws.on("error", () => {});
  await waitFor("ws ready", async () => received.some((e) => e.type === "ready"));
  return { received, ended: () => info !== undefined, close: () => ws.terminate(), closeInfo: () => info };
}

const mentions = (stream: OpenStream, id: string) => stream.received.some((e) => JSON.stringify(e.data).includes(id));

/** Expects the stream to end within seconds, its last message naming `reason`. */
async function expectClosedFor(stream: OpenStream, reason: string) {
  await waitFor(`stream closed (${reason})`, async () => stream.ended(), CLOSE_WITHIN_MS);
  const last = stream.received.at(-1)!;
  expect(last.type).toBe(STREAM_CLOSED_EVENT);
  expect(last.data.reason).toBe(reason);
  if (stream.closeInfo) expect(stream.closeInfo()).toEqual({ code: WS_CLOSE_REVOKED, reason });
}

async function agentWithKey() {
  const company = await createCompany(s.current);
  const agent = await createAgent(s.current, company.id);
  const key = await createAgentKey(s.current, agent.id);
  return { company, agent, key };
}

/** A run that some other server holds a lease on (so this server's engine leaves it alone). */
async function insertForeignRun(companyId: string, agentId: string): Promise<string> {
  const [row] = await s.current.tdb.db.query<{ id: string }>(
    `INSERT INTO heartbeat_runs (company_id, agent_id, status, started_at, lease_owner, lease_expires_at)
     VALUES ($1, $2, 'running', now(), 'another-server', now() + interval '1 hour') RETURNING id`,
    [companyId, agentId],
  );
  return row!.id;
}

describe("D7: open live streams lose access when their credential stops being valid", () => {
  it("revoking an agent API key ends its SSE and WS streams; nothing created after the revocation reaches them", async () => {
    const { company, agent, key } = await agentWithKey();
    const sse = await openSse(company.id, key.token);
    const ws = await openWs(company.id, key.token);
    const before = await createIssue(s.current, company.id, { title: "before revocation" });
    await waitFor("events before revocation", async () => mentions(sse, before.id) && mentions(ws, before.id));

    expect((await s.current.del(`/api/agents/${agent.id}/keys/${key.id}`)).status).toBe(200);
    const after = await createIssue(s.current, company.id, { title: "created after revocation" });
    const afterRun = await s.current.post(`/api/agents/${agent.id}/wakeup`, { reason: "after revocation" });

    await expectClosedFor(sse, "credential_revoked");
    await expectClosedFor(ws, "credential_revoked");
    for (const stream of [sse, ws]) {
      expect(mentions(stream, after.id)).toBe(false);
      if (afterRun.body?.id) expect(mentions(stream, afterRun.body.id)).toBe(false);
    }
    await s.current.post(`/api/agents/${agent.id}/pause`, {});
  });

  it("a run token's streams end when the run is cancelled (run_finished)", async () => {
    const company = await createCompany(s.current);
    const agent = await createAgent(s.current, company.id);
    const runId = await insertForeignRun(company.id, agent.id);
    const token = signAgentJwt({ agentId: agent.id, companyId: company.id, adapterType: "process", runId }, TEST_JWT_SECRET, 3600);
    const sse = await openSse(company.id, token);
    const ws = await openWs(company.id, token);

    const cancel = await s.current.post(`/api/heartbeat-runs/${runId}/cancel`, {});
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
    const after = await createIssue(s.current, company.id, { title: "after the run finished" });

    await expectClosedFor(sse, "run_finished");
    await expectClosedFor(ws, "run_finished");
    expect(mentions(sse, after.id) || mentions(ws, after.id)).toBe(false);
  });

  it("pausing an agent ends its streams (agent_paused)", async () => {
    const { company, agent, key } = await agentWithKey();
    const sse = await openSse(company.id, key.token);
    const ws = await openWs(company.id, key.token);
    expect((await s.current.post(`/api/agents/${agent.id}/pause`, {})).status).toBe(200);
    const after = await createIssue(s.current, company.id, { title: "after the pause" });
    await expectClosedFor(sse, "agent_paused");
    await expectClosedFor(ws, "agent_paused");
    expect(mentions(sse, after.id) || mentions(ws, after.id)).toBe(false);
  });

  it("a change made in the database without any live event (another server) is caught by the periodic pass", async () => {
    const { company, agent, key } = await agentWithKey();
    const runId = await insertForeignRun(company.id, agent.id);
    const runToken = signAgentJwt({ agentId: agent.id, companyId: company.id, adapterType: "process", runId }, TEST_JWT_SECRET, 3600);
    const keyStream = await openSse(company.id, key.token);
    const runStream = await openWs(company.id, runToken);
    const started = Date.now();
    // Plain SQL: no activity row, no NOTIFY. Only the batched re-check can notice.
    await s.current.tdb.db.query("UPDATE agent_api_keys SET revoked_at = now() WHERE id = $1", [key.id]);
    await s.current.tdb.db.query("UPDATE heartbeat_runs SET status = 'succeeded', finished_at = now() WHERE id = $1", [runId]);
    await expectClosedFor(keyStream, "credential_revoked");
    await expectClosedFor(runStream, "run_finished");
    expect(Date.now() - started).toBeLessThan(CLOSE_WITHIN_MS);
  });

  it("the periodic pass re-checks every open agent stream with one query, and leaves valid streams open", async () => {
    const { company, agent } = await agentWithKey();
    const streams: OpenStream[] = [];
    for (let i = 0; i < 4; i++) streams.push(await openSse(company.id, (await createAgentKey(s.current, agent.id)).token));
    const other = await agentWithKey();
    streams.push(await openWs(other.company.id, other.key.token));
    streams.push(await openSse(other.company.id, s.current.boardToken));

    const db = s.current.services.db;
    const original = db.query.bind(db);
    const statements: string[] = [];
    db.query = ((sql: string, params?: readonly unknown[]) => {
      statements.push(sql);
      return original(sql, params);
    }) as typeof db.query;
    try {
      await liveGuardFor({ services: s.current.services, authenticate: s.current.authenticate, logger: createLogger("silent") }).sweep();
    } finally {
      db.query = original;
    }
    expect(statements.filter((sql) => sql.includes("agent_api_keys")).length).toBe(1);
    expect(streams.every((stream) => !stream.ended())).toBe(true);

    const later = await createIssue(s.current, company.id, { title: "still delivered" });
    await waitFor("event on valid streams", async () => streams.slice(0, 4).every((stream) => mentions(stream, later.id)));
    for (const stream of streams) stream.close();
  });

  it("a board key's stream ends when that key is revoked", async () => {
    const company = await createCompany(s.current);
    const key = await s.current.services.boardCredentials.createKey("local-board", "stream test");
    const sse = await openSse(company.id, key.token);
    await s.current.services.boardCredentials.revokeKey("local-board", key.id);
    await expectClosedFor(sse, "credential_revoked");
  });
});
