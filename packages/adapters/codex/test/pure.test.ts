import { describe, expect, it } from "vitest";
import type { AdapterRuntime } from "@staple/adapter-kit";
import {
  BYPASS_FLAG,
  HANDOFF_NOTE_HEADING,
  LineSplitter,
  billingTypeFor,
  buildCodexArgs,
  buildCodexEnv,
  classifyCodexFailure,
  classifyCodexFailureKind,
  isResumableSessionId,
  parseCodexConfig,
  parseCodexLine,
  parseDurationMs,
  parseFallbackMode,
  parseRetryNotBefore,
  parseUsage,
  planInvocation,
  reduceCodexOutput,
  type CodexArgsOptions,
} from "../src/index.js";

const baseArgs: CodexArgsOptions = {
  model: null,
  reasoningEffort: null,
  bypassApprovalsAndSandbox: true,
  sandbox: null,
  extraArgs: [],
  resumeSessionId: null,
};

describe("buildCodexArgs", () => {
  const table: Array<[string, Partial<CodexArgsOptions>, string[]]> = [
    ["fresh default", {}, ["exec", "--json", BYPASS_FLAG, "-"]],
    [
      "model + effort",
      { model: "gpt-5.5", reasoningEffort: "high" },
      ["exec", "--json", "--model", "gpt-5.5", "-c", "model_reasoning_effort=high", BYPASS_FLAG, "-"],
    ],
    [
      "resume",
      { resumeSessionId: "0199a213-81c0-7800-8aa1-bbab2a035a53" },
      ["exec", "--json", BYPASS_FLAG, "resume", "0199a213-81c0-7800-8aa1-bbab2a035a53", "-"],
    ],
    [
      "no bypass, default sandbox",
      { bypassApprovalsAndSandbox: false },
      ["exec", "--json", "--sandbox", "workspace-write", "--skip-git-repo-check", "-"],
    ],
    [
      "no bypass, read-only",
      { bypassApprovalsAndSandbox: false, sandbox: "read-only" },
      ["exec", "--json", "--sandbox", "read-only", "--skip-git-repo-check", "-"],
    ],
    [
      "safer resume with extras",
      { bypassApprovalsAndSandbox: false, resumeSessionId: "abc-1", extraArgs: ["--enable", "foo"], model: "m" },
      [
        "exec",
        "--json",
        "--model",
        "m",
        "--sandbox",
        "workspace-write",
        "--skip-git-repo-check",
        "--enable",
        "foo",
        "resume",
        "abc-1",
        "-",
      ],
    ],
  ];
  it.each(table)("%s", (_name, options, expected) => {
    expect(buildCodexArgs({ ...baseArgs, ...options })).toEqual(expected);
  });

  it("puts no option after resume (exec resume rejects --sandbox)", () => {
    const args = buildCodexArgs({ ...baseArgs, bypassApprovalsAndSandbox: false, resumeSessionId: "id-1" });
    expect(args.slice(args.indexOf("resume"))).toEqual(["resume", "id-1", "-"]);
  });

  it.each([
    ["0199a213-81c0-7800-8aa1-bbab2a035a53", true],
    ["thread_name-1", true],
    ["--last", false],
    ["-", false],
    ["", false],
    ["a b", false],
    [42, false],
  ])("isResumableSessionId(%j) = %s", (id, ok) => {
    expect(isResumableSessionId(id)).toBe(ok);
  });
});

