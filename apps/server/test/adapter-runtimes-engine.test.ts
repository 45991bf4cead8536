import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";

/**
 * gemini_local, opencode_local, cursor and acp_local end to end through the real run engine, each against
 * the fake CLI of its adapter package: wake -> run -> events -> usage -> session saved -> resumed on the
 * next wake of the same issue; a missing binary and a missing login fail with the adapter's own codes,
 * and the environment-check route reports the missing binary.
 */
const ADAPTERS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../packages/adapters");
const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];

interface Runtime {
  type: string;
  prefix: string;
  fake: string;
  session: string;
  /** The adapterConfig for a scenario, recording invocations to `record`. */
  config(scenario: string, record: string, state: string): Record<string, unknown>;
  /** Whether a recorded invocation resumed `session`. */
  resumed(records: Record<string, unknown>[], session: string): boolean;
}

const argvResumes = (flag: string) => (records: Record<string, unknown>[], session: string) => {
  const argv = records.at(-1)!.argv as string[];
  return argv[argv.indexOf(flag) + 1] === session;
};

const RUNTIMES: Runtime[] = [
  {
    type: "gemini_local",
    prefix: "gemini",
    fake: `${ADAPTERS}/gemini/test/fixtures/fake-gemini.mjs`,
    session: "3f0c2b8e-5d1a-4c7e-9b2f-6a4d8e1c0b93",
    config: (scenario, record) => ({ env: { FAKE_GEMINI_SCENARIO: scenario, FAKE_GEMINI_RECORD: record } }),
    resumed: argvResumes("--resume"),
  },
  {
    type: "opencode_local",
    prefix: "opencode",
    fake: `${ADAPTERS}/opencode/test/fixtures/fake-opencode.mjs`,
    session: "ses_5b2c9e41d7ffe0Qx3kT8mZ1aB",
    config: (scenario, record) => ({
      model: "anthropic/claude-sonnet-4-5",
      env: { FAKE_OPENCODE_SCENARIO: scenario, FAKE_OPENCODE_RECORD: record },
    }),
    resumed: argvResumes("--session"),
  },
  {
    type: "cursor",
    prefix: "cursor",
    fake: `${ADAPTERS}/cursor/test/fixtures/fake-cursor-agent.mjs`,
    session: "c6b1f3a0-7d2e-4f5a-9b8c-1d2e3f4a5b6c",
    config: (scenario, record) => ({ env: { FAKE_CURSOR_SCENARIO: scenario, FAKE_CURSOR_RECORD: record } }),
    resumed: argvResumes("--resume"),
  },
  {
    type: "acp_local",
    prefix: "acp",
    fake: `${ADAPTERS}/acp/test/fixtures/fake-acp-agent.mjs`,
    session: "sess-7f3a9c",
    config: (scenario, record, state) => ({
      args: ["--acp"],
      env: { FAKE_ACP_SCENARIO: scenario, FAKE_ACP_RECORD: record, FAKE_ACP_STATE: state },
    }),
    resumed: (records, session) =>
      records.some((r) => r.method === "session/load" && (r.params as { sessionId?: string }).sessionId === session),
  },
];

const t = useTestServer({ runtime: { recovery: { strandedReconciliation: false, missingComment: false } } });
beforeAll(() => {
  for (const r of RUNTIMES) fs.chmodSync(r.fake, 0o755);
});

