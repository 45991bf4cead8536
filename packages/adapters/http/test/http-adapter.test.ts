import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AdapterExecuteContext } from "@staple/adapter-kit";
import { httpAdapter } from "../src/index.js";

interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

let server: Server;
let base = "";
/** The test server's address as an allow-list entry: loopback is refused unless allow-listed. */
let allowServer = "";
let received: ReceivedRequest[] = [];
/** Resolvers waiting for the next request to arrive (used to abort mid-request). */
let onRequest: Array<() => void> = [];

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
  for (const notify of onRequest.splice(0)) notify();
  switch (req.url) {
    case "/json":
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify({ ok: true, n: 1 }));
      return;
    case "/text":
      res.writeHead(201, { "content-type": "text/plain" }).end("created");
      return;
    case "/fail":
      res.writeHead(500, { "content-type": "text/plain" }).end("boom");
      return;
    case "/big":
      res.writeHead(200, { "content-type": "text/plain" }).end("z".repeat(200 * 1024));
      return;
    case "/to-loopback":
      // Another loopback port: not on the allow-list, so the guard must refuse it (nothing listens there either).
      res.writeHead(302, { location: `http://127.0.0.1:${Number(new URL(base).port) + 1}/` }).end();
      return;
    case "/hang":
      return; // never answers; closed by closeAllConnections()
    default:
      res.writeHead(404).end();
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  allowServer = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received = [];
  onRequest = [];
});

function makeCtx(adapterConfig: Record<string, unknown>, outboundAllow: string[] = [allowServer]) {
  const logs: string[] = [];
  const secrets: string[] = [];
  const meta: Array<Record<string, unknown>> = [];
  const ctx: AdapterExecuteContext = {
    runId: "run-7",
    agent: { id: "agent-3", companyId: "company-1", name: "Hooky", adapterType: "http", adapterConfig },
    runtime: { sessionId: null, sessionParams: null, sessionDisplayId: null, taskKey: null },
    env: {},
    secrets: [],
    context: { wakeReason: "issue_assigned", issueId: "issue-1" },
    prompt: null,
    cwd: null,
    onLog: (stream, chunk) => void logs.push(`${stream}:${chunk}`),
    onMeta: (m) => void meta.push(m),
    onSpawn: () => undefined,
    onSecret: (value) => void secrets.push(value),
    outboundAllow,
  };
  return { ctx, logs, secrets, meta };
}

const run = (ctx: AdapterExecuteContext, signal: AbortSignal = new AbortController().signal) => httpAdapter.execute(ctx, signal);