describe("parseCodexConfig", () => {
  it("applies defaults", () => {
    expect(parseCodexConfig({})).toEqual({
      ok: true,
      config: {
        command: "codex",
        model: null,
        reasoningEffort: null,
        bypassApprovalsAndSandbox: true,
        sandbox: null,
        extraArgs: [],
        env: {},
        cwd: null,
        timeoutSec: 0,
        graceSec: 15,
      },
    });
  });

  it("a configured sandbox turns the bypass flag off unless told otherwise", () => {
    const parsed = parseCodexConfig({ sandbox: "workspace-write" });
    expect(parsed.ok && parsed.config.bypassApprovalsAndSandbox).toBe(false);
  });

  it.each([
    [{ command: "" }, "adapterConfig.command"],
    [{ model: "--dangerous" }, "adapterConfig.model"],
    [{ model: "a b" }, "adapterConfig.model"],
    [{ reasoningEffort: 'high"\nx=1' }, "adapterConfig.reasoningEffort"],
    [{ sandbox: "yolo" }, "adapterConfig.sandbox"],
    [{ sandbox: "read-only", bypassApprovalsAndSandbox: true }, "adapterConfig.sandbox"],
    [{ bypassApprovalsAndSandbox: "yes" }, "adapterConfig.bypassApprovalsAndSandbox"],
    [{ extraArgs: "--x" }, "adapterConfig.extraArgs"],
    [{ env: { "A=B": "x" } }, "adapterConfig.env"],
    [{ env: { A: { type: "weird", value: "x" } } }, "adapterConfig.env.A"],
    [{ timeoutSec: -1 }, "adapterConfig.timeoutSec"],
    [{ graceSec: Number.NaN }, "adapterConfig.graceSec"],
    [{ cwd: "" }, "adapterConfig.cwd"],
  ])("rejects %j", (raw, field) => {
    const parsed = parseCodexConfig(raw as Record<string, unknown>);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(field);
  });
});

describe("JSONL parsing", () => {
  it.each([
    ['{"type":"thread.started","thread_id":"t-1"}', { kind: "event", type: "thread.started" }],
    ["  ", null],
    ["plain text", { kind: "text", text: "plain text" }],
    ['{"no_type":1}', { kind: "text" }],
    ['{"type": broken', { kind: "text" }],
  ])("parseCodexLine(%j)", (line, expected) => {
    const parsed = parseCodexLine(line);
    if (expected === null) expect(parsed).toBeNull();
    else expect(parsed).toMatchObject(expected);
  });

  it("splits lines across chunks and drops oversized lines without buffering them", () => {
    const splitter = new LineSplitter(10);
    expect(splitter.push("ab")).toEqual([]);
    expect(splitter.push("c\nde")).toEqual(["abc"]);
    expect(splitter.push("f\n0123456789ABC")).toEqual(["def"]);
    expect(splitter.push("DEF\nok\n")).toEqual(["ok"]);
    expect(splitter.push("0123456789XX\nlast")).toEqual([]);
    expect(splitter.end()).toEqual(["last"]);
    expect(splitter.skippedLines).toBe(2);
  });

  it("folds a full run into session, summary, usage, tool counts and events", () => {
    const text = [
      { type: "thread.started", thread_id: "0199a213-81c0-7800-8aa1-bbab2a035a53" },
      { type: "turn.started" },
      { type: "item.completed", item: { id: "item_0", type: "reasoning", text: "thinking" } },
      {
        type: "item.started",
        item: { id: "item_1", type: "command_execution", command: "ls", aggregated_output: "", exit_code: null, status: "in_progress" },
      },
      {
        type: "item.completed",
        item: { id: "item_1", type: "command_execution", command: "ls", aggregated_output: "a\n", exit_code: 0, status: "completed" },
      },
      {
        type: "item.completed",
        item: { id: "item_2", type: "file_change", changes: [{ path: "x.ts", kind: "add" }], status: "completed" },
      },
      { type: "item.started", item: { id: "item_3", type: "todo_list", items: [{ text: "step", completed: false }] } },
      { type: "item.completed", item: { id: "item_4", type: "error", message: "config warning" } },
      { type: "item.completed", item: { id: "item_5", type: "agent_message", text: "first" } },
      { type: "item.completed", item: { id: "item_6", type: "agent_message", text: "second" } },
      { type: "item.completed", item: { id: "item_7", type: "brand_new_item", foo: 1 } },
      { type: "something.new" },
      { type: "turn.completed", usage: { input_tokens: 10, cached_input_tokens: 4, output_tokens: 3 } },
    ]
      .map((e) => JSON.stringify(e))
      .join("\n");
    const { state, events } = reduceCodexOutput(`${text}\nnot json\n`);
    expect(state).toMatchObject({
      sessionId: "0199a213-81c0-7800-8aa1-bbab2a035a53",
      summary: "second",
      usage: { inputTokens: 10, cachedInputTokens: 4, outputTokens: 3 },
      turnCompleted: true,
      turnFailed: false,
      toolCalls: 2,
      textLines: ["not json"],
    });
    expect(events.map((e) => e.eventType)).toEqual([
      "session.started",
      "assistant.thinking",
      "tool.use",
      "tool.result",
      "tool.result",
      "plan.updated",
      "warning",
      "assistant.text",
      "assistant.text",
      "item",
      "result",
    ]);
    expect(events[2]).toMatchObject({ message: "$ ls", payload: { itemType: "command_execution", phase: "started" } });
    expect(events[3]).toMatchObject({ message: "$ ls -> exit 0", payload: { exitCode: 0, output: "a\n" } });
    expect(events[4]?.message).toBe("completed: add x.ts");
  });

  it("records turn.failed and error events", () => {
    const { state, events } = reduceCodexOutput(
      [
        '{"type":"thread.started","thread_id":"t"}',
        '{"type":"error","message":"Reconnecting... 2/5"}',
        '{"type":"turn.failed","error":{"message":"boom"}}',
      ].join("\n"),
    );
    expect(state).toMatchObject({
      turnFailed: true,
      turnFailedMessage: "boom",
      streamErrors: ["Reconnecting... 2/5"],
      turnCompleted: false,
    });
    expect(events.map((e) => [e.eventType, e.message])).toEqual([
      ["session.started", "Codex thread t"],
      ["stream.error", "Reconnecting... 2/5"],
      ["error", "boom"],
    ]);
  });

  it("falls back to a plan item for the summary when there is no agent message", () => {
    const { state } = reduceCodexOutput(
      ['{"type":"item.completed","item":{"id":"i","type":"plan","text":"the plan"}}', '{"type":"turn.completed","usage":{}}'].join("\n"),
    );
    expect(state.summary).toBe("the plan");
  });

  it.each([
    [
      { input_tokens: 1, cached_input_tokens: 2, output_tokens: 3 },
      { inputTokens: 1, cachedInputTokens: 2, outputTokens: 3 },
    ],
    [
      { input_tokens: 5, output_tokens: 6 },
      { inputTokens: 5, outputTokens: 6 },
    ],
    [{}, null],
    [null, null],
    [{ input_tokens: -1, output_tokens: "x" }, null],
  ])("parseUsage(%j)", (raw, expected) => {
    expect(parseUsage(raw)).toEqual(expected);
  });
});