function setup(r: Runtime, scenario: string, extra: Record<string, unknown> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fake-${r.prefix}-`));
  const record = path.join(dir, "record.jsonl");
  return { record, adapterConfig: { command: r.fake, ...r.config(scenario, record, dir), ...extra } };
}
const records = (file: string) =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

async function runsOf(issueId: string) {
  return t.current.tdb.db.query<{
    id: string;
    status: string;
    errorCode: string | null;
    usageJson: any;
    sessionIdBefore: string | null;
    sessionIdAfter: string | null;
  }>(
    "SELECT id, status, error_code, usage_json, session_id_before, session_id_after FROM heartbeat_runs WHERE issue_id = $1 ORDER BY created_at",
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

describe.each(RUNTIMES)("$type through the run engine", (r) => {
  it("a wake runs to a finished run with usage and events; the next wake of the issue resumes the session", async () => {
    const company = await createCompany(t.current);
    const { record, adapterConfig } = setup(r, "success");
    const agent = await createAgent(t.current, company.id, { name: `Agent ${r.type}`, adapterType: r.type, adapterConfig });
    const issue = await createIssue(t.current, company.id, { title: "Survey the repo", status: "todo", assigneeAgentId: agent.id });

    const [first] = await settled(issue.id, 1);
    expect(first).toMatchObject({ status: "succeeded", errorCode: null, sessionIdBefore: null, sessionIdAfter: r.session });
    expect(first!.usageJson).toMatchObject({ inputTokens: 1200, outputTokens: 345 });
    const events = (await t.current.get(`/api/heartbeat-runs/${first!.id}/events`)).body as { eventType: string; payload: any }[];
    const types = events.map((e) => e.eventType);
    for (const type of ["adapter.invoke", "tool.use", "tool.result", "assistant.text", "result"]) expect(types).toContain(type);
    expect(events.find((e) => e.eventType === "adapter.invoke")!.payload).toMatchObject({ adapterType: r.type });
    expect(JSON.stringify(records(record))).toContain("Survey the repo");

    expect((await t.current.post(`/api/issues/${issue.id}/comments`, { body: "Now write a summary." })).status).toBe(201);
    const [, second] = await settled(issue.id, 2);
    expect(second).toMatchObject({ status: "succeeded", sessionIdBefore: r.session, sessionIdAfter: r.session });
    expect(r.resumed(records(record), r.session)).toBe(true);
  });

  it(`a missing binary fails with ${r.prefix}_binary_missing and a missing login with ${r.prefix}_auth_required`, async () => {
    const company = await createCompany(t.current);
    const missing = await createAgent(t.current, company.id, {
      adapterType: r.type,
      adapterConfig: { ...setup(r, "success").adapterConfig, command: `/nonexistent/${r.prefix}-agent` },
    });
    const issue1 = await createIssue(t.current, company.id, { title: "No binary", status: "todo", assigneeAgentId: missing.id });
    const loggedOut = await createAgent(t.current, company.id, {
      adapterType: r.type,
      adapterConfig: setup(r, "not_logged_in").adapterConfig,
    });
    const issue2 = await createIssue(t.current, company.id, { title: "No login", status: "todo", assigneeAgentId: loggedOut.id });
    expect((await settled(issue1.id, 1))[0]).toMatchObject({ status: "failed", errorCode: `${r.prefix}_binary_missing` });
    expect((await settled(issue2.id, 1))[0]).toMatchObject({ status: "failed", errorCode: `${r.prefix}_auth_required` });

    const env = await t.current.post(`/api/companies/${company.id}/adapters/${r.type}/test-environment`, {
      adapterConfig: { command: `/nonexistent/${r.prefix}-agent` },
    });
    expect(env.status).toBe(200);
    expect(env.body.ok).toBe(false);
    expect(env.body.checks.map((c: { code: string }) => c.code)).toContain(`${r.prefix}_binary_missing`);
  });
});

describe("the quota breaker knows the new runtimes' credentials", () => {
  it("an API key in env, else the CLI login directory, identifies the credential", async () => {
    const { credentialIdentity } = await import("../src/runs/quota-holds.js");
    const key = (adapterType: string, env: Record<string, unknown>) =>
      credentialIdentity({ adapterType, adapterConfig: { env } }, { HOME: "/home/u" });
    expect(key("gemini_local", { GEMINI_API_KEY: { type: "secret", value: "AIza-1" } })?.kind).toBe("api_key");
    expect(key("cursor", { CURSOR_API_KEY: "key_1" })?.kind).toBe("api_key");
    const gemini = key("gemini_local", {});
    expect(gemini?.kind).toBe("cli_login");
    expect(key("gemini_local", { GEMINI_CLI_HOME: "/other" })?.fingerprint).not.toBe(gemini?.fingerprint);
    expect(key("opencode_local", {})?.kind).toBe("cli_login");
    expect(key("cursor", {})?.fingerprint).not.toBe(gemini?.fingerprint);
  });
});
