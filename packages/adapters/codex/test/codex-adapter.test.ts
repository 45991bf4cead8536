import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdapterExecuteContext, AdapterRuntime } from "@staple/adapter-kit";
import { BYPASS_FLAG, HANDOFF_NOTE_HEADING, codexAdapter, listCodexModels } from "../src/index.js";
import { logText, NO_SESSION, readJsonLines, recordingContext } from "../../../../test-support/adapter-context.js";
import { groupMembers } from "../../../../test-support/procs.js";

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "fake-codex.mjs");
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "adapter-codex-")));
const SESSION = "0199a213-81c0-7800-8aa1-bbab2a035a53";
let savedApiKey: string | undefined;
let savedCodexKey: string | undefined;

beforeAll(() => {
  fs.chmodSync(FAKE, 0o755);
  // Billing depends on the effective env, which inherits these keys from the server: keep the tests hermetic.
  savedApiKey = process.env.OPENAI_API_KEY;
  savedCodexKey = process.env.CODEX_API_KEY;
  delete process.env.OPENAI_API_KEY;
  delete process.env.CODEX_API_KEY;
});
afterAll(() => {
  if (savedApiKey !== undefined) process.env.OPENAI_API_KEY = savedApiKey;
  if (savedCodexKey !== undefined) process.env.CODEX_API_KEY = savedCodexKey;
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface FakeRecord {
  argv: string[];
  prompt: string;
  cwd: string;
  pid: number;
  hasApiKey: boolean;
  paperclipRunId: string | null;
}

let counter = 0;

function makeCtx(
  scenario: string,
  options: {
    config?: Record<string, unknown>;
    env?: Record<string, unknown>;
    runtime?: Partial<AdapterRuntime>;
    context?: Record<string, unknown>;
    prompt?: string;
    overrides?: Partial<AdapterExecuteContext>;
  } = {},
) {
  const record = path.join(tmp, `record-${++counter}.jsonl`);
  const { ctx, rec } = recordingContext(
    {
      id: "agent-9",
      companyId: "company-1",
      name: "Coder",
      adapterType: "codex_local",
      adapterConfig: {
        command: FAKE,
        env: { FAKE_CODEX_SCENARIO: scenario, FAKE_CODEX_RECORD: record, ...options.env },
        ...options.config,
      },
    },
    {
      runId: `run-${counter}`,
      runtime: { ...NO_SESSION, taskKey: "issue-1", ...options.runtime },
      context: options.context ?? {},
      prompt: options.prompt ?? "Fix the bug in src/a.ts.",
      cwd: tmp,
      ...options.overrides,
    },
  );
  const records = () => readJsonLines<FakeRecord>(record);
  return { ctx, rec, records };
}

function execute(ctx: AdapterExecuteContext, signal: AbortSignal = new AbortController().signal) {
  return codexAdapter.execute(ctx, signal);
}

describe("codexAdapter.execute with a fake codex", () => {
  it("succeeds: events, summary, usage, session, billing, raw stdout", async () => {
    const { ctx, rec, records } = makeCtx("success", { config: { model: "gpt-5.5", reasoningEffort: "high" } });
    const result = await execute(ctx);
    expect(codexAdapter.type).toBe("codex_local");
    expect(result).toMatchObject({
      exitCode: 0,
      signal: null,
      timedOut: false,
      sessionId: SESSION,
      sessionParams: { sessionId: SESSION, cwd: tmp },
      sessionDisplayId: SESSION,
      provider: "openai",
      model: "gpt-5.5",
      costUsd: null,
      billingType: "subscription_included",
      usage: { inputTokens: 1200, cachedInputTokens: 800, outputTokens: 345 },
      summary: "Done: updated src/a.ts and added src/b.ts.",
      resultJson: { resumed: false, turnCompleted: true, toolCalls: 3 },
    });
    expect(result.errorMessage).toBeUndefined();
    expect(result.errorCode).toBeUndefined();

    const [run] = records();
    expect(run?.argv).toEqual(["exec", "--json", "--model", "gpt-5.5", "-c", "model_reasoning_effort=high", BYPASS_FLAG, "-"]);
    expect(run?.prompt).toBe("Fix the bug in src/a.ts.");
    expect(run?.cwd).toBe(tmp);
    expect(run?.paperclipRunId).toBe(ctx.runId);

    // Every raw JSONL line reaches onLog, unchanged, in order.
    const stdout = logText(rec, "stdout");
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(11);
    expect(JSON.parse(lines[0] ?? "{}")).toEqual({ type: "thread.started", thread_id: SESSION });
    expect(stdout).toContain("Done: updated src/a.ts and added src/b.ts.");

    expect(rec.events.map((e) => e.eventType)).toEqual([
      "session.started",
      "assistant.thinking",
      "tool.use",
      "tool.result",
      "tool.result",
      "tool.use",
      "tool.result",
      "assistant.text",
      "assistant.text",
      "result",
    ]);
    expect(rec.events.find((e) => e.eventType === "tool.use")).toMatchObject({
      message: "$ bash -lc ls",
      payload: { itemType: "command_execution" },
    });
    expect(rec.events.filter((e) => e.eventType === "tool.result").map((e) => e.message)).toEqual([
      "$ bash -lc ls -> exit 0",
      "completed: update src/a.ts, add src/b.ts",
      "paperclip.add_comment -> completed",
    ]);
    expect(rec.events.at(-1)).toMatchObject({ eventType: "result", payload: { usage: { inputTokens: 1200 } } });

    expect(rec.spawns).toHaveLength(1);
    expect(rec.meta[0]).toMatchObject({ adapterType: "codex_local", command: FAKE, cwd: tmp, resumeSessionId: null, fallbackMode: null });
    expect(rec.meta[0]?.commandArgs).toEqual(run?.argv);
  });

  it("works without onEvent (optional callback) and with callbacks that throw", async () => {
    const { ctx, rec } = makeCtx("success", {
      overrides: {
        onEvent: undefined,
        onMeta: () => {
          throw new Error("meta sink down");
        },
      },
    });
    const result = await execute(ctx);
    expect(result).toMatchObject({ exitCode: 0, summary: "Done: updated src/a.ts and added src/b.ts." });
    expect(rec.events).toEqual([]);
  });

  it("resumes a saved session with `resume <id> -` when the cwd matches", async () => {
    const { ctx, records } = makeCtx("success", {
      runtime: { sessionId: SESSION, sessionParams: { sessionId: SESSION, cwd: tmp }, sessionDisplayId: SESSION },
    });
    const result = await execute(ctx);
    expect(records()[0]?.argv).toEqual(["exec", "--json", BYPASS_FLAG, "resume", SESSION, "-"]);
    expect(records()[0]?.prompt).toBe("Fix the bug in src/a.ts.");
    expect(result).toMatchObject({ sessionId: SESSION, resultJson: { resumed: true } });
  });

  it("starts fresh when the saved session belongs to another cwd", async () => {
    const { ctx, rec, records } = makeCtx("success", {
      runtime: { sessionId: SESSION, sessionParams: { sessionId: SESSION, cwd: "/somewhere/else" }, sessionDisplayId: SESSION },
    });
    const result = await execute(ctx);
    expect(records()[0]?.argv).toEqual(["exec", "--json", BYPASS_FLAG, "-"]);
    expect(logText(rec, "stderr")).toContain("not resuming session");
    expect(result.resultJson).toMatchObject({ resumed: false, sessionNotResumed: { sessionId: SESSION, reason: "cwd_mismatch" } });
  });

  describe("transient fallback ladder", () => {
    const saved = () => ({ sessionId: SESSION, sessionParams: { sessionId: SESSION, cwd: tmp }, sessionDisplayId: SESSION });
    const cases: Array<[string, string[], boolean]> = [
      ["same_session", ["exec", "--json", BYPASS_FLAG, "resume", SESSION, "-"], false],
      ["safer_invocation", ["exec", "--json", "--sandbox", "workspace-write", "--skip-git-repo-check", "resume", SESSION, "-"], false],
      ["fresh_session", ["exec", "--json", BYPASS_FLAG, "-"], true],
      ["fresh_session_safer_invocation", ["exec", "--json", "--sandbox", "workspace-write", "--skip-git-repo-check", "-"], true],
    ];
    it.each(cases)("%s", async (mode, argv, handoff) => {
      const { ctx, rec, records } = makeCtx("success", {
        runtime: saved(),
        context: { codexTransientFallbackMode: mode, scheduledRetryAttempt: 2, retryReason: "transient_failure" },
      });
      const result = await execute(ctx);
      const [run] = records();
      expect(run?.argv).toEqual(argv);
      if (handoff) {
        expect(run?.prompt.startsWith(HANDOFF_NOTE_HEADING)).toBe(true);
        expect(run?.prompt).toContain("previous Codex session for this work was lost after a transient upstream failure");
        expect(run?.prompt.endsWith("\n\nFix the bug in src/a.ts.")).toBe(true);
      } else {
        expect(run?.prompt).toBe("Fix the bug in src/a.ts.");
      }
      expect(result).toMatchObject({ exitCode: 0, resultJson: { fallbackMode: mode, handoffNote: handoff } });
      expect(rec.meta[0]).toMatchObject({ fallbackMode: mode });
    });
  });

  it("bypassApprovalsAndSandbox=false with a sandbox passes --sandbox instead of the bypass flag", async () => {
    const { ctx, records } = makeCtx("success", {
      config: { bypassApprovalsAndSandbox: false, sandbox: "read-only", extraArgs: ["--enable", "x"] },
    });
    await execute(ctx);
    expect(records()[0]?.argv).toEqual(["exec", "--json", "--sandbox", "read-only", "--skip-git-repo-check", "--enable", "x", "-"]);
  });

  it("rate limit with `try again at` -> transient with retryNotBefore", async () => {
    const { ctx, rec } = makeCtx("rate_limit", { env: { FAKE_CODEX_RETRY_AT: "Sep 1st, 2031 3:14 PM" } });
    const result = await execute(ctx);
    expect(result).toMatchObject({
      exitCode: 1,
      errorCode: "codex_transient_upstream",
      errorFamily: "transient_upstream",
      retryNotBefore: new Date(2031, 8, 1, 15, 14).toISOString(),
      sessionId: SESSION,
    });
    expect(result.errorMessage).toContain("usage limit");
    expect(rec.events.map((e) => e.eventType)).toEqual(["session.started", "stream.error", "stream.error", "error"]);
  });

  it("auth failure -> codex_auth_required with a fix", async () => {
    const { ctx } = makeCtx("auth");
    const result = await execute(ctx);
    expect(result).toMatchObject({ exitCode: 1, errorCode: "codex_auth_required" });
    expect(result.errorFamily ?? null).toBeNull();
    expect(result.errorMessage).toContain("401 Unauthorized");
    expect(result.errorMessage).toContain("codex login");
    expect(result.errorMessage).toContain("OPENAI_API_KEY");
  });

  it("crash mid-stream -> adapter_failed, partial line tolerated, session kept", async () => {
    const { ctx, rec } = makeCtx("crash");
    const result = await execute(ctx);
    expect(result).toMatchObject({
      exitCode: 101,
      errorCode: "adapter_failed",
      errorMessage: "codex exited with code 101",
      sessionId: SESSION,
      usage: null,
      summary: null,
    });
    expect((result.resultJson as Record<string, unknown>).errorDetail).toContain("panicked");
    expect(logText(rec, "stdout")).toContain('{"type":"item.completed","item":{"id":"item_0","ty');
    expect(rec.events.map((e) => e.eventType)).toEqual(["session.started", "tool.use"]);
  });

  it("other non-zero exit -> adapter_failed `codex exited with code N`", async () => {
    const { ctx } = makeCtx("exit_code", { env: { FAKE_CODEX_EXIT_CODE: "7" } });
    expect(await execute(ctx)).toMatchObject({
      exitCode: 7,
      errorCode: "adapter_failed",
      errorMessage: "codex exited with code 7",
      sessionId: null,
    });
  });

  it("an unknown resumed session is retried once fresh, with a handoff note", async () => {
    const gone = "0199a213-dead-7000-8000-000000000000";
    const { ctx, records, rec } = makeCtx("unknown_session", {
      runtime: { sessionId: gone, sessionParams: { sessionId: gone, cwd: tmp }, sessionDisplayId: gone },
    });
    const result = await execute(ctx);
    const runs = records();
    expect(runs.map((r) => r.argv)).toEqual([
      ["exec", "--json", BYPASS_FLAG, "resume", gone, "-"],
      ["exec", "--json", BYPASS_FLAG, "-"],
    ]);
    expect(runs[1]?.prompt).toContain("could not be resumed");
    expect(result).toMatchObject({ exitCode: 0, sessionId: "0199a213-0000-7000-8000-000000000f5e", summary: "Started over." });
    expect(result.clearSession).toBeUndefined();
    expect(rec.spawns).toHaveLength(2);
  });

  it("bounds huge output: memory-safe parsing, capped summary and tails", async () => {
    let stdoutBytes = 0;
    const { ctx } = makeCtx("huge", {
      overrides: { onLog: (stream, chunk) => void (stream === "stdout" ? (stdoutBytes += chunk.length) : undefined) },
    });
    const before = process.memoryUsage().rss;
    const result = await execute(ctx);
    expect(stdoutBytes).toBeGreaterThan(20 * 1024 * 1024);
    expect(result).toMatchObject({
      exitCode: 0,
      usage: { inputTokens: 5, outputTokens: 7 },
      resultJson: { toolCalls: 256, skippedLines: 2 },
    });
    expect(result.summary?.startsWith("final ")).toBe(true);
    expect(result.summary?.length).toBeLessThanOrEqual(32 * 1024);
    const json = result.resultJson as { stdoutTail: string; stderrTail: string };
    expect(Buffer.byteLength(json.stdoutTail)).toBeLessThanOrEqual(4 * 1024);
    expect(process.memoryUsage().rss - before).toBeLessThan(400 * 1024 * 1024);
  });

  it("hang past timeoutSec -> timedOut, the whole group is gone", async () => {
    const { ctx, rec } = makeCtx("hang", { config: { timeoutSec: 1, graceSec: 1 } });
    const started = Date.now();
    const result = await execute(ctx);
    expect(result).toMatchObject({ timedOut: true, errorCode: "timeout", errorMessage: "Timed out after 1s", sessionId: SESSION });
    expect(Date.now() - started).toBeLessThan(10_000);
    const pgid = rec.spawns[0]?.processGroupId;
    expect(pgid).toBeGreaterThan(0);
    expect(groupMembers(pgid!)).toEqual([]);
  });

  it("cancellation stops the run and reports cancelled", async () => {
    const controller = new AbortController();
    const { ctx, rec } = makeCtx("hang", {
      config: { graceSec: 1 },
      overrides: {
        onSpawn: (info) => {
          rec.spawns.push(info);
          setTimeout(() => controller.abort(), 300);
        },
      },
    });
    const result = await execute(ctx, controller.signal);
    expect(result).toMatchObject({ errorCode: "cancelled", timedOut: false });
    expect(groupMembers(rec.spawns[0]!.processGroupId!)).toEqual([]);
  });

  it("keeps a planted secret out of argv (checked in /proc/<pid>/cmdline) and registers it", async () => {
    const planted = "sk-planted-secret-0123456789abcdef";
    const cmdlines: string[] = [];
    const environs: string[] = [];
    const probes: Promise<void>[] = [];
    const { ctx, rec, records } = makeCtx("success", {
      env: { OPENAI_API_KEY: { type: "secret", value: planted }, FAKE_CODEX_DELAY_MS: "400" },
      overrides: {
        onSpawn: (info) => {
          rec.spawns.push(info);
          // `#!/usr/bin/env node` execs twice; mid-exec /proc/<pid>/cmdline reads empty. Poll (bounded)
          // until the final command line is there; the fake stays alive FAKE_CODEX_DELAY_MS.
          probes.push(
            (async () => {
              for (let i = 0; i < 100; i++) {
                // Read both, then re-check cmdline: a read between the two execs sees an empty file.
                const cmdline = fs.readFileSync(`/proc/${info.pid}/cmdline`, "utf8");
                const environ = fs.readFileSync(`/proc/${info.pid}/environ`, "utf8");
                if (
                  cmdline.includes("fake-codex") &&
                  cmdline.includes("--json") &&
                  environ !== "" &&
                  fs.readFileSync(`/proc/${info.pid}/cmdline`, "utf8") === cmdline
                ) {
                  cmdlines.push(cmdline);
                  environs.push(environ);
                  return;
                }
                await new Promise((r) => setTimeout(r, 5));
              }
            })(),
          );
        },
      },
    });
    const result = await execute(ctx);
    await Promise.all(probes);
    expect(result).toMatchObject({ exitCode: 0, billingType: "metered_api" });
    expect(cmdlines).toHaveLength(1);
    expect(cmdlines[0]).toContain("exec\0--json");
    expect(cmdlines[0]).not.toContain(planted);
    expect(environs[0]).toContain(`OPENAI_API_KEY=${planted}`);
    expect(records()[0]?.hasApiKey).toBe(true);
    expect(records()[0]?.prompt).not.toContain(planted);
    expect(rec.secrets).toContain(planted);
    expect(JSON.stringify(rec.meta)).not.toContain(planted);
    expect(rec.meta[0]?.envKeys).toContain("OPENAI_API_KEY");
  });

  it("refuses to put a secret on argv", async () => {
    const planted = "sk-planted-secret-in-args-999";
    const { ctx, rec } = makeCtx("success", {
      config: { extraArgs: ["-c", `foo=${planted}`] },
      env: { MY_TOKEN: { type: "secret", value: planted } },
    });
    const result = await execute(ctx);
    expect(result).toMatchObject({ errorCode: "adapter_secret_in_argv", exitCode: null });
    expect(rec.spawns).toHaveLength(0);
    expect(JSON.stringify(result)).not.toContain(planted);
  });

  it("missing binary -> adapter_command_not_found naming the fix", async () => {
    const { ctx } = makeCtx("success", { config: { command: path.join(tmp, "no-such-codex") } });
    const result = await execute(ctx);
    expect(result).toMatchObject({ errorCode: "adapter_command_not_found", exitCode: null });
    expect(result.errorMessage).toContain("npm install -g @openai/codex");
    expect(result.errorMessage).toContain("adapterConfig.command");
  });

  it("bad config, missing cwd and empty prompt resolve with error codes", async () => {
    expect(await execute(makeCtx("success", { config: { sandbox: "nope" } }).ctx)).toMatchObject({ errorCode: "adapter_config_invalid" });
    expect(await execute(makeCtx("success", { config: { cwd: path.join(tmp, "missing-dir") } }).ctx)).toMatchObject({
      errorCode: "adapter_cwd_not_found",
    });
    expect(await execute(makeCtx("success", { prompt: "  " }).ctx)).toMatchObject({ errorCode: "adapter_prompt_missing" });
  });
});

describe("codexAdapter.testEnvironment", () => {
  it("resolves the binary, reads --version, reports auth and cwd", async () => {
    const checks = await codexAdapter.testEnvironment!({
      command: FAKE,
      cwd: tmp,
      env: { OPENAI_API_KEY: { type: "secret", value: "sk-test-123456" } },
    });
    expect(checks.map((c) => [c.level, c.code])).toEqual([
      ["info", "codex_command_resolved"],
      ["info", "codex_version"],
      ["info", "codex_auth_api_key"],
      ["info", "codex_bypass_enabled"],
      ["info", "codex_cwd_ok"],
    ]);
    expect(checks[0]?.message).toContain(FAKE);
    expect(checks[1]?.message).toContain("codex-cli 0.169.0-fake");
  });

  it("reports a missing binary, missing auth and a missing cwd with fixes", async () => {
    const home = fs.mkdtempSync(path.join(tmp, "home-"));
    const checks = await codexAdapter.testEnvironment!({
      command: "definitely-not-codex-xyz",
      cwd: path.join(tmp, "nope"),
      env: { HOME: home, CODEX_HOME: path.join(home, ".codex"), PATH: "/nonexistent" },
    });
    const byCode = Object.fromEntries(checks.map((c) => [c.code, c]));
    expect(byCode.codex_command_not_found).toMatchObject({ level: "error" });
    expect(byCode.codex_command_not_found?.fix).toContain("npm install -g @openai/codex");
    expect(byCode.codex_auth_not_found).toMatchObject({ level: "warn" });
    expect(byCode.codex_auth_not_found?.fix).toContain("codex login");
    expect(byCode.codex_cwd_missing).toMatchObject({ level: "error" });
    for (const check of checks) if (check.level !== "info") expect(check.fix).toBeTruthy();
  });

  it("finds a codex login in CODEX_HOME", async () => {
    const home = fs.mkdtempSync(path.join(tmp, "home-"));
    fs.mkdirSync(path.join(home, ".codex"));
    fs.writeFileSync(path.join(home, ".codex", "auth.json"), "{}");
    const checks = await codexAdapter.testEnvironment!({ command: FAKE, env: { CODEX_HOME: path.join(home, ".codex") } });
    expect(checks.find((c) => c.code === "codex_auth_login_found")).toBeTruthy();
  });

  it("reports an invalid config", async () => {
    const checks = await codexAdapter.testEnvironment!({ sandbox: 3 });
    expect(checks).toEqual([expect.objectContaining({ level: "error", code: "codex_config_invalid", fix: expect.any(String) })]);
  });
});

describe("listModels", () => {
  it("returns a static, non-empty list", async () => {
    const models = await listCodexModels();
    expect(models.length).toBeGreaterThan(0);
    expect(models.every((m) => typeof m.id === "string" && m.id !== "")).toBe(true);
    expect(await codexAdapter.listModels()).toEqual(models);
  });
});