describe("httpAdapter.execute", () => {
  it("succeeds on 200 with a JSON body and logs status and body", async () => {
    const { ctx, logs } = makeCtx({ url: `${base}/json` });
    const result = await run(ctx);
    expect(httpAdapter.type).toBe("http");
    expect(result).toEqual({ exitCode: 0, signal: null, timedOut: false, resultJson: { status: 200, body: { ok: true, n: 1 } } });
    expect(logs).toEqual([`stdout:HTTP 200 ${base}/json\n`, `stdout:{"ok":true,"n":1}\n`]);
    expect(received[0]?.method).toBe("POST");
    expect(received[0]?.headers["content-type"]).toBe("application/json");
  });

  it("keeps a non-JSON body as text", async () => {
    const result = await run(makeCtx({ url: `${base}/text` }).ctx);
    expect(result).toMatchObject({ exitCode: 0, resultJson: { status: 201, body: "created" } });
  });

  it("merges the payload template with agentId, runId and context (engine fields win)", async () => {
    const { ctx } = makeCtx({ url: `${base}/json`, payloadTemplate: { kind: "wake", agentId: "spoofed", nested: { a: 1 } } });
    await run(ctx);
    expect(JSON.parse(received[0]?.body ?? "")).toEqual({
      kind: "wake",
      nested: { a: 1 },
      agentId: "agent-3",
      runId: "run-7",
      context: { wakeReason: "issue_assigned", issueId: "issue-1" },
    });
  });

  it("sends GET without a body", async () => {
    const result = await run(makeCtx({ url: `${base}/json`, method: "get", payloadTemplate: { x: 1 } }).ctx);
    expect(result.exitCode).toBe(0);
    expect(received[0]?.method).toBe("GET");
    expect(received[0]?.body).toBe("");
    expect(received[0]?.headers["content-type"]).toBeUndefined();
    expect(received[0]?.headers["content-length"]).toBeUndefined();
  });

  it("maps non-2xx to http_status_error", async () => {
    const { ctx, logs } = makeCtx({ url: `${base}/fail` });
    const result = await run(ctx);
    expect(result).toMatchObject({
      exitCode: null,
      timedOut: false,
      errorCode: "http_status_error",
      errorMessage: `HTTP 500 from ${base}/fail`,
      resultJson: { status: 500, body: "boom" },
    });
    expect(logs).toEqual([`stdout:HTTP 500 ${base}/fail\n`, "stdout:boom\n"]);
  });

  it("times out", async () => {
    const started = Date.now();
    const result = await run(makeCtx({ url: `${base}/hang`, timeoutMs: 300 }).ctx);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ exitCode: null, timedOut: true, errorCode: "timeout" });
  });

  it("is cancelled by abort while the request is in flight", async () => {
    const controller = new AbortController();
    onRequest.push(() => controller.abort());
    const started = Date.now();
    const result = await run(makeCtx({ url: `${base}/hang`, timeoutMs: 20_000 }).ctx, controller.signal);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(received).toHaveLength(1);
    expect(result).toMatchObject({ exitCode: null, timedOut: false, errorCode: "cancelled" });
  });

  it("does not send anything when already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await run(makeCtx({ url: `${base}/json` }).ctx, controller.signal);
    expect(result.errorCode).toBe("cancelled");
    expect(received).toHaveLength(0);
  });

  it("maps a network error to http_request_failed", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await run(makeCtx({ url: `http://127.0.0.1:${port}/` }, [`127.0.0.1:${port}`]).ctx);
    expect(result).toMatchObject({ exitCode: null, timedOut: false, errorCode: "http_request_failed" });
    expect(result.errorMessage).toContain("ECONNREFUSED");
  });

  it("registers credential header values as secrets, sends the headers, keeps them out of meta", async () => {
    const { ctx, secrets, meta } = makeCtx({
      url: `${base}/json`,
      headers: { Authorization: "Bearer tok-123456789", "X-Api-Key": "key-abcdef", "Content-Type": "application/json" },
    });
    await run(ctx);
    // Content-Type carries no credential and is not registered (it would blank "application/json" out of logs).
    expect(secrets).toEqual(["Bearer tok-123456789", "key-abcdef"]);
    expect(received[0]?.headers.authorization).toBe("Bearer tok-123456789");
    expect(received[0]?.headers["x-api-key"]).toBe("key-abcdef");
    expect(meta[0]).toMatchObject({ adapterType: "http", method: "POST", headerNames: ["Authorization", "Content-Type", "X-Api-Key"] });
    expect(JSON.stringify(meta)).not.toMatch(/tok-123456789|key-abcdef/);
  });

  it("caps the response body at 64 KB", async () => {
    const { ctx, logs } = makeCtx({ url: `${base}/big` });
    const result = await run(ctx);
    const json = result.resultJson as { body: string; bodyTruncated?: boolean };
    expect(result.exitCode).toBe(0);
    expect(json.body).toBe("z".repeat(64 * 1024));
    expect(json.bodyTruncated).toBe(true);
    expect(logs.join("").length).toBeLessThan(64 * 1024 + 200);
  });

  it("refuses loopback, metadata and names resolving to loopback with outbound_blocked, sending nothing", async () => {
    const cases: Array<[string, string]> = [
      [`${base}/json`, "127.0.0.1 is a loopback address"],
      [`http://localhost:${new URL(base).port}/json`, "localhost resolves to"],
      ["http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"],
      ["http://[::1]:9/", "::1 is a loopback address"],
      ["http://10.1.2.3:9/", "10.1.2.3 is a private address"],
    ];
    for (const [url, why] of cases) {
      const { ctx, logs } = makeCtx({ url }, []);
      const result = await run(ctx);
      expect(result, url).toMatchObject({ exitCode: null, timedOut: false, errorCode: "outbound_blocked" });
      expect(result.errorMessage, url).toContain(why);
      expect(result.errorMessage, url).toContain("allow-list");
      expect(logs.join(""), url).toContain("refused");
    }
    expect(received).toHaveLength(0);
  });

  it("re-checks redirects: an allow-listed server redirecting to another loopback port is refused", async () => {
    const { ctx, logs } = makeCtx({ url: `${base}/to-loopback` });
    const result = await run(ctx);
    expect(received).toHaveLength(1);
    expect(result).toMatchObject({ errorCode: "outbound_blocked" });
    expect(result.errorMessage).toMatch(/outbound call to 127\.0\.0\.1:\d+ refused: 127\.0\.0\.1 is a loopback address/);
    expect(logs[0]).toMatch(/^stdout:HTTP 302 redirect to http:\/\/127\.0\.0\.1:\d+\/\n$/);
  });

  it("rejects invalid config with adapter_config_invalid", async () => {
    for (const config of [{}, { url: "ftp://x/" }, { url: `${base}/json`, headers: { a: 1 } }, { url: `${base}/json`, timeoutMs: -5 }]) {
      const result = await run(makeCtx(config).ctx);
      expect(result, JSON.stringify(config)).toMatchObject({ exitCode: null, errorCode: "adapter_config_invalid" });
    }
    expect(received).toHaveLength(0);
  });
});

describe("httpAdapter.testEnvironment", () => {
  const testEnvironment = httpAdapter.testEnvironment!;

  it("accepts an http(s) URL and warns when its host does not resolve", async () => {
    expect(await testEnvironment({ url: "https://example.invalid/hook" })).toEqual([
      expect.objectContaining({ level: "info", code: "http_url_ok" }),
      expect.objectContaining({ level: "warn", code: "http_host_unresolved" }),
    ]);
  });

  it("reports a destination the outbound guard refuses, and passes it once allow-listed", async () => {
    for (const url of [`${base}/json`, "http://169.254.169.254/", `http://localhost:${new URL(base).port}/`]) {
      const checks = await testEnvironment({ url });
      expect(
        checks.find((c) => c.level === "error"),
        url,
      ).toMatchObject({ code: "outbound_blocked", message: expect.stringContaining("refused") });
      expect(checks.find((c) => c.level === "error")?.fix, url).toContain("allow-list");
    }
    const allowed = await testEnvironment({ url: `${base}/json` }, { outboundAllow: [allowServer] });
    expect(allowed.map((c) => [c.level, c.code])).toEqual([
      ["info", "http_url_ok"],
      ["info", "http_destination_ok"],
    ]);
    expect(received).toHaveLength(0);
  });

  it("reports missing, unparseable and non-http URLs with a fix", async () => {
    for (const url of [undefined, "not a url", "ftp://example.invalid/x", "file:///etc/passwd", "https://u:p@example.invalid/"]) {
      const checks = await testEnvironment({ url });
      expect(checks, String(url)).toEqual([expect.objectContaining({ level: "error", code: "http_url_invalid" })]);
      expect(checks[0]?.fix).toBeTruthy();
    }
  });
});
