import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";

/**
 * claude_local end to end through the real run engine, against the fake `claude` executable of the
 * adapter package (stream-json of Claude Code 2.1.330): wake -> run -> events -> result -> cost event
 * -> session saved -> resumed on the next wake; an unknown session; a rate limit with a reset time.
 */
const FAKE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../packages/adapters/claude/test/fixtures/fake-claude.mjs");
const SECRET = "sk-ant-planted-claude-secret-0a1b2c3d4e";
const SESSION = "5d8a3c1e-2f4b-4c6d-8e9f-0a1b2c3d4e5f";
const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];

const t = useTestServer({ runtime: { recovery: { strandedReconciliation: false, missingComment: false } } });
beforeAll(() => fs.chmodSync(FAKE, 0o755));

function claudeConfig(scenario: string, extra: Record<string, unknown> = {}) {
  const record = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fake-claude-")), "record.jsonl");
  return {
    record,
    adapterConfig: {
      command: FAKE,
      env: {
        FAKE_CLAUDE_SCENARIO: scenario,
        FAKE_CLAUDE_RECORD: record,
        FAKE_CLAUDE_SESSION_ID: SESSION,
        ANTHROPIC_API_KEY: { type: "secret", value: SECRET },
        ...extra,
      },
    },
  };
}
const invocations = (record: string) =>
  fs
    .readFileSync(record, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { argv: string[]; stdin: string });

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