describe("failure classification", () => {
  const now = new Date(2026, 6, 9, 12, 0, 0);
  it.each([
    ["We're currently experiencing high demand, which may cause temporary errors.", "transient"],
    ["exceeded retry limit, last status: 429 Too Many Requests", "transient"],
    ["Rate limit reached for gpt-5.5 in organization org-x on tokens per min. Please try again in 20s.", "transient"],
    ["The server is overloaded", "transient"],
    ["You've hit your usage limit. Upgrade to Pro or try again at 3:45 PM.", "transient"],
    ["stream disconnected before completion: error sending request", "transient"],
    ["unexpected status 503 Service Unavailable", "transient"],
    ["unexpected status 401 Unauthorized: Missing bearer", "auth"],
    ["Not logged in", "auth"],
    ["Please log in with `codex login`", "auth"],
    ["Incorrect API key provided: sk-abc", "auth"],
    ["Your access token could not be refreshed because your refresh token was already used. Please log out and sign in again.", "auth"],
    ["401 Unauthorized. Please try again later.", "auth"],
    ["Error: thread/resume: thread/resume failed: no rollout found for thread id x (code -32600)", "unknown_session"],
    ["Not inside a trusted directory and --skip-git-repo-check was not specified.", null],
    ["segfault", null],
  ])("%s -> %s", (text, kind) => {
    expect(classifyCodexFailureKind(text)).toBe(kind);
  });

  it("maps transient text to the codex code, family and retryNotBefore", () => {
    expect(classifyCodexFailure("usage limit... or try again at 3:45 PM.", now)).toEqual({
      errorCode: "codex_transient_upstream",
      errorFamily: "transient_upstream",
      retryNotBefore: new Date(2026, 6, 9, 15, 45).toISOString(),
    });
    expect(classifyCodexFailure("429 Too Many Requests", now)).toEqual({
      errorCode: "codex_transient_upstream",
      errorFamily: "transient_upstream",
      retryNotBefore: null,
    });
    expect(classifyCodexFailure("401 Unauthorized", now)).toEqual({
      errorCode: "codex_auth_required",
      errorFamily: null,
      retryNotBefore: null,
    });
    expect(classifyCodexFailure("exit 3", now)).toBeNull();
  });
});

