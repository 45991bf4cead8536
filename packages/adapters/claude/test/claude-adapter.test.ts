import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AdapterExecuteContext } from "@staple/adapter-kit";
import { BASE_ARGS, claudeAdapter } from "../src/index.js";
import { EVENT_TEXT_CHARS, SUMMARY_CHARS } from "../src/text-limits.js";
import { logText } from "../../../../test-support/adapter-context.js";
import { FAKE_CLAUDE, makeCtx, readRecords } from "./helpers/ctx.js";
import { groupMembers } from "../../../../test-support/procs.js";

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "adapter-claude-")));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SESSION = "0b7c7f2e-4a53-4c1e-9d55-2f1a3c7d9e01";
const OTHER_SESSION = "7d4f1c2a-93b8-4e0f-a6d1-5c2b8e9f0a13";
let counter = 0;

/** A fresh record file and run directory for one test. */
function scratch() {
  const dir = fs.mkdtempSync(path.join(tmp, `t${counter++}-`));
  return { dir, record: path.join(dir, "record.jsonl") };
}

function fakeEnv(record: string, extra: Record<string, unknown> = {}) {
  return { FAKE_CLAUDE_RECORD: record, ...extra };
}

function execute(ctx: AdapterExecuteContext, signal: AbortSignal = new AbortController().signal) {
  return claudeAdapter.execute(ctx, signal);
}