describe("claude_local through the run engine", () => {
  it("runs, records events, usage and cost, saves the session and resumes it on the next wake", async () => {
    const company = await createCompany(t.current);
    const { record, adapterConfig } = claudeConfig("success", { FAKE_CLAUDE_ECHO_ENV: "ANTHROPIC_API_KEY" });
    const agent = await createAgent(t.current, company.id, { name: "Claude", adapterType: "claude_local", adapterConfig });
    const issue = await createIssue(t.current, company.id, { title: "Survey the repo", status: "todo", assigneeAgentId: agent.id });

    const [first] = await settled(issue.id, 1);
    expect(first).toMatchObject({ status: "succeeded", errorCode: null, sessionIdBefore: null, sessionIdAfter: SESSION });
    expect(first!.usageJson).toMatchObject({ inputTokens: 1200, outputTokens: 345, costUsd: 0.0123, billingType: "metered_api" });
    expect(first!.resultJson.summary).toContain("Done: the repo has README.md and src.");

    const events = (await t.current.get(`/api/heartbeat-runs/${first!.id}/events`)).body as {
      eventType: string;
      message: string | null;
      payload: unknown;
    }[];
    const types = events.map((e) => e.eventType);
    for (const type of ["adapter.invoke", "tool.use", "tool.result", "assistant.text", "result"]) expect(types).toContain(type);
    expect(events.find((e) => e.eventType === "adapter.invoke")!.payload).toMatchObject({ adapterType: "claude_local", command: FAKE });
    // The key travelled in the environment only; everything the agent echoed is redacted.
    const [call] = invocations(record);
    expect(JSON.stringify(call!.argv)).not.toContain(SECRET);
    expect(call!.argv).toEqual(expect.arrayContaining(["--print", "-", "--output-format", "stream-json", "--verbose"]));
    expect(call!.stdin).toContain("Survey the repo");
    expect(call!.stdin).not.toContain(SECRET);
    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(JSON.stringify(events)).toContain("[REDACTED]");
    expect(JSON.stringify((await t.current.get(`/api/heartbeat-runs/${first!.id}/log`)).body)).not.toContain(SECRET);
    const comments = (await t.current.get(`/api/issues/${issue.id}/comments`)).body as { body: string }[];
    expect(JSON.stringify(comments)).not.toContain(SECRET);

    const [cost] = await t.current.tdb.db.query<{ inputTokens: number; outputTokens: number; costCents: number; billingType: string }>(
      "SELECT input_tokens, output_tokens, cost_cents, billing_type FROM cost_events WHERE heartbeat_run_id = $1",
      [first!.id],
    );
    expect(cost).toMatchObject({ inputTokens: 1200, outputTokens: 345, billingType: "metered_api" });
    expect(Number(cost!.costCents)).toBeGreaterThan(0);
    const sessions = (await t.current.get(`/api/agents/${agent.id}/task-sessions`)).body;
    expect(sessions[0].sessionParamsJson.sessionId).toBe(SESSION);

    expect((await t.current.post(`/api/issues/${issue.id}/comments`, { body: "Now write a summary." })).status).toBe(201);
    const [, second] = await settled(issue.id, 2);
    expect(second).toMatchObject({ status: "succeeded", sessionIdBefore: SESSION, sessionIdAfter: SESSION });
    const resumed = invocations(record)[1]!;
    expect(resumed.argv[resumed.argv.indexOf("--resume") + 1]).toBe(SESSION);
    expect(resumed.stdin).toContain("Now write a summary.");
  });

  it("an unknown session is retried once fresh in the same run and the stale session is replaced", async () => {
    const company = await createCompany(t.current);
    const { record, adapterConfig } = claudeConfig("unknown_session", { FAKE_CLAUDE_SESSION_ID: "7e7e7e7e-1111-4222-8333-944444444444" });
    const agent = await createAgent(t.current, company.id, { adapterType: "claude_local", adapterConfig });
    const issue = await createIssue(t.current, company.id, { title: "Stale session", status: "todo", assigneeAgentId: agent.id });
    await settled(issue.id, 1);
    // Make the saved session one the CLI does not know (as after a machine move or a cleared ~/.claude).
    const stale = "0f0f0f0f-aaaa-4bbb-8ccc-dddddddddddd";
    await t.current.tdb.db.query(
      "UPDATE agent_task_sessions SET session_params_json = jsonb_set(session_params_json, '{sessionId}', to_jsonb($2::text)) WHERE agent_id = $1",
      [agent.id, stale],
    );
    expect((await t.current.post(`/api/issues/${issue.id}/comments`, { body: "Continue." })).status).toBe(201);
    const [, second] = await settled(issue.id, 2);
    expect(second).toMatchObject({ status: "succeeded", sessionIdBefore: stale, sessionIdAfter: "7e7e7e7e-1111-4222-8333-944444444444" });
    const calls = invocations(record);
    expect(calls.slice(1).map((c) => (c.argv.includes("--resume") ? "resume" : "fresh"))).toEqual(["resume", "fresh"]);
    const sessions = (await t.current.get(`/api/agents/${agent.id}/task-sessions`)).body;
    expect(sessions[0].sessionParamsJson.sessionId).toBe("7e7e7e7e-1111-4222-8333-944444444444");
  });

  it("a rate limit with a reset time fails transient and the bounded retry waits for it; auth required is its own code", async () => {
    const company = await createCompany(t.current);
    const resetsAt = Date.UTC(2031, 7, 31, 12, 0, 0) / 1000;
    // Its own key: the usage limit holds every agent on the same credential until the reset (docs/runs.md#quota-breaker).
    const { adapterConfig } = claudeConfig("rate_limit_event", {
      FAKE_CLAUDE_RESETS_AT: String(resetsAt),
      ANTHROPIC_API_KEY: { type: "secret", value: `${SECRET}-rate-limited` },
    });
    const agent = await createAgent(t.current, company.id, { adapterType: "claude_local", adapterConfig });
    const issue = await createIssue(t.current, company.id, { title: "Rate limited", status: "todo", assigneeAgentId: agent.id });
    const [failed] = await settled(issue.id, 1);
    expect(failed).toMatchObject({ status: "failed", errorCode: "claude_transient_upstream" });
    expect(failed!.resultJson).toMatchObject({
      errorFamily: "transient_upstream",
      retryNotBefore: new Date(resetsAt * 1000).toISOString(),
    });
    const retry = await waitFor("scheduled retry", async () => (await runsOf(issue.id)).find((r) => r.retryOfRunId === failed!.id));
    expect(retry.status).toBe("scheduled_retry");
    expect(retry.scheduledRetryAt!.getTime()).toBeGreaterThanOrEqual(resetsAt * 1000);

    const authAgent = await createAgent(t.current, company.id, {
      adapterType: "claude_local",
      adapterConfig: claudeConfig("auth").adapterConfig,
    });
    const issue2 = await createIssue(t.current, company.id, { title: "Not logged in", status: "todo", assigneeAgentId: authAgent.id });
    const [authFailed] = await settled(issue2.id, 1);
    expect(authFailed).toMatchObject({ status: "failed", errorCode: "claude_auth_required" });
    expect(authFailed!.resultJson.errorFamily).toBeUndefined();
  });
});
