import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";

/**
 * codex_local end to end through the real run engine, against the fake `codex` executable of the
 * adapter package (it prints the JSONL of `codex exec --json`, codex-cli 0.169.0): wake -> run ->
 * events -> result -> cost event -> session saved -> resumed on the next wake, plus the failure
 * classifications the engine acts on.
 */
const FAKE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../packages/adapters/codex/test/fixtures/fake-codex.mjs");
const SECRET = "sk-planted-codex-secret-4f9a8b7c6d5e";
const THREAD = "0199a213-81c0-7800-8aa1-bbab2a035a53";
const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];

const t = useTestServer({ runtime: { recovery: { strandedReconciliation: false, missingComment: false } } });
beforeAll(() => fs.chmodSync(FAKE, 0o755));

function codexConfig(scenario: string, extra: Record<string, unknown> = {}) {
  const record = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fake-codex-")), "record.jsonl");
  return {
    record,
    adapterConfig: {
      command: FAKE,
      env: { FAKE_CODEX_SCENARIO: scenario, FAKE_CODEX_RECORD: record, OPENAI_API_KEY: { type: "secret", value: SECRET }, ...extra },
    },
  };
}

async function runsOf(issueId: string) {
  return t.current.tdb.db.query<{
    id: string;
    status: string;
    errorCode: string | null;
    usageJson: any;
    resultJson: any;
    sessionIdBefore: string | null;
    sessionIdAfter: string | null;
    retryOfRunId: string | null;
    scheduledRetryAt: Date | null;
  }>(
    "SELECT id, status, error_code, usage_json, result_json, session_id_before, session_id_after, retry_of_run_id, scheduled_retry_at FROM heartbeat_runs WHERE issue_id = $1 ORDER BY created_at",
    [issueId],
  );
}

async function settled(issueId: string, count: number) {
  return waitFor(
    `${count} finished run(s)`,
    async () => {
      const runs = await runsOf(issueId);
      return runs.length >= count && runs.slice(0, count).every((r) => TERMINAL.includes(r.status)) ? runs : null;
    },
    20_000,
  );
}