describe("claudeAdapter.execute with a fake claude", () => {
  it("runs a session with tool use: events, summary, usage, cost, session", async () => {
    const { dir, record } = scratch();
    const instructions = path.join(dir, "AGENTS.md");
    fs.writeFileSync(instructions, "Be brief.\n");
    const { ctx, rec } = makeCtx(
      {
        model: "sonnet",
        effort: "high",
        maxTurns: 30,
        instructionsFilePath: "AGENTS.md",
        env: fakeEnv(record, { FAKE_CLAUDE_SESSION_ID: SESSION }),
      },
      { cwd: dir, context: { skillsDir: "/opt/skills" } },
    );
    const result = await execute(ctx);

    expect(claudeAdapter.type).toBe("claude_local");
    expect(result).toMatchObject({
      exitCode: 0,
      signal: null,
      timedOut: false,
      summary: "Done: the repo has README.md and src.",
      usage: { inputTokens: 1200, outputTokens: 345, cachedInputTokens: 800 },
      costUsd: 0.0123,
      provider: "anthropic",
      model: "sonnet",
      billingType: "subscription_included",
      sessionId: SESSION,
      sessionParams: { sessionId: SESSION, cwd: dir },
      sessionDisplayId: SESSION,
    });
    expect(result.errorCode).toBeUndefined();
    expect(result.errorMessage).toBeUndefined();
    expect(result.clearSession).toBeUndefined();

    expect(rec.events.map((e) => e.eventType)).toEqual([
      "system.init",
      "assistant.text",
      "tool.use",
      "tool.result",
      "assistant.text",
      "result",
    ]);
    expect(rec.events[0]?.payload).toMatchObject({
      sessionId: SESSION,
      model: "sonnet",
      claudeCodeVersion: "2.1.330",
      permissionMode: "bypassPermissions",
    });
    expect(rec.events[1]?.message).toBe("Let me look at the files.");
    expect(rec.events[2]).toMatchObject({
      message: "Bash",
      payload: { id: "toolu_01", name: "Bash", input: { command: "ls", description: "List files" } },
    });
    expect(rec.events[3]).toMatchObject({ message: "README.md\nsrc\n", payload: { toolUseId: "toolu_01", isError: false } });
    expect(rec.events[5]?.payload).toMatchObject({ subtype: "success", isError: false, costUsd: 0.0123 });

    // The raw log is the complete NDJSON stream, unchanged.
    const raw = logText(rec, "stdout").trim().split("\n");
    expect(raw).toHaveLength(6);
    expect(JSON.parse(raw[0]!)).toMatchObject({ type: "system", subtype: "init", session_id: SESSION });

    const [call] = readRecords(record);
    expect(call?.stdin).toBe("Do the task.");
    expect(call?.cwd).toBe(dir);
    expect(call?.argv).toEqual([
      ...BASE_ARGS,
      "--dangerously-skip-permissions",
      "--model",
      "sonnet",
      "--effort",
      "high",
      "--max-turns",
      "30",
      "--append-system-prompt-file",
      instructions,
      "--add-dir",
      "/opt/skills",
    ]);
    expect(rec.meta[0]).toMatchObject({
      adapterType: "claude_local",
      command: FAKE_CLAUDE,
      commandArgs: call?.argv,
      cwd: dir,
      attempt: 1,
      resumeSessionId: null,
    });
    expect(rec.spawns).toHaveLength(1);
  });

  it("sends an empty prompt as one empty line, and appends permissionMode and extraArgs", async () => {
    const { dir, record } = scratch();
    const { ctx } = makeCtx(
      { permissionMode: "acceptEdits", extraArgs: ["--fallback-model", "haiku"], env: fakeEnv(record) },
      { cwd: dir, prompt: null },
    );
    expect((await execute(ctx)).exitCode).toBe(0);
    const [call] = readRecords(record);
    expect(call?.stdin).toBe("\n");
    expect(call?.argv).toEqual([...BASE_ARGS, "--permission-mode", "acceptEdits", "--fallback-model", "haiku"]);
  });

  it("resumes only a UUID session saved with the same cwd", async () => {
    const { dir, record } = scratch();
    fs.writeFileSync(path.join(dir, "AGENTS.md"), "x");
    const config = { instructionsFilePath: "AGENTS.md", env: fakeEnv(record) };

    const same = makeCtx(config, {
      cwd: dir,
      runtime: { sessionId: SESSION, sessionParams: { sessionId: SESSION, cwd: dir }, sessionDisplayId: SESSION, taskKey: "t" },
    });
    const resumed = await execute(same.ctx);
    expect(resumed).toMatchObject({ exitCode: 0, sessionId: SESSION, sessionParams: { sessionId: SESSION, cwd: dir } });

    const moved = makeCtx(config, {
      cwd: dir,
      runtime: {
        sessionId: SESSION,
        sessionParams: { sessionId: SESSION, cwd: path.join(dir, "elsewhere") },
        sessionDisplayId: SESSION,
        taskKey: "t",
      },
    });
    const fresh = await execute(moved.ctx);
    expect(fresh.sessionId).not.toBe(SESSION);
    expect(moved.rec.events[0]).toMatchObject({ eventType: "session.fresh", payload: { reason: "cwd_mismatch", savedSessionId: SESSION } });

    const notUuid = makeCtx(config, {
      cwd: dir,
      runtime: { sessionId: "session-42", sessionParams: { sessionId: "session-42", cwd: dir }, sessionDisplayId: null, taskKey: null },
    });
    await execute(notUuid.ctx);

    const [first, second, third] = readRecords(record);
    expect(first?.argv).toContain("--resume");
    expect(first?.argv[first.argv.indexOf("--resume") + 1]).toBe(SESSION);
    expect(first?.argv).not.toContain("--append-system-prompt-file");
    for (const call of [second, third]) {
      expect(call?.argv).not.toContain("--resume");
      expect(call?.argv).toContain("--append-system-prompt-file");
    }
  });

  it("retries an unknown session once with a fresh session and returns the new one", async () => {
    const { dir, record } = scratch();
    const { ctx, rec } = makeCtx(
      { env: fakeEnv(record, { FAKE_CLAUDE_SCENARIO: "unknown_session", FAKE_CLAUDE_SESSION_ID: OTHER_SESSION }) },
      {
        cwd: dir,
        runtime: { sessionId: SESSION, sessionParams: { sessionId: SESSION, cwd: dir }, sessionDisplayId: SESSION, taskKey: null },
      },
    );
    const result = await execute(ctx);
    expect(result).toMatchObject({
      exitCode: 0,
      sessionId: OTHER_SESSION,
      sessionParams: { sessionId: OTHER_SESSION, cwd: dir },
      resultJson: { staleSessionId: SESSION },
    });
    expect(result.errorCode).toBeUndefined();
    const calls = readRecords(record);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.argv).toContain("--resume");
    expect(calls[1]?.argv).not.toContain("--resume");
    expect(calls[1]?.stdin).toBe("Do the task.");
    expect(rec.spawns).toHaveLength(2);
    expect(rec.meta.map((m) => m.attempt)).toEqual([1, 2]);
    expect(rec.events.map((e) => e.eventType)).toContain("session.stale");
  });

  it("clears the stale session when the fresh retry produces none", async () => {
    const { dir, record } = scratch();
    const { ctx } = makeCtx(
      { env: fakeEnv(record, { FAKE_CLAUDE_SCENARIO: "unknown_session", FAKE_CLAUDE_FRESH_FAIL: "1" }) },
      {
        cwd: dir,
        runtime: { sessionId: SESSION, sessionParams: { sessionId: SESSION, cwd: dir }, sessionDisplayId: SESSION, taskKey: null },
      },
    );
    const result = await execute(ctx);
    expect(readRecords(record)).toHaveLength(2);
    expect(result).toMatchObject({ exitCode: 1, clearSession: true, sessionId: null, errorCode: "adapter_failed" });
    expect(result.errorMessage).toBe("claude exited with code 1: Error: fresh session failed too");
  });

  it("classifies a rate limit with a reset time as transient with retryNotBefore", async () => {
    const { dir, record } = scratch();
    const at = new Date(Date.now() + 2 * 3600_000);
    at.setUTCSeconds(0, 0);
    const text = `Claude usage limit reached. Try again at ${at.toISOString()}`;
    const { ctx } = makeCtx({ env: fakeEnv(record, { FAKE_CLAUDE_SCENARIO: "rate_limit", FAKE_CLAUDE_RESET_TEXT: text }) }, { cwd: dir });
    const result = await execute(ctx);
    expect(result).toMatchObject({
      exitCode: 1,
      errorCode: "claude_transient_upstream",
      errorFamily: "transient_upstream",
      retryNotBefore: at.toISOString(),
    });
    expect(result.errorMessage).toContain("usage limit reached");

    const clock = makeCtx({ env: fakeEnv(record, { FAKE_CLAUDE_SCENARIO: "rate_limit" }) }, { cwd: dir });
    const byClock = await execute(clock.ctx);
    expect(byClock.errorCode).toBe("claude_transient_upstream");
    const retry = new Date(byClock.retryNotBefore!);
    expect([retry.getUTCHours(), retry.getUTCMinutes()]).toEqual([15, 0]);
    expect(retry.getTime() - Date.now()).toBeGreaterThan(0);
    expect(retry.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
  });

  it("takes retryNotBefore from a rejected rate_limit_event, and treats 529 as transient", async () => {
    const { dir, record } = scratch();
    const resetsAt = Math.floor(Date.now() / 1000) + 3600;
    const event = await execute(
      makeCtx({ env: fakeEnv(record, { FAKE_CLAUDE_SCENARIO: "rate_limit_event", FAKE_CLAUDE_RESETS_AT: String(resetsAt) }) }, { cwd: dir })
        .ctx,
    );
    expect(event).toMatchObject({ errorCode: "claude_transient_upstream", retryNotBefore: new Date(resetsAt * 1000).toISOString() });
    const overloaded = await execute(makeCtx({ env: fakeEnv(record, { FAKE_CLAUDE_SCENARIO: "overloaded" }) }, { cwd: dir }).ctx);
    expect(overloaded).toMatchObject({ errorCode: "claude_transient_upstream", errorFamily: "transient_upstream" });
    expect(overloaded.retryNotBefore).toBeUndefined();
  });

  it("reports auth required with a fix", async () => {
    const { dir, record } = scratch();
    const { ctx } = makeCtx({ env: fakeEnv(record, { FAKE_CLAUDE_SCENARIO: "auth" }) }, { cwd: dir });
    const result = await execute(ctx);
    expect(result).toMatchObject({ exitCode: 1, errorCode: "claude_auth_required" });
    expect(result.errorFamily).toBeUndefined();
    expect(result.errorMessage).toContain("Not logged in · Please run /login");
    expect(result.errorMessage).toContain("ANTHROPIC_API_KEY");
  });

  it("maps error_max_turns to max_turns_exhausted", async () => {
    const { dir, record } = scratch();
    const result = await execute(makeCtx({ maxTurns: 2, env: fakeEnv(record, { FAKE_CLAUDE_SCENARIO: "max_turns" }) }, { cwd: dir }).ctx);
    expect(result).toMatchObject({ errorCode: "max_turns_exhausted", usage: { inputTokens: 1200 } });
    expect(result.errorMessage).toContain("(2)");
    expect(readRecords(record)[0]?.argv).toEqual(expect.arrayContaining(["--max-turns", "2"]));
  });

  it("keeps what a crash mid-stream already told, and fails with the exit code", async () => {
    const { dir, record } = scratch();
    const { ctx, rec } = makeCtx(
      { env: fakeEnv(record, { FAKE_CLAUDE_SCENARIO: "crash", FAKE_CLAUDE_SESSION_ID: SESSION }) },
      { cwd: dir },
    );
    const result = await execute(ctx);
    expect(result).toMatchObject({
      exitCode: 3,
      errorCode: "adapter_failed",
      sessionId: SESSION,
      summary: "Starting work.",
      usage: null,
      costUsd: null,
    });
    expect(result.errorMessage).toBe("claude exited with code 3: Error: something broke inside the CLI");
    expect(rec.events.map((e) => e.eventType)).toEqual(["system.init", "assistant.text"]);
    expect(logText(rec, "stdout").endsWith('"text":"half a li')).toBe(true);
    expect(logText(rec, "stderr")).toContain("something broke");
  });

  it("parses output far beyond the capture caps with bounded results", async () => {
    const { dir, record } = scratch();
    const { ctx, rec } = makeCtx({ env: fakeEnv(record, { FAKE_CLAUDE_SCENARIO: "huge", FAKE_CLAUDE_SESSION_ID: SESSION }) }, { cwd: dir });
    const result = await execute(ctx);
    expect(result).toMatchObject({
      exitCode: 0,
      sessionId: SESSION,
      usage: { inputTokens: 900000, outputTokens: 1300000, cachedInputTokens: 50000 },
      costUsd: 4.5,
      resultJson: { oversizedLines: 2, streamLines: 53 },
    });
    expect(result.errorCode).toBeUndefined();
    // Raw log complete: 50 × 100 KiB + 2.5 MB + 1.5 MB of text, all delivered.
    const raw = logText(rec, "stdout");
    expect(raw.length).toBeGreaterThan(9_000_000);
    expect(raw.trim().split("\n")).toHaveLength(53);
    // Events and result stay small.
    const texts = rec.events.filter((e) => e.eventType === "assistant.text");
    expect(texts).toHaveLength(51);
    for (const event of rec.events) expect((event.message ?? "").length).toBeLessThanOrEqual(EVENT_TEXT_CHARS + 64);
    expect(texts[50]?.message?.startsWith("BIG-START")).toBe(true);
    expect(texts[50]?.payload).toMatchObject({ truncatedChars: expect.any(Number) });
    expect(result.summary?.startsWith("FINAL-START")).toBe(true);
    expect(result.summary!.length).toBeLessThanOrEqual(SUMMARY_CHARS + 64);
    expect(JSON.stringify(result).length).toBeLessThan(256 * 1024);
  });

  it("times out a hung claude and leaves no process of its group", async () => {
    const { dir, record } = scratch();
    const { ctx, rec } = makeCtx(
      { timeoutSec: 1, graceSec: 1, env: fakeEnv(record, { FAKE_CLAUDE_SCENARIO: "hang", FAKE_CLAUDE_SESSION_ID: SESSION }) },
      { cwd: dir },
    );
    const started = Date.now();
    const result = await execute(ctx);
    expect(Date.now() - started).toBeLessThan((1 + 1 + 3) * 1000);
    expect(result).toMatchObject({
      timedOut: true,
      errorCode: "timeout",
      errorMessage: "Timed out after 1s",
      signal: "SIGKILL",
      sessionId: SESSION,
    });
    const pgid = rec.spawns[0]?.pid ?? 0;
    expect(pgid).toBeGreaterThan(1);
    expect(groupMembers(pgid)).toEqual([]);
  });

  it("is cancelled by abort", async () => {
    const { dir, record } = scratch();
    const controller = new AbortController();
    const { ctx } = makeCtx(
      { graceSec: 1, env: fakeEnv(record, { FAKE_CLAUDE_SCENARIO: "hang" }) },
      { cwd: dir, onEvent: () => controller.abort() },
    );
    const result = await execute(ctx, controller.signal);
    expect(result).toMatchObject({ timedOut: false, errorCode: "cancelled" });
  });

  it("keeps secrets off argv and the prompt, registers them, and redacts events", async () => {
    const { dir, record } = scratch();
    const secret = "tok-planted-secret-4711";
    const apiKey = "sk-ant-api03-plain-but-credential";
    const engineSecret = "engine-jwt-secret-value";
    let cmdline = "";
    const { ctx, rec } = makeCtx(
      {
        env: fakeEnv(record, {
          API_TOKEN: { type: "secret", value: secret },
          ANTHROPIC_API_KEY: apiKey,
          FAKE_CLAUDE_ECHO_ENV: "API_TOKEN",
        }),
      },
      {
        cwd: dir,
        secrets: [engineSecret],
        onSpawn: async (info) => {
          // Wait until the child has exec'd the fake (right after fork /proc shows the parent's argv).
          for (let i = 0; i < 40 && !cmdline.includes("fake-claude"); i++) {
            cmdline = fs.readFileSync(`/proc/${info.pid}/cmdline`, "utf8");
            if (!cmdline.includes("fake-claude")) await new Promise((r) => setTimeout(r, 10));
          }
        },
      },
    );
    const result = await execute(ctx);
    expect(result.exitCode).toBe(0);
    expect(cmdline).toContain("fake-claude");
    expect(cmdline).toContain("--print");
    for (const value of [secret, apiKey]) {
      expect(cmdline).not.toContain(value);
      expect(rec.secrets).toContain(value);
      expect(JSON.stringify(rec.meta)).not.toContain(value);
      expect(JSON.stringify(rec.events)).not.toContain(value);
      expect(readRecords(record)[0]?.stdin).not.toContain(value);
    }
    // The fake did receive and echo it (the engine redacts the raw log with the registered values).
    expect(logText(rec, "stderr")).toContain(secret);
    expect(rec.events[1]?.message).toBe("The token is [REDACTED].");
    expect(result.billingType).toBe("metered_api");
  });

  it("survives callbacks that throw", async () => {
    const { dir, record } = scratch();
    const { ctx } = makeCtx(
      { env: fakeEnv(record) },
      {
        cwd: dir,
        onLog: () => {
          throw new Error("log store down");
        },
        onEvent: async () => {
          throw new Error("event store down");
        },
      },
    );
    expect(await execute(ctx)).toMatchObject({ exitCode: 0, summary: "Done: the repo has README.md and src.", costUsd: 0.0123 });
  });

  it('finds the default command "claude" on PATH', async () => {
    const { dir, record } = scratch();
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.symlinkSync(FAKE_CLAUDE, path.join(bin, "claude"));
    const { ctx, rec } = makeCtx({ command: undefined, env: fakeEnv(record, { PATH: `${bin}:${process.env.PATH}` }) }, { cwd: dir });
    expect(await execute(ctx)).toMatchObject({ exitCode: 0 });
    // Resolved once to the file on PATH; the invocation records the absolute path.
    expect(rec.meta[0]?.command).toBe(path.join(bin, "claude"));
  });

  it("reports a missing binary with how to install it", async () => {
    const { ctx } = makeCtx({ command: "staple-no-such-claude" }, { cwd: tmp });
    const result = await execute(ctx);
    expect(result).toMatchObject({ exitCode: null, errorCode: "adapter_command_not_found" });
    expect(result.errorMessage).toContain('"staple-no-such-claude"');
    expect(result.errorMessage).toContain("npm install -g @anthropic-ai/claude-code");
    expect(result.errorMessage).toContain("adapterConfig.command");
  });

  it("rejects bad config, a missing cwd or instructions file, and secrets in extraArgs", async () => {
    for (const config of [{ command: "" }, { maxTurns: 0 }, { extraArgs: "x" }, { env: { A: 1 } }, { timeoutSec: -1 }, { model: "" }]) {
      expect((await execute(makeCtx(config).ctx)).errorCode, JSON.stringify(config)).toBe("adapter_config_invalid");
    }
    expect((await execute(makeCtx({ cwd: path.join(tmp, "missing") }).ctx)).errorCode).toBe("adapter_cwd_not_found");
    const noFile = await execute(makeCtx({ instructionsFilePath: "nope.md" }, { cwd: tmp }).ctx);
    expect(noFile).toMatchObject({ errorCode: "adapter_config_invalid" });
    expect(noFile.errorMessage).toContain("nope.md");
    const leak = await execute(
      makeCtx({ extraArgs: ["--settings", "key=very-secret-1"], env: { K: { type: "secret", value: "very-secret-1" } } }, { cwd: tmp }).ctx,
    );
    expect(leak.errorCode).toBe("adapter_config_invalid");
    expect(leak.errorMessage).not.toContain("very-secret-1");
  });
});
