import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdapterRuntime } from "@staple/adapter-kit";
import { buildGeminiArgs, geminiAdapter, geminiConfigSchema, listGeminiModels } from "../src/index.js";
import { NO_SESSION, readJsonLines, recordingContext } from "../../../../test-support/adapter-context.js";

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "fake-gemini.mjs");
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "adapter-gemini-")));
const SESSION = "3f0c2b8e-5d1a-4c7e-9b2f-6a4d8e1c0b93";
const CREDENTIAL_KEYS = ["GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA", "GEMINI_CLI_HOME"];
const saved: Record<string, string | undefined> = {};

beforeAll(() => {
  fs.chmodSync(FAKE, 0o755);
  // The login check and billing read these from the server's environment: keep the tests hermetic.
  for (const key of CREDENTIAL_KEYS) {
    saved[key] = process.env[key];
    delete process.env[key];
  }
});
afterAll(() => {
  for (const key of CREDENTIAL_KEYS) if (saved[key] !== undefined) process.env[key] = saved[key];
  fs.rmSync(tmp, { recursive: true, force: true });
});

let counter = 0;
function makeCtx(scenario: string, options: { config?: Record<string, unknown>; runtime?: Partial<AdapterRuntime> } = {}) {
  const record = path.join(tmp, `record-${++counter}.jsonl`);
  const { ctx, rec } = recordingContext(
    {
      id: "agent-9",
      companyId: "company-1",
      name: "Gem",
      adapterType: "gemini_local",
      adapterConfig: { command: FAKE, env: { FAKE_GEMINI_SCENARIO: scenario, FAKE_GEMINI_RECORD: record }, ...options.config },
    },
    { runId: `run-${counter}`, runtime: { ...NO_SESSION, taskKey: "issue-1", ...options.runtime }, prompt: "Survey the repo.", cwd: tmp },
  );
  return { ctx, rec, records: () => readJsonLines<{ argv: string[]; stdin: string; cwd: string }>(record) };
}
const run = (ctx: Parameters<typeof geminiAdapter.execute>[0]) => geminiAdapter.execute(ctx, new AbortController().signal);

