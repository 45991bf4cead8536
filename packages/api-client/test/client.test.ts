import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, createStapleClient, describeError, unwrap } from "../src/index.js";

/** A loopback stand-in for the server: answers by path, records what it received. */
const received: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString()));
  req.on("end", () => {
    received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    const json = (status: number, value: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    if (req.url === "/api/companies" && req.method === "POST") return json(201, { id: "c1", ...JSON.parse(body) });
    if (req.url?.startsWith("/api/issues/a%2Fb%20c/comments"))
      return json(400, { error: "Validation failed", code: "validation", details: [{ path: ["body"], message: "Too small" }] });
    if (req.url === "/api/companies") return json(401, { error: "Authentication required" });
    if (req.url === "/api/health") return res.writeHead(502, { "content-type": "text/plain" }).end("bad gateway");
    json(404, { error: "API route not found" });
  });
});
let baseUrl = "";
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("@staple/api-client from Node (global fetch)", () => {
  it("sends JSON bodies and extra headers, and returns the typed answer", async () => {
    const client = createStapleClient({ baseUrl, headers: { authorization: "Bearer pcp_test" } });
    const company = await unwrap(client.POST("/api/companies", { body: { name: "Acme" } }));
    expect(company).toMatchObject({ id: "c1", name: "Acme" });
    const sent = received.at(-1)!;
    expect(sent.method).toBe("POST");
    expect(sent.headers["content-type"]).toMatch(/application\/json/);
    expect(sent.headers.authorization).toBe("Bearer pcp_test");
    expect(JSON.parse(sent.body)).toEqual({ name: "Acme" });
  });

  it("encodes path parameters; error bodies become ApiError with status, code and details", async () => {
    const client = createStapleClient({ baseUrl });
    const err = await unwrap(client.GET("/api/issues/{id}/comments", { params: { path: { id: "a/b c" }, query: { order: "asc" } } })).catch(
      (e: unknown) => e,
    );
    expect(received.at(-1)!.url).toBe("/api/issues/a%2Fb%20c/comments?order=asc");
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: "validation" });
    expect(describeError(err)).toBe("Validation failed (body: Too small)");
  });

  it("reports a 401 to onUnauthorized before the caller sees the error; a non-JSON error keeps its text", async () => {
    let unauthorized = 0;
    const client = createStapleClient({ baseUrl, onUnauthorized: () => unauthorized++ });
    const err = await unwrap(client.GET("/api/companies")).catch((e: unknown) => e);
    expect(unauthorized).toBe(1);
    expect(err).toMatchObject({ status: 401, message: "Authentication required" });
    const gateway = await unwrap(client.GET("/api/health")).catch((e: unknown) => e);
    expect(gateway).toMatchObject({ status: 502, message: "bad gateway" });
    expect(unauthorized).toBe(1);
  });
});
