import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdapterRuntime } from "@staple/adapter-kit";
import { buildCursorArgs, cursorAdapter, cursorConfigSchema, listCursorModels } from "../src/index.js";
import { NO_SESSION, readJsonLines, recordingContext } from "../../../../test-support/adapter-context.js";

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "fake-cursor-agent.mjs");
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "adapter-cursor-")));
const SESSION = "c6b1f3a0-7d2e-4f5a-9b8c-1d2e3f4a5b6c";
const HERMETIC_KEYS = ["CURSOR_API_KEY", "CURSOR_CONFIG_DIR"];
const saved: Record<string, string | undefined> = {};

beforeAll(() => {
  fs.chmodSync(FAKE, 0o755);
  for (const key of HERMETIC_KEYS) {
    saved[key] = process.env[key];
    delete process.env[key];
  }
});
afterAll(() => {
  for (const key of HERMETIC_KEYS) if (saved[key] !== undefined) process.env[key] = saved[key];
  fs.rmSync(tmp, { recursive: true, force: true });
});

let counter = 0;
function makeCtx(
  scenario: string,
  options: { config?: Record<string, unknown>; env?: Record<string, unknown>; runtime?: Partial<AdapterRuntime> } = {},
) {
  const record = path.join(tmp, `record-${++counter}.jsonl`);
  const { ctx, rec } = recordingContext(
    {
      id: "agent-9",
      companyId: "company-1",
      name: "Cursor",
      adapterType: "cursor",
      adapterConfig: {
        command: FAKE,
        env: { FAKE_CURSOR_SCENARIO: scenario, FAKE_CURSOR_RECORD: record, ...options.env },
        ...options.config,
      },
    },
    { runId: `run-${counter}`, runtime: { ...NO_SESSION, taskKey: "issue-1", ...options.runtime }, prompt: "Survey the repo.", cwd: tmp },
  );
  return { ctx, rec, records: () => readJsonLines<{ argv: string[]; stdin: string; cwd: string }>(record) };
}
const run = (ctx: Parameters<typeof cursorAdapter.execute>[0]) => cursorAdapter.execute(ctx, new AbortController().signal);

describe("cursor against the fake cursor-agent", () => {
  it("runs a wake to a finished run with usage and events, then resumes the chat on the next run", async () => {
    const first = makeCtx("success");
    const result = await run(first.ctx);
    expect(result.errorCode ?? null).toBeNull();
    expect(result).toMatchObject({ exitCode: 0, sessionId: SESSION, provider: "cursor", model: "Claude 4.5 Sonnet" });
    expect(result.usage).toEqual({ inputTokens: 1200, outputTokens: 345, cachedInputTokens: 200 });
    expect(result.summary).toBe("Done: the repo has README.md and src.");
    expect(first.rec.events.map((e) => e.eventType)).toEqual(["system.init", "tool.use", "tool.result", "assistant.text", "result"]);
    const [call] = first.records();
    expect(call!.argv).toEqual(["-p", "--output-format", "stream-json", "--workspace", tmp, "--force"]);
    expect(call!.stdin).toBe("Survey the repo.");

    const second = makeCtx("success", { runtime: { sessionId: SESSION, sessionParams: result.sessionParams ?? null } });
    expect(await run(second.ctx)).toMatchObject({ exitCode: 0, sessionId: SESSION });
    expect(second.records()[0]!.argv).toEqual(expect.arrayContaining(["--resume", SESSION]));
  });

  it("a missing binary fails cleanly with cursor_binary_missing, at run time and in the environment check", async () => {
    const result = await run(makeCtx("success", { config: { command: "cursor-agent-not-installed-xyz" } }).ctx);
    expect(result.errorCode).toBe("cursor_binary_missing");
    expect(result.errorMessage).toContain("cursor.com/install");
    const checks = await cursorAdapter.testEnvironment!({ command: "cursor-agent-not-installed-xyz" });
    expect(checks.find((c) => c.code === "cursor_binary_missing")).toMatchObject({ level: "error" });
  });

  it("a missing login fails with cursor_auth_required, at run time and in the environment check", async () => {
    const result = await run(makeCtx("not_logged_in").ctx);
    expect(result).toMatchObject({ errorCode: "cursor_auth_required", errorFamily: null });
    expect(result.errorMessage).toContain("Authentication required");
    const home = fs.mkdtempSync(path.join(tmp, "home-"));
    const checks = await cursorAdapter.testEnvironment!({ command: FAKE, env: { HOME: home } });
    expect(checks.find((c) => c.code === "cursor_version")?.message).toContain("fake");
    expect(checks.find((c) => c.code === "cursor_auth_required")).toMatchObject({ level: "error" });
    fs.mkdirSync(path.join(home, ".cursor"));
    fs.writeFileSync(path.join(home, ".cursor", "cli-config.json"), JSON.stringify({ authInfo: { email: "dev@example.com" } }));
    const after = await cursorAdapter.testEnvironment!({ command: FAKE, env: { HOME: home } });
    expect(after.find((c) => c.code === "cursor_auth_login_found")?.message).toContain("dev@example.com");
  });

  it("a rate limit is a transient failure with the retry time", async () => {
    const before = Date.now();
    const result = await run(makeCtx("rate_limit").ctx);
    expect(result).toMatchObject({ errorCode: "cursor_transient_upstream", errorFamily: "transient_upstream" });
    const wait = Date.parse(result.retryNotBefore!) - before;
    expect(wait).toBeGreaterThanOrEqual(119_000);
    expect(wait).toBeLessThan(140_000);
  });

  it("an unknown saved chat is retried once with a fresh one", async () => {
    const fresh = "99999999-8888-4777-8666-555555555555";
    const { ctx, records } = makeCtx("unknown_session", {
      env: { FAKE_CURSOR_SESSION_ID: fresh },
      runtime: { sessionId: "gone-chat", sessionParams: { sessionId: "gone-chat", cwd: tmp } },
    });
    expect(await run(ctx)).toMatchObject({ exitCode: 0, sessionId: fresh });
    expect(records().map((c) => c.argv.includes("--resume"))).toEqual([true, false]);
  });

  it("config: model, mode and force reach argv; a flag-like model is refused", async () => {
    expect(cursorConfigSchema.safeParse({ model: "--force" }).success).toBe(false);
    expect(cursorConfigSchema.safeParse({ mode: "yolo" }).success).toBe(false);
    const config = cursorConfigSchema.parse({ model: "sonnet-4.5", mode: "plan", force: false });
    expect(buildCursorArgs(config, null, "/w")).toEqual([
      "-p",
      "--output-format",
      "stream-json",
      "--workspace",
      "/w",
      "--model",
      "sonnet-4.5",
      "--mode",
      "plan",
    ]);
    expect((await listCursorModels()).map((m) => m.id)).toContain("auto");
  });
});
