import http from "node:http";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { INT4_MAX } from "@staple/contracts";
import { MAX_BODY_BYTES } from "../src/http/app.js";
import { MAX_JSON_DEPTH } from "../src/http/json-body.js";
import { useTestServer } from "./helpers/test-server.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";

// One real listening server for the file: the raw-socket and streaming tests need a socket, the
// validation tests use the same app in process.
const s = useTestServer();

interface RawResponse {
  status: number;
  headers: string;
  body: string;
}

/** Sends raw bytes on a fresh loopback connection and reads until the server closes it (bounded). */
function rawRequest(bytes: string | Buffer, timeoutMs = 5_000): Promise<RawResponse> {
  const { port } = new URL(s.current.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms: ${Buffer.concat(chunks).toString()}`));
    }, timeoutMs);
    socket.on("data", (d) => chunks.push(d));
    socket.on("error", () => {}); // a reset after the answer is fine; the answer is what counts
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, headers: split < 0 ? text : text.slice(0, split), body: split < 0 ? "" : text.slice(split + 4) });
    });
    socket.write(bytes);
  });
}

const UPGRADE_HEADERS =
  "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

async function expectHealthy() {
  const res = await fetch(`${s.current.url}/api/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: "ok" });
}

describe("D1: the WebSocket upgrade path never throws", () => {
  it("malformed percent-encoding in the company id -> 400 JSON on the socket; the server keeps serving", async () => {
    const res = await rawRequest(`GET /api/companies/%ff/events/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n${UPGRADE_HEADERS}\r\n`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: expect.stringMatching(/percent-encoding/) });
    await expectHealthy();
  });

  it("an absolute-form target that is not a URL -> 400 JSON; the server keeps serving", async () => {
    const res = await rawRequest(`GET http://[::1/api/companies/x/events/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n${UPGRADE_HEADERS}\r\n`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: "Malformed request target" });
    await expectHealthy();
  });

  it("clients that reset while their upgrade is being authorized do not take the server down either", async () => {
    // The bad target first (it used to end the process), then resets mid-authorization.
    expect((await rawRequest(`GET http://[::1/x/events/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n${UPGRADE_HEADERS}\r\n`)).status).toBe(400);
    const company = await createCompany(s.current);
    const { port } = new URL(s.current.url);
    for (let i = 0; i < 20; i++) {
      const socket = net.connect(Number(port), "127.0.0.1");
      socket.on("error", () => {});
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(
        `GET /api/companies/${company.id}/events/ws HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.current.boardToken}\r\n${UPGRADE_HEADERS}\r\n`,
      );
      socket.resetAndDestroy();
    }
    await new Promise((r) => setTimeout(r, 200));
    await expectHealthy();
  });

  it("other refused upgrades answer JSON too (unknown path 404, non-uuid company 404, no credential 401)", async () => {
    const company = await createCompany(s.current);
    const cases: [string, number][] = [
      ["/api/nope/ws", 404],
      ["/api/companies/not-a-uuid/events/ws", 404],
      [`/api/companies/${company.id}/events/ws`, 401],
    ];
    for (const [path, status] of cases) {
      const res = await rawRequest(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${UPGRADE_HEADERS}\r\n`);
      expect(res.status, path).toBe(status);
      expect(typeof JSON.parse(res.body).error, path).toBe("string");
    }
  });
});

describe("D15/5: errors outside the route table are JSON {error}", () => {
  it("headers over Node's limit -> 431 with a JSON body (not an empty body or a reset)", async () => {
    const res = await rawRequest(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(res.headers).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(res.body)).toEqual({ error: "Request header fields too large" });
    await expectHealthy();
  });

  it("a URL over Node's limit -> 431 JSON", async () => {
    const res = await rawRequest(`GET /api/health?q=${"a".repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toEqual({ error: "Request header fields too large" });
  });

  it("a backslash in the path, a bad Host header, a garbage request line, unknown routes and methods -> JSON errors", async () => {
    const cases: [string, string][] = [
      ["GET /api\\health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close", "Bad request: Backslash in request path"],
      ["GET /api/health HTTP/1.1\r\nHost: a b\r\nConnection: close", "Bad request: Invalid URL"],
      ["NOT A REQUEST", "Bad request"],
    ];
    for (const [head, error] of cases) {
      const res = await rawRequest(`${head}\r\n\r\n`);
      expect(res.status, head).toBe(400);
      expect(res.headers, head).toMatch(/content-type: application\/json/i);
      expect(JSON.parse(res.body), head).toEqual({ error });
    }
    // And what the router itself refuses: unknown routes, unmatched methods, bad percent-encoding.
    const auth = { authorization: `Bearer ${s.current.boardToken}` };
    for (const [method, path] of [
      ["GET", "/api/nope"],
      ["DELETE", "/api/health"],
      ["PUT", "/api/companies"],
      ["GET", "/api/companies/%ff/issues"],
      ["GET", "/api/%E0%A4%A"],
      ["GET", "/api/issues/%zz"],
    ] as const) {
      const res = await fetch(`${s.current.url}${path}`, { method, headers: auth });
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
      expect(res.headers.get("content-type"), `${method} ${path}`).toMatch(/application\/json/);
      expect(typeof (await res.json()).error).toBe("string");
    }
  });
});

describe("D8a: integers stored in int4 columns are bounded in the schema", () => {
  it("budgetMonthlyCents and budget amounts above INT4_MAX -> 400 naming the field; INT4_MAX itself is accepted", async () => {
    const over = INT4_MAX + 1;
    const company = await createCompany(s.current);
    const agent = await createAgent(s.current, company.id);
    const cases: [string, string, Record<string, unknown>, string][] = [
      ["post", "/api/companies", { name: "Overflow", budgetMonthlyCents: over }, "budgetMonthlyCents"],
      ["patch", `/api/companies/${company.id}`, { budgetMonthlyCents: over }, "budgetMonthlyCents"],
      [
        "post",
        `/api/companies/${company.id}/agents`,
        { name: "Big", adapterType: "process", adapterConfig: { command: "/bin/true" }, budgetMonthlyCents: over },
        "budgetMonthlyCents",
      ],
      ["patch", `/api/agents/${agent.id}`, { budgetMonthlyCents: over }, "budgetMonthlyCents"],
      ["post", `/api/companies/${company.id}/budgets/policies`, { scopeType: "company", amount: over }, "amount"],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await s.current.call(method, path, { body });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.body.details.map((d: { path: unknown[] }) => d.path.join("."))).toContain(field);
    }
    expect((await s.current.patch(`/api/companies/${company.id}`, { budgetMonthlyCents: INT4_MAX })).status).toBe(200);
    expect((await s.current.post(`/api/companies/${company.id}/budgets/policies`, { scopeType: "company", amount: INT4_MAX })).status).toBe(
      201,
    );
  });
});

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