describe("gemini_local against the fake Gemini CLI", () => {
  it("runs a wake to a finished run with usage and events, then resumes the session on the next run", async () => {
    const first = makeCtx("success");
    const result = await run(first.ctx);
    expect(result.errorCode ?? null).toBeNull();
    expect(result).toMatchObject({ exitCode: 0, sessionId: SESSION, provider: "google", model: "gemini-2.5-pro" });
    expect(result.usage).toEqual({ inputTokens: 1200, outputTokens: 345, cachedInputTokens: 200 });
    expect(result.billingType).toBe("subscription_included");
    expect(result.summary).toBe("Done: the repo has README.md and src.");
    expect(result.sessionParams).toEqual({ sessionId: SESSION, cwd: tmp });
    expect(first.rec.events.map((e) => e.eventType)).toEqual(["system.init", "tool.use", "tool.result", "assistant.text", "result"]);
    const [call] = first.records();
    expect(call!.argv).toEqual(["--output-format", "stream-json", "--approval-mode", "yolo"]);
    expect(call!.stdin).toBe("Survey the repo.");
    // An untrusted folder would force approval mode "default": the run's directory is trusted by default.
    expect((call as { trust?: string | null }).trust).toBe("true");

    const second = makeCtx("success", { runtime: { sessionId: SESSION, sessionParams: result.sessionParams ?? null } });
    const resumed = await run(second.ctx);
    expect(resumed).toMatchObject({ exitCode: 0, sessionId: SESSION });
    expect(second.records()[0]!.argv).toEqual(expect.arrayContaining(["--resume", SESSION]));
  });

  it("trustWorkspace: false leaves folder trust to Gemini CLI; the config env wins over the default", async () => {
    const off = makeCtx("success", { config: { trustWorkspace: false } });
    expect((await run(off.ctx)).exitCode).toBe(0);
    expect((off.records()[0] as { trust?: string | null }).trust).toBeNull();
    const record = path.join(tmp, "trust-env.jsonl");
    const pinned = makeCtx("success", { config: { env: { FAKE_GEMINI_RECORD: record, GEMINI_CLI_TRUST_WORKSPACE: "false" } } });
    expect((await run(pinned.ctx)).exitCode).toBe(0);
    expect(readJsonLines<{ trust: string | null }>(record)[0]!.trust).toBe("false");
  });

  it("does not resume a session made in another directory", async () => {
    const { ctx, records } = makeCtx("success", {
      runtime: { sessionId: SESSION, sessionParams: { sessionId: SESSION, cwd: "/elsewhere" } },
    });
    expect((await run(ctx)).exitCode).toBe(0);
    expect(records()[0]!.argv).not.toContain("--resume");
  });

  it("a missing binary fails cleanly with gemini_binary_missing, at run time and in the environment check", async () => {
    const { ctx } = makeCtx("success", { config: { command: "gemini-not-installed-xyz" } });
    const result = await run(ctx);
    expect(result.errorCode).toBe("gemini_binary_missing");
    expect(result.errorMessage).toContain("npm install -g @google/gemini-cli");
    const checks = await geminiAdapter.testEnvironment!({ command: "gemini-not-installed-xyz", env: { GEMINI_API_KEY: "k" } });
    expect(checks.find((c) => c.code === "gemini_binary_missing")).toMatchObject({ level: "error" });
  });

  it("a missing login fails with gemini_auth_required, at run time and in the environment check", async () => {
    const { ctx } = makeCtx("not_logged_in");
    const result = await run(ctx);
    expect(result).toMatchObject({ errorCode: "gemini_auth_required", errorFamily: null });
    expect(result.errorMessage).toContain("Please set an Auth method");
    const home = fs.mkdtempSync(path.join(tmp, "home-"));
    const checks = await geminiAdapter.testEnvironment!({ command: FAKE, env: { HOME: home } });
    expect(checks.find((c) => c.code === "gemini_binary_found")).toBeDefined();
    expect(checks.find((c) => c.code === "gemini_version")?.message).toContain("0.61.0-fake");
    expect(checks.find((c) => c.code === "gemini_auth_required")).toMatchObject({ level: "error" });
    fs.mkdirSync(path.join(home, ".gemini"));
    fs.writeFileSync(
      path.join(home, ".gemini", "settings.json"),
      JSON.stringify({ security: { auth: { selectedType: "oauth-personal" } } }),
    );
    fs.writeFileSync(path.join(home, ".gemini", "oauth_creds.json"), "{}");
    const after = await geminiAdapter.testEnvironment!({ command: FAKE, env: { HOME: home } });
    expect(after.find((c) => c.code === "gemini_auth_login_found")).toBeDefined();
    expect(after.some((c) => c.level === "error")).toBe(false);
  });

  it("an exhausted quota is a transient failure with the reset time", async () => {
    const { ctx } = makeCtx("rate_limit");
    const before = Date.now();
    const result = await run(ctx);
    expect(result).toMatchObject({ errorCode: "gemini_transient_upstream", errorFamily: "transient_upstream" });
    const at = Date.parse(result.retryNotBefore!);
    expect(at - before).toBeGreaterThanOrEqual(3723_000 - 1000);
    expect(at - before).toBeLessThan(3723_000 + 60_000);
  });

  it("an unknown saved session is retried once with a fresh session", async () => {
    const fresh = "11111111-2222-4333-8444-555555555555";
    const { ctx, records } = makeCtx("unknown_session", {
      config: {
        env: {
          FAKE_GEMINI_SCENARIO: "unknown_session",
          FAKE_GEMINI_SESSION_ID: fresh,
          FAKE_GEMINI_RECORD: path.join(tmp, "unknown.jsonl"),
        },
      },
      runtime: { sessionId: "0f0f0f0f-aaaa-4bbb-8ccc-dddddddddddd", sessionParams: { sessionId: "0f0f0f0f-aaaa-4bbb-8ccc-dddddddddddd" } },
    });
    const result = await run(ctx);
    expect(result).toMatchObject({ exitCode: 0, sessionId: fresh });
    expect(records()).toHaveLength(0);
    const calls = readJsonLines<{ argv: string[] }>(path.join(tmp, "unknown.jsonl"));
    expect(calls.map((c) => c.argv.includes("--resume"))).toEqual([true, false]);
  });

  it("config: refuses a flag-like model and an unknown approval mode; args carry the model", async () => {
    expect(geminiConfigSchema.safeParse({ model: "--yolo" }).success).toBe(false);
    expect(geminiConfigSchema.safeParse({ approvalMode: "always" }).success).toBe(false);
    const config = geminiConfigSchema.parse({ model: "gemini-3.5-flash", approvalMode: "auto_edit", extraArgs: ["--skip-trust"] });
    expect(buildGeminiArgs(config, null)).toEqual([
      "--output-format",
      "stream-json",
      "--approval-mode",
      "auto_edit",
      "--model",
      "gemini-3.5-flash",
      "--skip-trust",
    ]);
    expect((await listGeminiModels()).map((m) => m.id)).toContain("gemini-2.5-pro");
  });
});
