import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpJson, startServerProcess, type ServerProcess } from "../../server/test/helpers/server-process.js";
import { runCli } from "./helpers/cli.js";
import { detectAdapterTypes } from "../src/runner/detect.js";

// `staple runner` against a real server (docs/runners.md): registers with a runner token, heartbeats,
// drains. Taking runs is not built yet.
let server: ServerProcess;
let companyId: string;

beforeAll(async () => {
  server = await startServerProcess({});
  companyId = (await httpJson(server.url, "POST", "/api/companies", { name: "Runner Co" })).body.id;
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe("staple runner", () => {
  it("--once registers with the token's labels and this machine's adapters, heartbeats and drains", async () => {
    const token = (await httpJson(server.url, "POST", `/api/companies/${companyId}/runner-tokens`, { name: "ci box" })).body;
    const result = await runCli(["runner", "--label", "gpu", "--label", "linux", "--name", "ci-1", "--once", "--json"], {
      STAPLE_API_URL: server.url,
      STAPLE_RUNNER_TOKEN: token.token,
    });
    expect(result.code, result.stderr).toBe(0);
    const runner = JSON.parse(result.stdout);
    expect(runner).toMatchObject({ name: "ci-1", labels: ["gpu", "linux"], companyId, status: "online" });
    expect(runner.adapterTypes).toEqual(expect.arrayContaining(["process", "http"]));
    expect(result.stderr).toContain(`Runner ${runner.id} drained and stopped.`);
    const listed = (await httpJson(server.url, "GET", `/api/companies/${companyId}/runner-tokens`)).body as Array<{
      id: string;
      lastUsedAt: string | null;
    }>;
    expect(listed.find((t) => t.id === token.id)?.lastUsedAt).not.toBeNull();
  });

  it("needs a token (usage error, no request) and reports a revoked one", async () => {
    const missing = await runCli(["runner", "--once"], { STAPLE_API_URL: server.url });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("runner token is required");

    const token = (await httpJson(server.url, "POST", `/api/companies/${companyId}/runner-tokens`, { name: "old" })).body;
    await httpJson(server.url, "DELETE", `/api/runner-tokens/${token.id}`);
    const revoked = await runCli(["runner", "--once", "--token", token.token], { STAPLE_API_URL: server.url });
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain("runner token");
  });

  it("advertises claude_local / codex_local only when their command is on PATH", () => {
    expect(detectAdapterTypes("")).toEqual(["process", "http"]);
  });
});