describe("parseRetryNotBefore", () => {
  const now = new Date(2026, 6, 9, 12, 0, 0); // Jul 9 2026 12:00 local
  const local = (...args: [number, number, number, number, number, number?]) => new Date(...args).toISOString();
  it.each([
    ["or try again at 3:45 PM.", local(2026, 6, 9, 15, 45)],
    ["Try again at 12:25 AM.", local(2026, 6, 10, 0, 25)], // past today -> tomorrow
    ["try again at 11:58 AM.", local(2026, 6, 9, 11, 58)], // within the 5-minute tolerance: today
    ["try again at 15:45", local(2026, 6, 9, 15, 45)],
    ["or try again at Jul 10th, 2026 1:47 AM.", local(2026, 6, 10, 1, 47)],
    ["or try again at Sep 1st, 2026 3:14 PM.", local(2026, 8, 1, 15, 14)],
    ["or try again at Aug 22nd, 2026 11:12 AM.", local(2026, 7, 22, 11, 12)],
    ["or try again at Aug 10, 2026, 11:12 AM.", local(2026, 7, 10, 11, 12)],
    ["try again at 2026-07-09T18:30:00Z", "2026-07-09T18:30:00.000Z"],
    ["Please try again in 20s.", new Date(now.getTime() + 20_000).toISOString()],
    ["try again in 1.5s", new Date(now.getTime() + 1_500).toISOString()],
    ["try again in 417ms", new Date(now.getTime() + 417).toISOString()],
    ["try again in 6m0s", new Date(now.getTime() + 360_000).toISOString()],
    ["Try again in 30 seconds", new Date(now.getTime() + 30_000).toISOString()],
    ["try again in 5 minutes", new Date(now.getTime() + 300_000).toISOString()],
    ["try again in 2 hours", new Date(now.getTime() + 7_200_000).toISOString()],
    ["try again in 1 hour 5 minutes", new Date(now.getTime() + 3_900_000).toISOString()],
    ["try again later.", null],
    ["no hint at all", null],
    ["try again at Feb 30th, 2026 1:00 AM", null],
    ["try again at 13:00 PM", null],
    ["failed to lookup address information: Try again", null],
    ["try again in 10s ... or try again at 3:45 PM", local(2026, 6, 9, 15, 45)], // latest hint wins
  ])("%s", (text, expected) => {
    expect(parseRetryNotBefore(text, now)).toBe(expected);
  });

  it("reads a UTC time of day against the UTC date", () => {
    const utcNoon = new Date("2026-07-09T12:00:00Z");
    expect(parseRetryNotBefore("try again at 4:00 PM UTC", utcNoon)).toBe("2026-07-09T16:00:00.000Z");
    expect(parseRetryNotBefore("try again at 9:00 AM UTC", utcNoon)).toBe("2026-07-10T09:00:00.000Z");
  });

  it.each([
    ["20s", 20_000],
    ["1m30s", 90_000],
    ["2 minutes and 3 seconds", 123_000],
    ["abc", null],
    ["5 apples", null],
  ])("parseDurationMs(%j) = %s", (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });
});