describe("codex_local through the run engine", () => {
  it("runs, records events, usage and cost, saves the session and resumes it on the next wake", async () => {
    const company = await createCompany(t.current);
    const { record, adapterConfig } = codexConfig("success", { FAKE_CODEX_LEAK_KEY: "1" });
    const agent = await createAgent(t.current, company.id, { name: "Codex", adapterType: "codex_local", adapterConfig });
    const issue = await createIssue(t.current, company.id, { title: "Refactor the parser", status: "todo", assigneeAgentId: agent.id });

    const [first] = await settled(issue.id, 1);
    expect(first).toMatchObject({ status: "succeeded", errorCode: null, sessionIdBefore: null, sessionIdAfter: THREAD });
    expect(first!.usageJson).toMatchObject({
      inputTokens: 1200,
      cachedInputTokens: 800,
      outputTokens: 345,
      usageSource: "session_total_first",
      provider: "openai",
      billingType: "metered_api",
    });
    expect(first!.resultJson.summary).toContain("Done: updated src/a.ts");

    const events = (await t.current.get(`/api/heartbeat-runs/${first!.id}/events`)).body as {
      eventType: string;
      message: string | null;
      payload: unknown;
    }[];
    const types = events.map((e) => e.eventType);
    for (const type of ["adapter.invoke", "tool.use", "tool.result", "assistant.text", "result"]) expect(types).toContain(type);
    expect(events.find((e) => e.eventType === "tool.use")!.message).toBe("$ bash -lc ls");
    // The executable was resolved once to an absolute path and stored with the invocation.
    expect(events.find((e) => e.eventType === "adapter.invoke")!.payload).toMatchObject({ adapterType: "codex_local", command: FAKE });
    // The secret reached the CLI through its environment only, and is redacted wherever the agent echoed it.
    const invocations = fs
      .readFileSync(record, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(invocations[0].hasApiKey).toBe(true);
    expect(JSON.stringify(invocations[0].argv)).not.toContain(SECRET);
    expect(invocations[0].prompt).toContain("Refactor the parser");
    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(JSON.stringify(events)).toContain("[REDACTED]");
    const log = await t.current.get(`/api/heartbeat-runs/${first!.id}/log`);
    expect(JSON.stringify(log.body)).not.toContain(SECRET);

    const [cost] = await t.current.tdb.db.query<{ inputTokens: number; outputTokens: number; cachedInputTokens: number; provider: string }>(
      "SELECT input_tokens, output_tokens, cached_input_tokens, provider FROM cost_events WHERE heartbeat_run_id = $1",
      [first!.id],
    );
    expect(cost).toEqual({ inputTokens: 1200, outputTokens: 345, cachedInputTokens: 800, provider: "openai" });
    const sessions = (await t.current.get(`/api/agents/${agent.id}/task-sessions`)).body;
    expect(sessions[0].sessionParamsJson.sessionId).toBe(THREAD);

    // A comment wakes the agent; the run resumes the saved thread and bills only its own turn.
    const commented = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "Please also update the docs." });
    expect(commented.status).toBe(201);
    const [, second] = await settled(issue.id, 2);
    expect(second).toMatchObject({ status: "succeeded", sessionIdBefore: THREAD, sessionIdAfter: THREAD });
    expect(second!.usageJson).toMatchObject({
      inputTokens: 1200,
      cachedInputTokens: 800,
      outputTokens: 345,
      usageSource: "session_delta",
      raw: { inputTokens: 2400, outputTokens: 690 },
    });
    const resumed = fs
      .readFileSync(record, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))[1];
    expect(resumed.argv.slice(-3)).toEqual(["resume", THREAD, "-"]);
    expect(resumed.prompt).toContain("Please also update the docs.");
    const [totals] = await t.current.tdb.db.query<{ totalInputTokens: string }>(
      "SELECT total_input_tokens FROM agent_runtime_state WHERE agent_id = $1",
      [agent.id],
    );
    expect(Number(totals!.totalInputTokens)).toBe(2400);
  });

  it("a usage limit with a reset time fails transient and schedules the bounded retry no earlier than that time", async () => {
    const company = await createCompany(t.current);
    // Its own key: the usage limit holds every agent on the same credential until the reset (docs/runs.md#quota-breaker).
    const { adapterConfig } = codexConfig("rate_limit", {
      FAKE_CODEX_RETRY_AT: "Sep 1st, 2031 3:14 PM",
      OPENAI_API_KEY: { type: "secret", value: `${SECRET}-rate-limited` },
    });
    const agent = await createAgent(t.current, company.id, { adapterType: "codex_local", adapterConfig });
    const issue = await createIssue(t.current, company.id, { title: "Rate limited", status: "todo", assigneeAgentId: agent.id });
    const [failed] = await settled(issue.id, 1);
    const notBefore = new Date(2031, 8, 1, 15, 14).toISOString();
    expect(failed).toMatchObject({ status: "failed", errorCode: "codex_transient_upstream" });
    expect(failed!.resultJson).toMatchObject({ errorFamily: "transient_upstream", retryNotBefore: notBefore });
    const retry = await waitFor("scheduled retry", async () => (await runsOf(issue.id)).find((r) => r.retryOfRunId === failed!.id));
    expect(retry.status).toBe("scheduled_retry");
    expect(retry.scheduledRetryAt!.getTime()).toBeGreaterThanOrEqual(Date.parse(notBefore));
  });

  it("auth required fails with its own code and no scheduled retry; a missing binary fails the run, not the server", async () => {
    const company = await createCompany(t.current);
    const { adapterConfig } = codexConfig("auth");
    const agent = await createAgent(t.current, company.id, { adapterType: "codex_local", adapterConfig });
    const issue = await createIssue(t.current, company.id, { title: "No login", status: "todo", assigneeAgentId: agent.id });
    const [failed] = await settled(issue.id, 1);
    expect(failed).toMatchObject({ status: "failed", errorCode: "codex_auth_required" });
    // Not transient: no scheduled retry (only the spec's one immediate recovery dispatch may follow).
    expect(failed!.resultJson.errorFamily).toBeUndefined();
    expect((await runsOf(issue.id)).filter((r) => r.status === "scheduled_retry" || r.scheduledRetryAt)).toEqual([]);

    const missing = await createAgent(t.current, company.id, {
      adapterType: "codex_local",
      adapterConfig: { command: "/nonexistent/codex" },
    });
    const issue2 = await createIssue(t.current, company.id, { title: "No binary", status: "todo", assigneeAgentId: missing.id });
    const [lost] = await settled(issue2.id, 1);
    expect(lost).toMatchObject({ status: "failed", errorCode: "adapter_command_not_found" });
    expect((await t.current.get("/api/health")).status).toBe(200);
    const env = await t.current.post(`/api/companies/${company.id}/adapters/codex_local/test-environment`, {
      adapterConfig: { command: FAKE },
    });
    expect(env.status).toBe(200);
    expect(JSON.stringify(env.body)).toContain("0.169.0");
    const models = await t.current.get(`/api/companies/${company.id}/adapters/codex_local/models`);
    expect(models.body.length).toBeGreaterThan(0);
  });
  it("puts the agent's instructions file into a fresh session's prompt; a missing file is a run warning, not a failure", async () => {
    const company = await createCompany(t.current);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codex-instr-"));
    fs.writeFileSync(path.join(dir, "AGENTS.md"), "Always run the linter before committing.");
    const { record, adapterConfig } = codexConfig("success");
    const agent = await createAgent(t.current, company.id, {
      adapterType: "codex_local",
      adapterConfig: { ...adapterConfig, cwd: dir, instructionsFilePath: "AGENTS.md" },
    });
    const issue = await createIssue(t.current, company.id, { title: "Lint", status: "todo", assigneeAgentId: agent.id });
    const [done] = await settled(issue.id, 1);
    expect(done!.status).toBe("succeeded");
    const prompt = fs
      .readFileSync(record, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))[0].prompt as string;
    expect(prompt).toContain(`Your standing instructions (from ${path.join(dir, "AGENTS.md")})`);
    expect(prompt).toContain("Always run the linter before committing.");

    const other = codexConfig("success");
    const agent2 = await createAgent(t.current, company.id, {
      adapterType: "codex_local",
      adapterConfig: { ...other.adapterConfig, cwd: dir, instructionsFilePath: "missing.md" },
    });
    const issue2 = await createIssue(t.current, company.id, { title: "No file", status: "todo", assigneeAgentId: agent2.id });
    const [run2] = await settled(issue2.id, 1);
    expect(run2!.status).toBe("succeeded");
    const events = (await t.current.get(`/api/heartbeat-runs/${run2!.id}/events`)).body as { eventType: string; message: string }[];
    expect(events.find((e) => e.eventType === "adapter.warning")!.message).toContain("missing.md");
  });
});
