import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { classifyClaudeOutcome, isUnknownSessionError } from "../src/error-classifier.js";
import { NdjsonLineSplitter } from "../src/line-splitter.js";
import { readJsonValue, salvageOversizedLine } from "../src/oversized-line.js";
import { ClaudeStreamParser } from "../src/stream-parser.js";

const REAL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "fixtures/real");
const real = (name: string) => fs.readFileSync(path.join(REAL, name), "utf8");
const line = (obj: unknown) => `${JSON.stringify(obj)}\n`;

describe("NdjsonLineSplitter", () => {
  it("splits across chunk boundaries and strips CR", () => {
    const s = new NdjsonLineSplitter();
    expect(s.push('{"a":')).toEqual([]);
    expect(s.push('1}\r\n{"b":2}\n{"c"')).toEqual([
      { kind: "line", text: '{"a":1}' },
      { kind: "line", text: '{"b":2}' },
    ]);
    expect(s.end()).toEqual([{ kind: "line", text: '{"c"' }]);
    expect(s.end()).toEqual([]);
  });

  it("keeps memory bounded for an endless line and reports it as oversized", () => {
    const s = new NdjsonLineSplitter(1000, 100);
    const chunk = "0123456789".repeat(6400); // 64 000 chars
    for (let i = 0; i < 300; i++) {
      expect(s.push(chunk)).toEqual([]); // ~19 MB, never a line
      expect(s.bufferedChars).toBeLessThanOrEqual(200);
    }
    const [done] = s.push("END\n");
    expect(done).toEqual({ kind: "oversized", head: chunk.slice(0, 100), tail: `${chunk}END`.slice(-100), length: 300 * 64_000 + 3 });
    expect(s.push("next\n")).toEqual([{ kind: "line", text: "next" }]);
  });
});

describe("salvageOversizedLine", () => {
  const big = "q".repeat(5000);
  const frag = (text: string) => [text.slice(0, 300), text.slice(-300)] as const;

  it("recovers a result line's small fields from either end", () => {
    const text = JSON.stringify({
      duration_api_ms: 5,
      session_id: "s-1",
      total_cost_usd: 1.25,
      usage: { input_tokens: 10, cache_read_input_tokens: 3, output_tokens: 7, server_tool_use: { web_search_requests: 0 } },
      is_error: false,
      subtype: "success",
      result: `START "quoted" ,"type":"assistant" ${big} END`,
      type: "result",
      num_turns: 4,
    });
    const [head, tail] = frag(text);
    const msg = salvageOversizedLine(head, tail, text.length);
    expect(msg).toMatchObject({
      type: "result",
      session_id: "s-1",
      total_cost_usd: 1.25,
      is_error: false,
      subtype: "success",
      num_turns: 4,
      usage: { input_tokens: 10, cache_read_input_tokens: 3, output_tokens: 7 },
      truncatedChars: text.length,
    });
    expect(String(msg?.result).startsWith('START "quoted" ,"type":"assistant" qqq')).toBe(true);
  });

  it("recovers the start of an assistant text block and a tool result id", () => {
    const assistant = JSON.stringify({
      type: "assistant",
      message: { content: [{ type: "text", text: `Hello ${big}` }] },
      session_id: "s-2",
    });
    expect(salvageOversizedLine(...frag(assistant), assistant.length)).toMatchObject({
      type: "assistant",
      session_id: "s-2",
      message: { content: [{ type: "text", text: expect.stringMatching(/^Hello q+$/) }] },
    });
    const user = JSON.stringify({ type: "user", message: { content: [{ tool_use_id: "toolu_9", type: "tool_result", content: big }] } });
    expect(salvageOversizedLine(...frag(user), user.length)).toMatchObject({
      type: "user",
      message: { content: [{ type: "tool_result", tool_use_id: "toolu_9" }] },
    });
    expect(salvageOversizedLine("xxxx", "yyyy", 8)).toBeNull();
  });

  it.each([
    ['"abc\\"d"', 'abc"d', true],
    ['"cut here\\', "cut here", false],
    ['"cut \\u00', "cut ", false],
    ['{"a":[1,{"b":"}"}]}', { a: [1, { b: "}" }] }, true],
    ['{"a":1', undefined, undefined],
    ["-1.5e3,", -1500, true],
    ["null}", null, true],
  ])("readJsonValue(%s)", (text, value, complete) => {
    const read = readJsonValue(text, 0);
    if (complete === undefined) expect(read).toBeUndefined();
    else expect(read).toEqual({ value, complete });
  });
});