describe("planInvocation (fallback ladder)", () => {
  const runtime = (sessionId: string | null, cwd?: string): AdapterRuntime => ({
    sessionId,
    sessionParams: sessionId ? { sessionId, ...(cwd !== undefined ? { cwd } : {}) } : null,
    sessionDisplayId: sessionId,
    taskKey: "task-1",
  });
  const config = { bypassApprovalsAndSandbox: true, sandbox: null };
  const plan = (mode: unknown, rt: AdapterRuntime = runtime("sess-1", "/work/a"), cwd = "/work/a") =>
    planInvocation({
      config,
      runtime: rt,
      context: mode === undefined ? {} : { codexTransientFallbackMode: mode, scheduledRetryAttempt: 3 },
      cwd,
      prompt: "Do the task.",
    });

  it.each([
    [undefined, "sess-1", true, false],
    ["same_session", "sess-1", true, false],
    ["safer_invocation", "sess-1", false, false],
    ["fresh_session", null, true, true],
    ["fresh_session_safer_invocation", null, false, true],
    ["bogus_mode", "sess-1", true, false],
  ])("mode %s -> resume %s, bypass %s, handoff %s", (mode, resume, bypass, handoff) => {
    const p = plan(mode);
    expect(p.resumeSessionId).toBe(resume);
    expect(p.bypassApprovalsAndSandbox).toBe(bypass);
    expect(p.sandbox).toBe(bypass ? null : "workspace-write");
    expect(p.handoffNote).toBe(handoff);
    if (handoff) {
      expect(p.prompt.startsWith(HANDOFF_NOTE_HEADING)).toBe(true);
      expect(p.prompt).toContain("transient upstream failure (bounded retry 3)");
      expect(p.prompt.endsWith("\n\nDo the task.")).toBe(true);
      expect(p.skipReason).toBe("fallback_fresh_session");
    } else {
      expect(p.prompt).toBe("Do the task.");
    }
  });

  it("resumes only when the saved cwd is empty or equal", () => {
    expect(plan(undefined, runtime("sess-1")).resumeSessionId).toBe("sess-1");
    expect(plan(undefined, runtime("sess-1", "/work/a/")).resumeSessionId).toBe("sess-1");
    const other = plan(undefined, runtime("sess-1", "/work/b"));
    expect(other).toMatchObject({ resumeSessionId: null, skipReason: "cwd_mismatch", skippedSessionId: "sess-1" });
    expect(plan(undefined, runtime("--last")).skipReason).toBe("invalid_session_id");
    expect(plan(undefined, runtime(null))).toMatchObject({ resumeSessionId: null, skipReason: null, skippedSessionId: null });
  });

  it("falls back to the bare runtime sessionId", () => {
    const rt: AdapterRuntime = { sessionId: "legacy-1", sessionParams: null, sessionDisplayId: null, taskKey: null };
    expect(plan(undefined, rt).resumeSessionId).toBe("legacy-1");
  });

  it("safer invocation keeps a configured sandbox but never full access", () => {
    const mk = (sandbox: "read-only" | "danger-full-access") =>
      planInvocation({
        config: { bypassApprovalsAndSandbox: false, sandbox },
        runtime: runtime(null),
        context: { codexTransientFallbackMode: "safer_invocation" },
        cwd: "/w",
        prompt: "p",
      }).sandbox;
    expect(mk("read-only")).toBe("read-only");
    expect(mk("danger-full-access")).toBe("workspace-write");
  });

  it("parseFallbackMode accepts only the four modes", () => {
    expect(parseFallbackMode("fresh_session")).toBe("fresh_session");
    expect(parseFallbackMode("FRESH_SESSION")).toBeNull();
    expect(parseFallbackMode(3)).toBeNull();
  });
});

describe("environment", () => {
  it("layers engine env, config env and inherited keys, registering secrets", () => {
    const secrets: string[] = [];
    const env = buildCodexEnv(
      { PAPERCLIP_RUN_ID: "r1" },
      { FOO: { value: "bar", secret: false }, TOKEN_X: { value: "s3cr3t-value", secret: true } },
      (v) => secrets.push(v),
      { PATH: "/bin", HOME: "/home/u", OPENAI_API_KEY: "sk-inherited-123", UNRELATED: "nope" },
    );
    expect(env).toEqual({
      PAPERCLIP_RUN_ID: "r1",
      FOO: "bar",
      TOKEN_X: "s3cr3t-value",
      PATH: "/bin",
      HOME: "/home/u",
      OPENAI_API_KEY: "sk-inherited-123",
    });
    expect(secrets.sort()).toEqual(["s3cr3t-value", "sk-inherited-123"]);
  });

  it.each([
    [{ OPENAI_API_KEY: "sk-1" }, "metered_api"],
    [{ CODEX_API_KEY: "k" }, "metered_api"],
    [{ OPENAI_API_KEY: "  " }, "subscription_included"],
    [{}, "subscription_included"],
  ])("billingTypeFor(%j) = %s", (env, billing) => {
    expect(billingTypeFor(env)).toBe(billing);
  });
});
