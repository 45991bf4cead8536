import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdapterRuntime } from "@staple/adapter-kit";
import { acpAdapter, acpConfigSchema, listAcpModels } from "../src/index.js";
import { NO_SESSION, readJsonLines, recordingContext } from "../../../../test-support/adapter-context.js";

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "fake-acp-agent.mjs");
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "adapter-acp-")));
const SESSION = "sess-7f3a9c";

beforeAll(() => fs.chmodSync(FAKE, 0o755));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Entry {
  method?: string;
  params?: Record<string, unknown>;
  argv?: string[];
  permission?: { outcome: { outcome: string; optionId?: string } };
}

let counter = 0;
function makeCtx(
  scenario: string,
  options: { config?: Record<string, unknown>; env?: Record<string, unknown>; runtime?: Partial<AdapterRuntime>; state?: string } = {},
) {
  const record = path.join(tmp, `record-${++counter}.jsonl`);
  const state = options.state ?? fs.mkdtempSync(path.join(tmp, "state-"));
  const { ctx, rec } = recordingContext(
    {
      id: "agent-9",
      companyId: "company-1",
      name: "Acp",
      adapterType: "acp_local",
      adapterConfig: {
        command: FAKE,
        args: ["--acp"],
        env: { FAKE_ACP_SCENARIO: scenario, FAKE_ACP_RECORD: record, FAKE_ACP_STATE: state, ...options.env },
        ...options.config,
      },
    },
    { runId: `run-${counter}`, runtime: { ...NO_SESSION, taskKey: "issue-1", ...options.runtime }, prompt: "Survey the repo.", cwd: tmp },
  );
  return { ctx, rec, state, records: () => readJsonLines<Entry>(record) };
}
const run = (ctx: Parameters<typeof acpAdapter.execute>[0]) => acpAdapter.execute(ctx, new AbortController().signal);

describe("acp_local against a fake ACP agent", () => {
  it("runs a wake as one prompt turn with usage and cost, answers permissions, then loads the session on the next run", async () => {
    const first = makeCtx("success", { config: { model: "fake-small" } });
    const result = await run(first.ctx);
    expect(result.errorCode ?? null).toBeNull();
    expect(result).toMatchObject({ exitCode: 0, sessionId: SESSION, model: "fake-small", costUsd: 0.0123 });
    expect(result.usage).toEqual({ inputTokens: 1200, outputTokens: 345, cachedInputTokens: 200 });
    expect(result.summary).toBe("Looking at the repo.\n\nDone: the repo has README.md and src.");
    expect(result.resultJson).toMatchObject({ agent: "fake-acp-agent", stopReason: "end_turn" });
    expect(first.rec.events.map((e) => e.eventType)).toEqual([
      "system.init",
      "assistant.text",
      "tool.use",
      "permission",
      "tool.result",
      "assistant.text",
      "result",
    ]);
    const entries = first.records();
    expect(entries[0]!.argv).toEqual(["--acp"]);
    expect(entries.filter((e) => e.method).map((e) => e.method)).toEqual([
      "initialize",
      "session/new",
      "session/set_config_option",
      "session/prompt",
    ]);
    expect(entries.find((e) => e.method === "session/prompt")!.params!.prompt).toEqual([{ type: "text", text: "Survey the repo." }]);
    expect(entries.find((e) => e.permission)!.permission!.outcome).toEqual({ outcome: "selected", optionId: "allow" });

    const second = makeCtx("success", { state: first.state, runtime: { sessionId: SESSION, sessionParams: result.sessionParams ?? null } });
    const resumed = await run(second.ctx);
    expect(resumed).toMatchObject({ exitCode: 0, sessionId: SESSION });
    // History replayed by session/load is not this run's output.
    expect(resumed.summary).not.toContain("replayed");
    expect(
      second
        .records()
        .filter((e) => e.method)
        .map((e) => e.method),
    ).toEqual(["initialize", "session/load", "session/prompt"]);
  });

  it("a session the agent does not have starts a new one in the same run", async () => {
    const { ctx, records } = makeCtx("success", {
      runtime: { sessionId: "sess-gone", sessionParams: { sessionId: "sess-gone", cwd: tmp } },
    });
    const result = await run(ctx);
    expect(result).toMatchObject({ exitCode: 0, sessionId: SESSION });
    expect(
      records()
        .filter((e) => e.method)
        .map((e) => e.method),
    ).toEqual(["initialize", "session/load", "session/new", "session/prompt"]);
  });

  it("rejects permission requests when autoApprove is off", async () => {
    const { ctx, records } = makeCtx("success", { config: { autoApprove: false } });
    expect((await run(ctx)).exitCode).toBe(0);
    expect(records().find((e) => e.permission)!.permission!.outcome).toEqual({ outcome: "selected", optionId: "reject" });
  });

  it("a missing binary fails cleanly with acp_binary_missing, at run time and in the environment check", async () => {
    const result = await run(makeCtx("success", { config: { command: "acp-agent-not-installed-xyz" } }).ctx);
    expect(result.errorCode).toBe("acp_binary_missing");
    const checks = await acpAdapter.testEnvironment!({ command: "acp-agent-not-installed-xyz" });
    expect(checks.find((c) => c.code === "acp_binary_missing")).toMatchObject({ level: "error" });
  });

  it("a missing login (auth_required) fails with acp_auth_required, at run time and in the environment check", async () => {
    const result = await run(makeCtx("not_logged_in").ctx);
    expect(result).toMatchObject({ errorCode: "acp_auth_required", errorFamily: null });
    expect(result.errorMessage).toContain("Authentication required");
    const checks = await acpAdapter.testEnvironment!({ command: FAKE, args: ["--acp"], env: { FAKE_ACP_SCENARIO: "not_logged_in" } });
    expect(checks.find((c) => c.code === "acp_auth_required")).toMatchObject({ level: "error" });
    expect(checks.find((c) => c.code === "acp_auth_required")!.fix).toContain("fake-acp-agent login");
    const ok = await acpAdapter.testEnvironment!({ command: FAKE, args: ["--acp"], env: { FAKE_ACP_STATE: tmp } });
    expect(ok.find((c) => c.code === "acp_handshake_ok")?.message).toContain("fake-acp-agent 1.0.0");
  });

  it("an upstream rate limit is a transient failure with the retry time", async () => {
    const before = Date.now();
    const result = await run(makeCtx("rate_limit").ctx);
    expect(result).toMatchObject({ errorCode: "acp_transient_upstream", errorFamily: "transient_upstream" });
    const wait = Date.parse(result.retryNotBefore!) - before;
    expect(wait).toBeGreaterThanOrEqual(89_000);
    expect(wait).toBeLessThan(100_000);
  });

  it("an agent that does not exit after the turn is stopped, and the run still succeeds", async () => {
    const { ctx, rec } = makeCtx("linger");
    const result = await run(ctx);
    expect(result).toMatchObject({ exitCode: 0, sessionId: SESSION });
    const pid = rec.spawns[0]!.pid;
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it("config: command is required; no model catalogue of its own", async () => {
    expect(acpConfigSchema.safeParse({}).success).toBe(false);
    expect(acpConfigSchema.safeParse({ command: "gemini", args: ["--acp"], model: "--x" }).success).toBe(false);
    expect(await listAcpModels()).toEqual([]);
  });
});