describe("D8b: JSON nesting depth is limited before anything recurses on the body", () => {
  it(`a body nested deeper than ${MAX_JSON_DEPTH} levels -> 400 naming the limit (6,000 levels used to be a 500)`, async () => {
    const company = await createCompany(s.current);
    const issue = await createIssue(s.current, company.id);
    for (const depth of [MAX_JSON_DEPTH, 6_000]) {
      const rawBody = `{"type":"commit","provider":"git","title":"t","metadata":${nested(depth)}}`;
      const res = await s.current.call("POST", `/api/issues/${issue.id}/work-products`, { rawBody });
      expect(res.status, String(depth)).toBe(400);
      expect(res.body.error).toBe(`Request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    // Exactly at the limit (the body object is level 1): accepted and stored whole.
    const ok = await s.current.call("POST", `/api/issues/${issue.id}/work-products`, {
      rawBody: `{"type":"commit","provider":"git","title":"t","metadata":${nested(MAX_JSON_DEPTH - 2)}}`,
    });
    expect(ok.status).toBe(201);
    // Brackets inside strings are text, not nesting.
    const text = await s.current.patch(`/api/agents/${(await createAgent(s.current, company.id)).id}`, {
      metadata: { k: "[{".repeat(5_000) },
    });
    expect(text.status).toBe(200);
  });

  it("a million-deep array is refused quickly, not parsed", async () => {
    const company = await createCompany(s.current);
    const started = Date.now();
    const res = await s.current.call("POST", `/api/companies/${company.id}/issues`, {
      rawBody: "[".repeat(1_000_000) + "]".repeat(1_000_000),
    });
    expect(res.status).toBe(400);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe("D8c: text Postgres cannot store is a 400 naming its path, wherever it is in the body", () => {
  it("NUL and lone surrogates in free-form JSON keys and values -> 400 with the field path", async () => {
    const company = await createCompany(s.current);
    const agent = await createAgent(s.current, company.id);
    const issue = await createIssue(s.current, company.id);
    const cases: [string, string, string, string][] = [
      ["PATCH", `/api/agents/${agent.id}`, '{"metadata":{"k":"a\\u0000b"}}', "metadata.k"],
      ["PATCH", `/api/agents/${agent.id}`, '{"metadata":{"a\\u0000b":1}}', "metadata.a\u0000b"],
      ["PATCH", `/api/agents/${agent.id}`, '{"metadata":{"list":[1,"\\ud800"]}}', "metadata.list.1"],
      [
        "POST",
        `/api/issues/${issue.id}/work-products`,
        '{"type":"commit","provider":"git","title":"t","metadata":{"k":"a\\u0000b"}}',
        "metadata.k",
      ],
      ["POST", `/api/agents/${agent.id}/wakeup`, '{"payload":{"x":"a\\u0000b"}}', "payload.x"],
      ["POST", `/api/companies/${company.id}/issues`, '{"title":"ok","description":"\\udc00 lone low"}', "description"],
    ];
    for (const [method, path, rawBody, where] of cases) {
      const res = await s.current.call(method, path, { rawBody });
      expect(res.status, rawBody).toBe(400);
      expect(res.body.details[0].path.join("."), rawBody).toBe(where);
    }
    // A well-formed pair and an escaped backslash before "u0000" are ordinary text.
    const fine = await s.current.call("PATCH", `/api/agents/${agent.id}`, { rawBody: '{"metadata":{"k":"\\ud83d\\ude00 and \\\\u0000"}}' });
    expect(fine.status).toBe(200);
    expect(fine.body.metadata.k).toBe("\u{1F600} and \\u0000");
  });

  it("the coalescing wakeup path (a run already pending) refuses NUL with 400 too, not 500", async () => {
    const company = await createCompany(s.current);
    // Heartbeats off and a command that blocks: the first wake stays queued or running.
    const agent = await createAgent(s.current, company.id, { adapterConfig: { command: "/bin/sleep", args: ["30"] } });
    const first = await s.current.post(`/api/agents/${agent.id}/wakeup`, { reason: "first" });
    expect(first.status, JSON.stringify(first.body)).toBeLessThan(300);
    for (const rawBody of ['{"reason":"a\\u0000b"}', '{"reason":"x","payload":{"k\\u0000":1}}']) {
      const res = await s.current.call("POST", `/api/agents/${agent.id}/wakeup`, { rawBody });
      expect(res.status, rawBody).toBe(400);
    }
    await s.current.post(`/api/agents/${agent.id}/pause`, {});
  });
});

/**
 * PATCHes `{"metadata":{"x":"<total bytes of chunk repeated>"}}` as a chunked body (no
 * content-length); stops sending as soon as the answer arrives.
 */
function chunkedUpload(path: string, chunk: Buffer, total: number): Promise<{ status: number; body: string; sent: number }> {
  const url = new URL(path, s.current.url);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(url, {
      method: "PATCH",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.current.boardToken}`, "transfer-encoding": "chunked" },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error("no answer within 20 s"));
    }, 20_000);
    req.on("response", (res) => {
      answered = true;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body, sent });
      });
    });
    // The server closes the connection after answering; the answer counts. When the server closes
    // while unread bytes of this body sit in its socket buffer, the kernel sends a reset, and a reset
    // can overtake the 413 still unread on this side (the kernel drops it). That is a refusal too:
    // it resolves as status 0 with the error code, and the caller decides whether it accepts it.
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (answered) return;
      clearTimeout(timer);
      resolve({ status: 0, body: error.code ?? String(error), sent });
    });
    const pump = () => {
      while (!answered && sent < total) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once("drain", pump);
      }
      if (!answered) req.end('"}}');
    };
    req.write('{"metadata":{"x":"');
    pump();
  });
}

