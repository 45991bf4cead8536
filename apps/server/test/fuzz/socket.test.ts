import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess, type ServerProcess } from "../helpers/server-process.js";
import { rawRequest, type RawAnswer } from "./raw-http.js";

/**
 * What only a real socket shows: requests that Node's HTTP layer (or the WebSocket upgrade
 * listener) handles before the app sees them. Against the built server as a real process, so a
 * crash is a process exit, not a test-runner error. After every probe the server must still answer
 * /api/health, and every answer it gives must be < 500 and, when 4xx, JSON with a string `error`.
 * A connection closed without an answer is accepted only where no answer is possible.
 */
const UPGRADE = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
const req = (target: string, extra = "", method = "GET") =>
  `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra.includes("Upgrade:") ? "" : "Connection: close\r\n"}${extra}\r\n`;

interface Probe {
  name: string;
  request: string;
  /** Node may close without answering (nothing the app can do); otherwise an answer is required. */
  answerOptional?: boolean;
}

const PROBES: Probe[] = [
  { name: "WebSocket upgrade, malformed percent-encoding in the company id", request: req("/api/companies/%ff/events/ws", UPGRADE) },
  {
    name: "WebSocket upgrade, absolute-form target that is not a valid URL",
    request: req("http://[::1/api/companies/x/events/ws", UPGRADE),
  },
  { name: "WebSocket upgrade, encoded traversal as the company id", request: req("/api/companies/..%2f..%2f/events/ws", UPGRADE) },
  { name: "WebSocket upgrade, NUL as the company id", request: req("/api/companies/%00/events/ws", UPGRADE) },
  { name: "WebSocket upgrade, 8 KB company id", request: req(`/api/companies/${"a".repeat(8_000)}/events/ws`, UPGRADE) },
  {
    name: "WebSocket upgrade, unknown company (random uuid)",
    request: req("/api/companies/7d9b6c1e-3f2a-4b8c-9d0e-1a2b3c4d5e6f/events/ws", UPGRADE),
  },
  {
    name: "WebSocket upgrade, bogus bearer token",
    request: req("/api/companies/7d9b6c1e-3f2a-4b8c-9d0e-1a2b3c4d5e6f/events/ws", `${UPGRADE}Authorization: Bearer %ff\u00e9\r\n`),
  },
  { name: "WebSocket upgrade on a non-stream path", request: req("/api/health", UPGRADE) },
  { name: "WebSocket upgrade with a backslash path", request: req("/api\\companies\\x\\events\\ws", UPGRADE) },
  { name: "a header over 16 KB", request: req("/api/health", `X-Big: ${"a".repeat(20_000)}\r\n`) },
  { name: "a URL over 16 KB", request: req(`/api/health?x=${"a".repeat(20_000)}`) },
  { name: "a backslash in the path", request: req("/api\\health") },
  { name: "a backslash path under /api/companies", request: req("/api/companies\\..\\..\\etc") },
  { name: "a malformed request line", request: "GARBAGE\r\n\r\n" },
  {
    name: "an invalid chunk size",
    request: `${req("/api/companies", "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n", "POST")}zz\r\n{}\r\n0\r\n\r\n`,
  },
  {
    name: "both Content-Length and Transfer-Encoding",
    request:
      req("/api/companies", "Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n", "POST") +
      "2\r\n{}\r\n0\r\n\r\n",
  },
  { name: "a NUL byte in a header value", request: req("/api/health", "X-Nul: a\u0000b\r\n") },
];

let server: ServerProcess;
let log = "";

async function start() {
  server = await startServerProcess({});
  server.child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  server.child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
}

async function health(): Promise<{ ok: boolean; detail: string }> {
  if (server.child.exitCode !== null || server.child.signalCode !== null)
    return { ok: false, detail: `server exited (${server.child.exitCode ?? server.child.signalCode})` };
  try {
    const res = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { status?: string };
    return { ok: res.status === 200 && body.status === "ok", detail: `${res.status} ${JSON.stringify(body)}` };
  } catch (error) {
    return { ok: false, detail: String(error) };
  }
}

/** The error line and the first stack frame of a crash, from the server's output. */
function crashSummary(output: string): string {
  const lines = output.split("\n").map((l) => l.trim());
  const at = lines.findIndex((l) => /^[A-Za-z]*Error\b|\bError \[/.test(l));
  if (at < 0) return lines.filter(Boolean).slice(-4).join(" / ").slice(0, 600);
  const frames = lines.slice(at + 1).filter((l) => l.startsWith("at "));
  const frame = frames.find((l) => l.includes("apps/server/")) ?? frames[0] ?? "";
  return `${lines[at]} ${frame}`.slice(0, 600);
}

function answerProblem(answer: RawAnswer): string | undefined {
  if (answer.status === undefined) return undefined;
  if (answer.status >= 500) return `status ${answer.status}`;
  if (answer.status < 400) return undefined;
  try {
    const body = JSON.parse(answer.body) as { error?: unknown };
    return typeof body.error === "string" ? undefined : `${answer.status} JSON without a string error: ${answer.body.slice(0, 200)}`;
  } catch {
    return `${answer.status} answer is not JSON (content-type ${answer.headers["content-type"] ?? "none"}): ${JSON.stringify(answer.body.slice(0, 200))}`;
  }
}

beforeAll(async () => {
  await start();
});

afterAll(async () => {
  await server?.stop();
});

describe("raw-socket probes of a real server", () => {
  for (const probe of PROBES) {
    it(probe.name, async () => {
      log = "";
      const answer = await rawRequest(server.url, probe.request);
      const after = await health();
      const problems: string[] = [];
      if (!after.ok) {
        await new Promise((r) => setTimeout(r, 300)); // let the dying process's stderr arrive
        problems.push(`server down after the probe: ${after.detail}; server log: ${crashSummary(log)}`);
      }
      const bad = answerProblem(answer);
      if (bad) problems.push(bad);
      if (answer.status === undefined && !probe.answerOptional && after.ok) {
        problems.push(`no HTTP answer (connection ${answer.end}), although the server could answer`);
      }
      // A crashed server is restarted so the next probe is judged on its own.
      if (!after.ok) {
        await server.kill();
        await start();
      }
      expect(problems, `probe: ${JSON.stringify(probe.request.slice(0, 120))}`).toEqual([]);
    });
  }
});
