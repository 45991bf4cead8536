import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useTestApp, type TestApp } from "./helpers/test-app.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { promoteDueScheduledRetries, scheduleBoundedRetry } from "../src/runs/transient-retry.js";
import { CODEX_FALLBACK_MODES, TRANSIENT_RETRY_DELAYS_MS, decideTransientRetry } from "../src/runs/retry-policy.js";
import { findRun, type RunRow } from "../src/runs/rows.js";

// Bounded transient retry (docs/runs.md#transient-retry): scheduling, promotion, reassignment, cancel.
const t = useTestApp();
const NOW = new Date("2026-04-20T12:00:00.000Z");

async function failedRun(app: TestApp, agentId: string, companyId: string, fields: Record<string, unknown> = {}): Promise<RunRow> {
  const id = randomUUID();
  await app.tdb.db.query(
    `INSERT INTO heartbeat_runs (id, company_id, agent_id, invocation_source, status, error, error_code, finished_at, context_snapshot,
       issue_id, scheduled_retry_attempt, scheduled_retry_reason, result_json)
     VALUES ($1, $2, $3, 'assignment', 'failed', 'upstream overload', $4, $5, $6::jsonb, $7, $8, $9, $10::jsonb)`,
    [
      id,
      companyId,
      agentId,
      fields.errorCode ?? "adapter_failed",
      NOW.toISOString(),
      JSON.stringify(fields.context ?? { wakeReason: "issue_assigned" }),
      fields.issueId ?? null,
      fields.attempt ?? 0,
      fields.attempt ? "transient_failure" : null,
      fields.resultJson ? JSON.stringify(fields.resultJson) : null,
    ],
  );
  return (await findRun(app.tdb.db, id))!;
}

async function retryOf(app: TestApp, sourceId: string) {
  const [row] = await app.tdb.db.query<RunRow & { wakePayload: Record<string, unknown> }>(
    `SELECT r.*, w.payload AS wake_payload FROM heartbeat_runs r JOIN agent_wakeup_requests w ON w.id = r.wakeup_request_id
      WHERE r.retry_of_run_id = $1`,
    [sourceId],
  );
  return row;
}

describe("bounded transient retry policy", () => {
  it("uses 2m/10m/30m/2h with ±25% jitter, at least 1 s, r = 0.5 giving the base", () => {
    TRANSIENT_RETRY_DELAYS_MS.forEach((base, i) => {
      const mid = decideTransientRetry({ previousAttempt: i, adapterType: "process", retryNotBefore: null, now: NOW, random: () => 0.5 });
      expect(mid).toMatchObject({ outcome: "scheduled", attempt: i + 1, delayMs: base });
      const low = decideTransientRetry({ previousAttempt: i, adapterType: "process", retryNotBefore: null, now: NOW, random: () => 0 });
      const high = decideTransientRetry({ previousAttempt: i, adapterType: "process", retryNotBefore: null, now: NOW, random: () => 1 });
      expect(low.outcome === "scheduled" && low.delayMs).toBe(Math.round(base * 0.75));
      expect(high.outcome === "scheduled" && high.delayMs).toBe(Math.round(base * 1.25));
    });
    expect(decideTransientRetry({ previousAttempt: 4, adapterType: "process", retryNotBefore: null, now: NOW, random: () => 0.5 })).toEqual(
      {
        outcome: "retry_exhausted",
        attempt: 5,
        maxAttempts: 4,
      },
    );
  });

  it("lets a later retryNotBefore win and ignores an earlier one", () => {
    const later = new Date(NOW.getTime() + 45 * 60_000).toISOString();
    const earlier = new Date(NOW.getTime() + 10_000).toISOString();
    const a = decideTransientRetry({ previousAttempt: 0, adapterType: "claude_local", retryNotBefore: later, now: NOW, random: () => 0.5 });
    expect(a.outcome === "scheduled" && a.dueAt.toISOString()).toBe(later);
    const b = decideTransientRetry({
      previousAttempt: 0,
      adapterType: "claude_local",
      retryNotBefore: earlier,
      now: NOW,
      random: () => 0.5,
    });
    expect(b.outcome === "scheduled" && b.delayMs).toBe(TRANSIENT_RETRY_DELAYS_MS[0]);
  });
});

