import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdapterRuntime } from "@staple/adapter-kit";
import { OPENCODE_PROVIDER_KEYS, buildOpenCodeArgs, listOpenCodeModels, opencodeAdapter, opencodeConfigSchema } from "../src/index.js";
import { NO_SESSION, readJsonLines, recordingContext } from "../../../../test-support/adapter-context.js";

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "fake-opencode.mjs");
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "adapter-opencode-")));
const SESSION = "ses_5b2c9e41d7ffe0Qx3kT8mZ1aB";
const HERMETIC_KEYS = [...OPENCODE_PROVIDER_KEYS, "XDG_DATA_HOME"];
const saved: Record<string, string | undefined> = {};

beforeAll(() => {
  fs.chmodSync(FAKE, 0o755);
  // The login check and billing read provider keys from the server's environment: keep the tests hermetic.
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
      name: "Open",
      adapterType: "opencode_local",
      adapterConfig: {
        command: FAKE,
        model: "anthropic/claude-sonnet-4-5",
        env: { FAKE_OPENCODE_SCENARIO: scenario, FAKE_OPENCODE_RECORD: record, ...options.env },
        ...options.config,
      },
    },
    { runId: `run-${counter}`, runtime: { ...NO_SESSION, taskKey: "issue-1", ...options.runtime }, prompt: "Survey the repo.", cwd: tmp },
  );
  return { ctx, rec, records: () => readJsonLines<{ argv: string[]; stdin: string; cwd: string }>(record) };
}
const run = (ctx: Parameters<typeof opencodeAdapter.execute>[0]) => opencodeAdapter.execute(ctx, new AbortController().signal);

describe("opencode_local against the fake OpenCode", () => {
  it("runs a wake to a finished run with summed usage and cost, then resumes the session on the next run", async () => {
    const first = makeCtx("success");
    const result = await run(first.ctx);
    expect(result.errorCode ?? null).toBeNull();
    expect(result).toMatchObject({ exitCode: 0, sessionId: SESSION, provider: "anthropic", model: "anthropic/claude-sonnet-4-5" });
    expect(result.usage).toEqual({ inputTokens: 1200, outputTokens: 345, cachedInputTokens: 200 });
    expect(result.costUsd).toBeCloseTo(0.0123, 6);
    expect(result.summary).toBe("Done: the repo has README.md and src.");
    expect(first.rec.events.map((e) => e.eventType)).toEqual([
      "system.init",
      "tool.use",
      "tool.result",
      "result",
      "assistant.text",
      "result",
    ]);
    const [call] = first.records();
    expect(call!.argv).toEqual(["run", "--format", "json", "--model", "anthropic/claude-sonnet-4-5", "--auto"]);
    expect(call!.stdin).toBe("Survey the repo.");

    const second = makeCtx("success", { runtime: { sessionId: SESSION, sessionParams: result.sessionParams ?? null } });
    expect(await run(second.ctx)).toMatchObject({ exitCode: 0, sessionId: SESSION });
    expect(second.records()[0]!.argv.slice(0, 5)).toEqual(["run", "--format", "json", "--session", SESSION]);
  });

  it("a missing binary fails cleanly with opencode_binary_missing, at run time and in the environment check", async () => {
    const result = await run(makeCtx("success", { config: { command: "opencode-not-installed-xyz" } }).ctx);
    expect(result.errorCode).toBe("opencode_binary_missing");
    expect(result.errorMessage).toContain("npm install -g opencode-ai");
    const checks = await opencodeAdapter.testEnvironment!({ command: "opencode-not-installed-xyz" });
    expect(checks.find((c) => c.code === "opencode_binary_missing")).toMatchObject({ level: "error" });
  });

  it("a missing login fails with opencode_auth_required, at run time and in the environment check", async () => {
    const result = await run(makeCtx("not_logged_in").ctx);
    expect(result).toMatchObject({ errorCode: "opencode_auth_required", errorFamily: null });
    expect(result.errorMessage).toContain("No API key found for provider anthropic");
    const home = fs.mkdtempSync(path.join(tmp, "home-"));
    const checks = await opencodeAdapter.testEnvironment!({ command: FAKE, env: { HOME: home } });
    expect(checks.find((c) => c.code === "opencode_version")?.message).toContain("1.18.33-fake");
    expect(checks.find((c) => c.code === "opencode_auth_required")).toMatchObject({ level: "warn" });
    fs.mkdirSync(path.join(home, ".local", "share", "opencode"), { recursive: true });
    fs.writeFileSync(path.join(home, ".local", "share", "opencode", "auth.json"), JSON.stringify({ anthropic: { type: "api", key: "x" } }));
    const after = await opencodeAdapter.testEnvironment!({ command: FAKE, env: { HOME: home } });
    expect(after.find((c) => c.code === "opencode_auth_login_found")?.message).toContain("anthropic");
  });

  it("a provider rate limit is a transient failure with the retry time", async () => {
    const before = Date.now();
    const result = await run(makeCtx("rate_limit").ctx);
    expect(result).toMatchObject({ errorCode: "opencode_transient_upstream", errorFamily: "transient_upstream" });
    const wait = Date.parse(result.retryNotBefore!) - before;
    expect(wait).toBeGreaterThanOrEqual(44_000);
    expect(wait).toBeLessThan(60_000);
  });

  it("an unknown saved session is retried once with a fresh session", async () => {
    const fresh = "ses_freshfreshfresh";
    const { ctx, records } = makeCtx("unknown_session", {
      env: { FAKE_OPENCODE_SESSION_ID: fresh },
      runtime: { sessionId: "ses_gone", sessionParams: { sessionId: "ses_gone", cwd: tmp } },
    });
    expect(await run(ctx)).toMatchObject({ exitCode: 0, sessionId: fresh });
    expect(records().map((c) => c.argv.includes("--session"))).toEqual([true, false]);
  });

  it("config: a model must be provider/model; variant and agent reach argv; --auto can be turned off", async () => {
    expect(opencodeConfigSchema.safeParse({ model: "claude-sonnet" }).success).toBe(false);
    expect(opencodeConfigSchema.safeParse({ model: "-x/y" }).success).toBe(false);
    const config = opencodeConfigSchema.parse({ model: "openai/gpt-5.5", variant: "high", agent: "build", autoApprove: false });
    expect(buildOpenCodeArgs(config, null)).toEqual([
      "run",
      "--format",
      "json",
      "--model",
      "openai/gpt-5.5",
      "--variant",
      "high",
      "--agent",
      "build",
    ]);
    expect((await listOpenCodeModels()).every((m) => m.id.includes("/"))).toBe(true);
  });
});