describe("ClaudeStreamParser", () => {
  it("turns a session into events and state", () => {
    const p = new ClaudeStreamParser();
    const stream = [
      line({
        type: "system",
        subtype: "init",
        session_id: "s-1",
        model: "claude-opus-5-5",
        cwd: "/w",
        tools: ["Bash"],
        permissionMode: "bypassPermissions",
        claude_code_version: "2.1.330",
      }),
      line({
        type: "assistant",
        message: {
          content: [
            { type: "thinking", thinking: "hmm" },
            { type: "text", text: "Looking." },
            { type: "tool_use", id: "t1", name: "Read", input: { file_path: "/w/a" } },
          ],
        },
        session_id: "s-1",
      }),
      line({
        type: "user",
        message: {
          content: [
            { type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "line 1" }, { type: "image" }], is_error: true },
          ],
        },
      }),
      line({ type: "rate_limit_event", rate_limit_info: { status: "allowed_warning", resetsAt: 1795280400, rateLimitType: "five_hour" } }),
      "not json at all\n",
      line({ type: "stream_event", event: {} }),
      line({
        type: "result",
        subtype: "success",
        is_error: false,
        result: "All done.",
        session_id: "s-1",
        total_cost_usd: 0.5,
        num_turns: 3,
        usage: { input_tokens: 5, cache_creation_input_tokens: 2, cache_read_input_tokens: 4, output_tokens: 6 },
      }),
    ].join("");
    // Feed in awkward 7-char chunks: events must not depend on chunking.
    const events = [];
    for (let i = 0; i < stream.length; i += 7) events.push(...p.push(stream.slice(i, i + 7)));
    events.push(...p.end());
    expect(events.map((e) => e.eventType)).toEqual(["system.init", "assistant.text", "tool.use", "tool.result", "rate_limit", "result"]);
    expect(events[2]).toEqual({
      eventType: "tool.use",
      message: "Read",
      payload: { id: "t1", name: "Read", input: { file_path: "/w/a" } },
    });
    expect(events[3]).toEqual({
      eventType: "tool.result",
      message: "line 1\n[image]",
      payload: { toolUseId: "t1", isError: true, chars: 14 },
    });
    expect(p.sessionId).toBe("s-1");
    expect(p.state).toMatchObject({
      model: "claude-opus-5-5",
      lastAssistantText: "Looking.",
      toolUses: 1,
      rateLimit: { status: "allowed_warning" },
      nonJsonTail: "not json at all\n",
      lines: 7,
    });
    expect(p.state.result).toMatchObject({
      text: "All done.",
      costUsd: 0.5,
      numTurns: 3,
      usage: { inputTokens: 5, cachedInputTokens: 4, outputTokens: 6, cacheCreationInputTokens: 2 },
    });
  });

  it("previews large tool input instead of copying it", () => {
    const p = new ClaudeStreamParser();
    const [event] = p.push(
      line({
        type: "assistant",
        message: { content: [{ type: "tool_use", id: "t", name: "Write", input: { content: "w".repeat(50_000) } }] },
      }),
    );
    expect(event?.payload).toMatchObject({ input: { truncated: true, preview: expect.any(String) } });
    expect(JSON.stringify(event).length).toBeLessThan(10_000);
  });

  it("parses the real CLI's not-logged-in output (Claude Code 2.1.330)", () => {
    const p = new ClaudeStreamParser();
    const events = [...p.push(real("not-logged-in.stdout.jsonl")), ...p.end()];
    expect(events.map((e) => e.eventType)).toEqual(["system.init", "assistant.text", "result"]);
    expect(events[1]).toMatchObject({ message: "Not logged in · Please run /login", payload: { apiError: "authentication_failed" } });
    expect(p.sessionId).toBe("ae835684-9898-4f0d-b466-3abda8ce281d");
    expect(p.state.lastAssistantText).toBeNull(); // an API error is not agent output
    expect(p.state.apiErrors).toEqual([{ code: "authentication_failed", text: "Not logged in · Please run /login" }]);
    expect(p.state.result).toMatchObject({ subtype: "success", isError: true, text: "Not logged in · Please run /login", costUsd: 0 });
    const outcome = classifyClaudeOutcome({
      exitCode: 1,
      signal: null,
      result: p.state.result,
      apiErrors: p.state.apiErrors,
      rateLimit: null,
      stderr: "",
      nonJsonStdout: "",
      maxTurns: null,
      now: new Date(),
    });
    expect(outcome?.errorCode).toBe("claude_auth_required");
  });

  it("parses the real CLI's unknown-session output (Claude Code 2.1.330)", () => {
    const p = new ClaudeStreamParser();
    p.push(real("unknown-session.stdout.jsonl"));
    p.end();
    expect(p.state.initSessionId).toBeNull();
    expect(p.state.result).toMatchObject({
      subtype: "error_during_execution",
      isError: true,
      errors: ["No conversation found with session ID: 11111111-2222-4333-8444-555555555555"],
    });
    expect(isUnknownSessionError({ result: p.state.result, stderr: "" })).toBe(true);
    expect(isUnknownSessionError({ result: null, stderr: real("unknown-session.stderr.txt") })).toBe(true);
  });

  it("still reads the result of an oversized result line", () => {
    const p = new ClaudeStreamParser({ maxLineChars: 10_000, fragmentChars: 2_000 });
    const events = p.push(
      line({
        type: "result",
        subtype: "success",
        is_error: false,
        result: `BEGIN ${"r".repeat(50_000)}`,
        session_id: "s-9",
        total_cost_usd: 2,
        usage: { input_tokens: 1, output_tokens: 2 },
      }),
    );
    expect(events[0]?.eventType).toBe("result");
    expect(p.state.oversizedLines).toBe(1);
    expect(p.state.result).toMatchObject({
      sessionId: "s-9",
      costUsd: 2,
      isError: false,
      usage: { inputTokens: 1, outputTokens: 2 },
      truncatedChars: expect.any(Number),
    });
    expect(p.state.result?.text?.startsWith("BEGIN rrr")).toBe(true);
    expect(p.state.result!.text!.length).toBeLessThan(2_100);
  });
});
