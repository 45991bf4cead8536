import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { billedCents, normalizeBillingType, wakeStatusFor, type TerminalStatus } from "../src/runs/outcome.js";
import { buildAgentEnv } from "../src/runs/agent-env.js";

// The schema-contract tests touch the database; the rest is pure.
const t = useTestApp();

/** The environment an agent process gets, and the schema contracts of the run helpers (these touch the database). */
describe("buildAgentEnv", () => {
  const input = {
    agent: { id: "agent-1", companyId: "company-1" },
    runId: "run-1",
    apiUrl: "http://127.0.0.1:3100",
    token: "jwt-token",
    agentHome: "/home/agent-1",
  };

  it("always sets identity, API access and home; optional wake variables only when known", () => {
    const env = buildAgentEnv({ ...input, context: null });
    expect(env).toEqual({
      PAPERCLIP_AGENT_ID: "agent-1",
      PAPERCLIP_COMPANY_ID: "company-1",
      PAPERCLIP_API_URL: "http://127.0.0.1:3100",
      PAPERCLIP_RUN_ID: "run-1",
      PAPERCLIP_API_KEY: "jwt-token",
      AGENT_HOME: "/home/agent-1",
      PAPERCLIP_WAKE_PAYLOAD_JSON: expect.any(String),
    });
    expect(JSON.parse(env.PAPERCLIP_WAKE_PAYLOAD_JSON!)).toEqual({
      reason: null,
      source: null,
      issueId: null,
      taskKey: null,
      commentIds: [],
      retryReason: null,
    });
  });

  it("exposes the wake: task, reason, newest comment and a JSON summary", () => {
    const env = buildAgentEnv({
      ...input,
      context: {
        issueId: "issue-1",
        taskKey: "issue-1",
        wakeReason: "issue_commented",
        wakeSource: "automation",
        wakeCommentIds: ["c-1", "c-2"],
        commentId: "c-2",
        retryReason: "process_lost",
      },
    });
    expect(env).toMatchObject({ PAPERCLIP_TASK_ID: "issue-1", PAPERCLIP_WAKE_REASON: "issue_commented", PAPERCLIP_WAKE_COMMENT_ID: "c-2" });
    expect(JSON.parse(env.PAPERCLIP_WAKE_PAYLOAD_JSON!)).toEqual({
      reason: "issue_commented",
      source: "automation",
      issueId: "issue-1",
      taskKey: "issue-1",
      commentIds: ["c-1", "c-2"],
      retryReason: "process_lost",
    });
  });

  it("falls back to taskId and to a single comment id", () => {
    const env = buildAgentEnv({ ...input, context: { taskId: "task-9", wakeCommentId: "c-9" } });
    expect(env.PAPERCLIP_TASK_ID).toBe("task-9");
    expect(env.PAPERCLIP_WAKE_COMMENT_ID).toBe("c-9");
    expect(env).not.toHaveProperty("PAPERCLIP_WAKE_REASON");
  });

  it("merges project env underneath: it cannot override the engine's variables", () => {
    const env = buildAgentEnv({
      ...input,
      context: { wakeReason: "issue_assigned" },
      projectEnv: {
        FOO: "bar",
        PAPERCLIP_RUN_ID: "spoofed",
        PAPERCLIP_API_KEY: "stolen",
        PAPERCLIP_AGENT_ID: "other",
        AGENT_HOME: "/tmp/x",
      },
    });
    expect(env).toMatchObject({
      FOO: "bar",
      PAPERCLIP_RUN_ID: "run-1",
      PAPERCLIP_API_KEY: "jwt-token",
      PAPERCLIP_AGENT_ID: "agent-1",
      AGENT_HOME: "/home/agent-1",
      PAPERCLIP_WAKE_REASON: "issue_assigned",
    });
  });
});

describe("schema contracts of the pure helpers", () => {
  it("every wake status wakeStatusFor produces is a valid agent_wakeup_requests status", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    for (const status of ["succeeded", "failed", "cancelled", "timed_out"] as TerminalStatus[]) {
      const [row] = await t.current.tdb.db.query<{ status: string }>(
        "INSERT INTO agent_wakeup_requests (company_id, agent_id, source, status) VALUES ($1, $2, 'on_demand', $3) RETURNING status",
        [company.id, agent.id, wakeStatusFor(status)],
      );
      expect(row!.status).toBe(wakeStatusFor(status));
    }
  });

  it("every billing type normalizeBillingType produces is accepted by cost_events", async () => {
    const company = await createCompany(t.current);
    for (const input of ["api", "subscription", "credits", "fixed", "subscription_overage", "nonsense", null]) {
      const [row] = await t.current.tdb.db.query<{ billingType: string }>(
        "INSERT INTO cost_events (company_id, billing_type, cost_cents) VALUES ($1, $2, $3) RETURNING billing_type",
        [company.id, normalizeBillingType(input), billedCents(0.5, normalizeBillingType(input))],
      );
      expect(row!.billingType).toBe(normalizeBillingType(input));
    }
  });
});