describe("D10: the body limit is counted in bytes while the body streams in", () => {
  it("a chunked 5 MB body of 3-byte characters (1.7 M characters) -> 413", async () => {
    const company = await createCompany(s.current);
    const agent = await createAgent(s.current, company.id);
    const res = await chunkedUpload(`/api/agents/${agent.id}`, Buffer.from("日".repeat(20_000)), 5_000_000);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({ error: `Request body exceeds ${MAX_BODY_BYTES} bytes` });
    const stored = await s.current.get(`/api/agents/${agent.id}`);
    expect(stored.body.metadata?.x).toBeUndefined();
    await expectHealthy();
  });

  it("a 256 MB chunked body is refused after about the limit: the server stops reading, it does not buffer it", async () => {
    const company = await createCompany(s.current);
    const agent = await createAgent(s.current, company.id);
    const total = 256 * 1024 * 1024;
    const res = await chunkedUpload(`/api/agents/${agent.id}`, Buffer.alloc(64 * 1024, "a"), total);
    // A 413, or (on a loaded machine) the reset of the connection the server closed after its 413.
    if (res.status === 0) expect(res.body).toMatch(/ECONNRESET|EPIPE/);
    else expect(res.status).toBe(413);
    // The refusal came while the client had sent a small part of the body: the server stopped
    // reading after the limit plus what its drain discards, it did not take in 256 MB.
    // (A reset comes after the adapter's drain gave up: at most 64 MB discarded after the limit.)
    expect(res.sent).toBeLessThan((res.status === 0 ? 96 : 32) * 1024 * 1024);
    await expectHealthy();
  });

  it("a chunked body under the limit is accepted; invalid UTF-8 is a 400", async () => {
    const company = await createCompany(s.current);
    const agent = await createAgent(s.current, company.id);
    // 600,000 bytes but only 200,000 characters: bytes are what is counted, and this is under.
    const ok = await chunkedUpload(`/api/agents/${agent.id}`, Buffer.from("日".repeat(1_000)), 600_000);
    expect(ok.status, ok.body).toBe(200);
    const x = JSON.parse(ok.body).metadata.x as string;
    expect(x).toHaveLength(200_000);
    const bad = await fetch(`${s.current.url}/api/agents/${agent.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.current.boardToken}` },
      body: Buffer.concat([Buffer.from('{"metadata":{"x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/not valid UTF-8/);
  });

  it("a body with a declared length is read whole: multi-byte characters intact, empty body a 400", async () => {
    const company = await createCompany(s.current);
    const agent = await createAgent(s.current, company.id);
    const text = `日本語 ✓ 🚀 ${"é".repeat(70_000)}`;
    const body = Buffer.from(JSON.stringify({ metadata: { x: text } }));
    const ok = await fetch(`${s.current.url}/api/agents/${agent.id}`, {
      method: "PATCH",
      headers: {
        "content-type": "application/json",
        "content-length": String(body.length),
        authorization: `Bearer ${s.current.boardToken}`,
      },
      body,
    });
    expect(ok.status).toBe(200);
    expect((await ok.json()).metadata.x).toBe(text);
    const empty = await fetch(`${s.current.url}/api/agents/${agent.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", "content-length": "0", authorization: `Bearer ${s.current.boardToken}` },
    });
    expect(empty.status).toBe(400);
    await expectHealthy();
  });
});
