import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OutboundBlockedError, OutboundRedirectError, outboundRequest, type LookupAll } from "../src/index.js";

/** Two loopback servers: `a` is allow-listed by port in most tests, `b` is not. */
let a: Server;
let b: Server;
let aPort = 0;
let bPort = 0;
let seen: Array<{ server: "a" | "b"; method: string; url: string; headers: IncomingMessage["headers"]; body: string }> = [];

function listen(name: "a" | "b"): Promise<[Server, number]> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({
        server: name,
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const url = new URL(req.url ?? "/", "http://x");
      const to = url.searchParams.get("to");
      if (url.pathname === "/redirect" && to) {
        res.writeHead(Number(url.searchParams.get("status") ?? 302), { location: to }).end();
      } else if (url.pathname === "/loop") {
        res.writeHead(302, { location: "/loop" }).end();
      } else {
        res.writeHead(200, { "content-type": "text/plain" }).end(`hello from ${name}`);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve([server, (server.address() as AddressInfo).port])));
}

beforeAll(async () => {
  [a, aPort] = await listen("a");
  [b, bPort] = await listen("b");
});
afterAll(async () => {
  for (const s of [a, b]) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});
beforeEach(() => {
  seen = [];
});

const text = async (body: AsyncIterable<Buffer>) => {
  let out = "";
  for await (const chunk of body) out += chunk.toString();
  return out;
};

describe("outboundRequest", () => {
  it("refuses loopback without an allow-list, before connecting", async () => {
    await expect(outboundRequest(new URL(`http://127.0.0.1:${aPort}/`), { method: "GET", headers: {}, allow: [] })).rejects.toBeInstanceOf(
      OutboundBlockedError,
    );
    await expect(outboundRequest(new URL(`http://localhost:${aPort}/`), { method: "GET", headers: {}, allow: [] })).rejects.toThrow(
      `outbound call to localhost:${aPort} refused: localhost resolves to`,
    );
    expect(seen).toHaveLength(0);
  });

  it("connects to the checked address only: the resolver is asked once per hop, the host name stays in the Host header", async () => {
    let calls = 0;
    // A rebinding resolver: the first answer is the allow-listed address, any later one would be elsewhere.
    const lookup: LookupAll = async () => (calls++ === 0 ? [{ address: "127.0.0.1", family: 4 }] : [{ address: "127.0.0.2", family: 4 }]);
    const response = await outboundRequest(new URL(`http://rebind.test:${aPort}/hello`), {
      method: "GET",
      headers: {},
      allow: [`127.0.0.1:${aPort}`],
      lookup,
    });
    expect(response.status).toBe(200);
    expect(await text(response.body)).toBe("hello from a");
    expect(calls).toBe(1);
    expect(seen[0]?.headers.host).toBe(`rebind.test:${aPort}`);
  });

  it("re-checks every redirect hop: an allowed server redirecting to a loopback port that is not allowed is refused", async () => {
    const target = `http://127.0.0.1:${bPort}/secret`;
    const error = await outboundRequest(new URL(`http://127.0.0.1:${aPort}/redirect?to=${encodeURIComponent(target)}`), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
      allow: [`127.0.0.1:${aPort}`],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundBlockedError);
    expect((error as Error).message).toBe(`outbound call to 127.0.0.1:${bPort} refused: 127.0.0.1 is a loopback address`);
    expect(seen.map((s) => s.server)).toEqual(["a"]);
  });

  it("follows allowed redirects: 303 turns into a GET without body, 307 keeps method and body, cross-origin drops credentials", async () => {
    const allow = [`127.0.0.1:${aPort}`, `127.0.0.1:${bPort}`];
    const hops: string[] = [];
    const r303 = await outboundRequest(new URL(`http://127.0.0.1:${aPort}/redirect?status=303&to=/done`), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer same-origin" },
      body: '{"x":1}',
      allow,
      onRedirect: (status, _from, to) => void hops.push(`${status} ${to.pathname}`),
    });
    expect(await text(r303.body)).toBe("hello from a");
    expect(r303.url.pathname).toBe("/done");
    expect(hops).toEqual(["303 /done"]);
    expect(seen[1]).toMatchObject({ method: "GET", body: "" });
    expect(seen[1]?.headers.authorization).toBe("Bearer same-origin");
    expect(seen[1]?.headers["content-type"]).toBeUndefined();

    seen = [];
    const r307 = await outboundRequest(
      new URL(`http://127.0.0.1:${aPort}/redirect?status=307&to=${encodeURIComponent(`http://127.0.0.1:${bPort}/in`)}`),
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer for-a-only", "x-api-key": "k", accept: "text/plain" },
        body: '{"x":1}',
        allow,
      },
    );
    expect(await text(r307.body)).toBe("hello from b");
    expect(seen[1]).toMatchObject({ server: "b", method: "POST", body: '{"x":1}' });
    expect(seen[1]?.headers.authorization).toBeUndefined();
    expect(seen[1]?.headers["x-api-key"]).toBeUndefined();
    expect(seen[1]?.headers.accept).toBe("text/plain");
  });

  it("stops after the redirect bound", async () => {
    const error = await outboundRequest(new URL(`http://127.0.0.1:${aPort}/loop`), {
      method: "GET",
      headers: {},
      allow: [`127.0.0.1:${aPort}`],
      maxRedirects: 3,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundRedirectError);
    expect(seen).toHaveLength(4);
  });

  it("refuses a redirect to a non-http scheme", async () => {
    const error = await outboundRequest(new URL(`http://127.0.0.1:${aPort}/redirect?to=${encodeURIComponent("file:///etc/passwd")}`), {
      method: "GET",
      headers: {},
      allow: [`127.0.0.1:${aPort}`],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundBlockedError);
    expect((error as OutboundBlockedError).reason).toBe("unsupported scheme");
  });
});