describe("scheduling and promotion", () => {
  it("schedules a retry with durable metadata and only promotes it when due", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterType: "codex_local", adapterConfig: {} });
    const source = await failedRun(t.current, agent.id, company.id, { context: { issueId: randomUUID(), wakeReason: "issue_assigned" } });
    const scheduled = await scheduleBoundedRetry(t.current.tdb.db, source, { now: NOW, random: () => 0.5 });
    expect(scheduled.outcome).toBe("scheduled");
    if (scheduled.outcome !== "scheduled") return;
    const dueAt = new Date(NOW.getTime() + TRANSIENT_RETRY_DELAYS_MS[0]!);
    expect(scheduled.attempt).toBe(1);
    expect(scheduled.dueAt.toISOString()).toBe(dueAt.toISOString());
    const retry = await retryOf(t.current, source.id);
    expect(retry).toMatchObject({
      status: "scheduled_retry",
      retryOfRunId: source.id,
      scheduledRetryAttempt: 1,
      scheduledRetryReason: "transient_failure",
    });
    expect(new Date(retry!.scheduledRetryAt as string).toISOString()).toBe(dueAt.toISOString());

    expect(await promoteDueScheduledRetries(t.current.tdb.db, new Date("2026-04-20T12:01:59.000Z"))).toEqual({ promoted: 0, runIds: [] });
    expect((await findRun(t.current.tdb.db, scheduled.run.id))!.status).toBe("scheduled_retry");
    expect(await promoteDueScheduledRetries(t.current.tdb.db, dueAt)).toEqual({ promoted: 1, runIds: [scheduled.run.id] });
    expect((await findRun(t.current.tdb.db, scheduled.run.id))!.status).toBe("queued");
  });

  it("does not defer a new assignee behind the previous assignee's scheduled retry", async () => {
    const company = await createCompany(t.current);
    const oldAgent = await createAgent(t.current, company.id);
    const newAgent = await createAgent(t.current, company.id);
    const issue = await createIssue(t.current, company.id, { status: "todo" });
    await t.current.tdb.db.query("UPDATE issues SET assignee_agent_id = $2 WHERE id = $1", [issue.id, oldAgent.id]);
    const source = await failedRun(t.current, oldAgent.id, company.id, {
      issueId: issue.id,
      context: { issueId: issue.id, wakeReason: "issue_assigned" },
    });
    await t.current.tdb.db.query("UPDATE issues SET execution_run_id = $2 WHERE id = $1", [issue.id, source.id]);
    const scheduled = await scheduleBoundedRetry(t.current.tdb.db, source, { now: NOW, random: () => 0.5 });
    expect(scheduled.outcome).toBe("scheduled");
    if (scheduled.outcome !== "scheduled") return;
    const locked = await t.current.get(`/api/issues/${issue.id}`);
    expect(locked.body.executionRunId).toBe(scheduled.run.id); // the lock moved to the retry

    const patched = await t.current.patch(`/api/issues/${issue.id}`, { assigneeAgentId: newAgent.id });
    expect(patched.status).toBe(200);
    const newRuns = await t.current.tdb.db.query<{ status: string }>("SELECT status FROM heartbeat_runs WHERE agent_id = $1", [
      newAgent.id,
    ]);
    expect(newRuns.map((r) => r.status)).toEqual(["queued"]);
    const old = (await findRun(t.current.tdb.db, scheduled.run.id))!;
    expect({ status: old.status, errorCode: old.errorCode }).toEqual({ status: "cancelled", errorCode: "issue_reassigned" });
    const deferred = await t.current.tdb.db.query(
      "SELECT id FROM agent_wakeup_requests WHERE status = 'deferred_issue_execution' AND issue_id = $1",
      [issue.id],
    );
    expect(deferred).toHaveLength(0);
  });

  for (const [label, change, code] of [
    ["ownership changes", "UPDATE issues SET assignee_agent_id = $2 WHERE id = $1", "issue_reassigned"],
    ["the issue is cancelled", "UPDATE issues SET status = 'cancelled' WHERE id = $1 AND $2::uuid IS NOT NULL", "issue_cancelled"],
  ] as const) {
    it(`does not promote a scheduled retry after ${label}`, async () => {
      const company = await createCompany(t.current);
      const agent = await createAgent(t.current, company.id);
      const other = await createAgent(t.current, company.id);
      const issue = await createIssue(t.current, company.id, { status: "todo" });
      await t.current.tdb.db.query("UPDATE issues SET assignee_agent_id = $2 WHERE id = $1", [issue.id, agent.id]);
      const source = await failedRun(t.current, agent.id, company.id, { issueId: issue.id, context: { issueId: issue.id } });
      await t.current.tdb.db.query("UPDATE issues SET execution_run_id = $2 WHERE id = $1", [issue.id, source.id]);
      const scheduled = await scheduleBoundedRetry(t.current.tdb.db, source, { now: NOW, random: () => 0.5 });
      if (scheduled.outcome !== "scheduled") throw new Error("not scheduled");
      await t.current.tdb.db.query(change, [issue.id, other.id]);
      expect(await promoteDueScheduledRetries(t.current.tdb.db, scheduled.dueAt)).toEqual({ promoted: 0, runIds: [] });
      const old = (await findRun(t.current.tdb.db, scheduled.run.id))!;
      expect({ status: old.status, errorCode: old.errorCode }).toEqual({ status: "cancelled", errorCode: code });
      const [wake] = await t.current.tdb.db.query<{ status: string }>("SELECT status FROM agent_wakeup_requests WHERE id = $1", [
        old.wakeupRequestId,
      ]);
      expect(wake!.status).toBe("cancelled");
      const [row] = await t.current.tdb.db.query<{ executionRunId: string | null }>("SELECT execution_run_id FROM issues WHERE id = $1", [
        issue.id,
      ]);
      expect(row!.executionRunId).toBeNull();
    });
  }

  it("exhausts bounded retries after the hard cap", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const source = await failedRun(t.current, agent.id, company.id, {
      attempt: TRANSIENT_RETRY_DELAYS_MS.length,
      context: { wakeReason: "transient_failure_retry" },
    });
    const result = await scheduleBoundedRetry(t.current.tdb.db, source, { now: NOW, random: () => 0.5 });
    expect(result).toEqual({ outcome: "retry_exhausted", attempt: 5, maxAttempts: 4 });
    const runs = await t.current.tdb.db.query("SELECT id FROM heartbeat_runs WHERE company_id = $1", [company.id]);
    expect(runs).toHaveLength(1);
    const [event] = await t.current.tdb.db.query<{ message: string; payload: Record<string, unknown> }>(
      "SELECT message, payload FROM heartbeat_run_events WHERE run_id = $1 ORDER BY id DESC LIMIT 1",
      [source.id],
    );
    expect(event!.message).toContain("Bounded retry exhausted");
    expect(event!.payload).toMatchObject({ retryReason: "transient_failure", scheduledRetryAttempt: 4, maxAttempts: 4 });
  });

  it("advances codex transient fallback stages across bounded retry attempts", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterType: "codex_local", adapterConfig: {} });
    for (let attempt = 0; attempt < CODEX_FALLBACK_MODES.length; attempt++) {
      const source = await failedRun(t.current, agent.id, company.id, { attempt, errorCode: "codex_transient_upstream" });
      const scheduled = await scheduleBoundedRetry(t.current.tdb.db, source, { now: NOW, random: () => 0.5 });
      expect(scheduled.outcome).toBe("scheduled");
      const retry = await retryOf(t.current, source.id);
      expect(retry!.contextSnapshot?.codexTransientFallbackMode).toBe(CODEX_FALLBACK_MODES[attempt]);
      expect(retry!.wakePayload.codexTransientFallbackMode).toBe(CODEX_FALLBACK_MODES[attempt]);
    }
  });

  for (const [adapterType, errorCode] of [
    ["codex_local", "codex_transient_upstream"],
    ["claude_local", "claude_transient_upstream"],
  ] as const) {
    it(`honors ${adapterType} retry-not-before timestamps beyond the default backoff`, async () => {
      const company = await createCompany(t.current);
      const agent = await createAgent(t.current, company.id, { adapterType, adapterConfig: {} });
      const notBefore = new Date(NOW.getTime() + 90 * 60_000);
      const source = await failedRun(t.current, agent.id, company.id, {
        errorCode,
        resultJson: { errorFamily: "transient_upstream", retryNotBefore: notBefore.toISOString() },
      });
      const scheduled = await scheduleBoundedRetry(t.current.tdb.db, source, { now: NOW, random: () => 0.5 });
      expect(scheduled.outcome === "scheduled" && scheduled.dueAt.getTime()).toBe(notBefore.getTime());
      const retry = await retryOf(t.current, source.id);
      expect(new Date(retry!.scheduledRetryAt as string).getTime()).toBe(notBefore.getTime());
      expect(retry!.contextSnapshot?.transientRetryNotBefore).toBe(notBefore.toISOString());
      expect(retry!.wakePayload.transientRetryNotBefore).toBe(notBefore.toISOString());
      expect(retry!.contextSnapshot?.codexTransientFallbackMode ?? null).toBe(adapterType === "codex_local" ? "same_session" : null);
    });
  }
});
