import { describe, expect, it } from "vitest";
import type { Queryable } from "../src/db/database.js";
import { IDLE_TIMER_SKIP_REASON, tickTimers } from "../src/runs/timers.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { useTestServer } from "./helpers/test-server.js";

/**
 * Idle timer wakes cost nothing (docs/runs.md#idle-timer-wakes): a timer heartbeat of an agent with
 * nothing actionable is a skipped wake with its reason and starts no run; work, an unread mention
 * or `wakeWhenIdle` wake it, in a fresh session unless `resumeTimerSession`.
 *
 * Ticks are driven by hand with an advancing `now`; agents use an hour-long interval so the
 * server's own background pass (real time) never finds them due.
 */
const t = useTestServer();
const HOUR = 3600_000;

async function makeAgent(companyId: string, heartbeat: Record<string, unknown> = {}) {
  return createAgent(t.current, companyId, {
    runtimeConfig: { heartbeat: { enabled: true, intervalSec: 3600, wakeOnDemand: false, ...heartbeat } },
  });
}
const runsOf = (agentId: string) =>
  t.current.tdb.db.query<{ id: string; invocationSource: string; contextSnapshot: Record<string, unknown> }>(
    "SELECT id, invocation_source, context_snapshot FROM heartbeat_runs WHERE agent_id = $1 ORDER BY created_at",
    [agentId],
  );
const skippedOf = (agentId: string) =>
  t.current.tdb.db.query<{ source: string; reason: string; requestedByActorId: string }>(
    "SELECT source, reason, requested_by_actor_id FROM agent_wakeup_requests WHERE agent_id = $1 AND status = 'skipped' ORDER BY requested_at",
    [agentId],
  );
const tick = (now: Date) => tickTimers(t.current.tdb.db, t.current.services.engine.enqueuer, now);

describe("idle timer wakes", () => {
  it("an agent with nothing actionable starts no run over a day of hourly ticks; each tick is one skipped wake with its reason", async () => {
    const company = await createCompany(t.current);
    const agent = await makeAgent(company.id, { wakeOnDemand: true });
    // Work it cannot do: unassigned, closed, in review, and an assigned issue blocked by an open blocker.
    await createIssue(t.current, company.id, { status: "todo" });
    await createIssue(t.current, company.id, { status: "done", assigneeAgentId: agent.id });
    const blocker = await createIssue(t.current, company.id, { status: "todo" });
    const blocked = await createIssue(t.current, company.id, { status: "todo" });
    await t.current.tdb.db.query(
      "INSERT INTO issue_relations (company_id, issue_id, related_issue_id, type) VALUES ($1, $2, $3, 'blocks') ON CONFLICT DO NOTHING",
      [company.id, blocker.id, blocked.id],
    );
    await t.current.tdb.db.query("UPDATE issues SET assignee_agent_id = $2 WHERE id = $1", [blocked.id, agent.id]);
    const before = (await runsOf(agent.id)).length;

    let now = Date.now();
    for (let i = 0; i < 24; i++) {
      now += HOUR + 1000;
      const result = await tick(new Date(now));
      expect(result.idle).toBeGreaterThanOrEqual(1);
      // A second pass at the same moment finds the agent not due (its idle check is stamped).
      await tick(new Date(now));
    }
    expect((await runsOf(agent.id)).length).toBe(before);
    const skipped = await skippedOf(agent.id);
    expect(skipped).toHaveLength(24);
    expect(skipped[0]).toEqual({ source: "timer", reason: IDLE_TIMER_SKIP_REASON, requestedByActorId: "heartbeat_scheduler" });

    // The API shows them with their reason.
    const report = await t.current.get(`/api/agents/${agent.id}/wake-report`);
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    expect(report.body.skipped[0]).toMatchObject({ source: "timer", reason: IDLE_TIMER_SKIP_REASON });
  });

  it("work, an unread mention and wakeWhenIdle wake the agent; timer wakes start a fresh session unless resumeTimerSession", async () => {
    const company = await createCompany(t.current);
    const withIssue = await makeAgent(company.id);
    const mentioned = await makeAgent(company.id);
    const eager = await makeAgent(company.id, { wakeWhenIdle: true, resumeTimerSession: true });
    const idle = await makeAgent(company.id);
    // wakeOnDemand is off, so assignment and mention wakes are skipped: only the timer can wake them.
    await createIssue(t.current, company.id, { status: "todo", assigneeAgentId: withIssue.id });
    const issue = await createIssue(t.current, company.id, { status: "todo" });
    const comment = await t.current.post(`/api/issues/${issue.id}/comments`, { body: `@${mentioned.name} please look` });
    expect(comment.status, JSON.stringify(comment.body)).toBe(201);
    expect(comment.body.mentionedAgentIds ?? [mentioned.id]).toContain(mentioned.id);

    const result = await tick(new Date(Date.now() + HOUR + 1000));
    expect(result.idle).toBeGreaterThanOrEqual(1);
    for (const agent of [withIssue, mentioned, eager]) {
      const runs = (await runsOf(agent.id)).filter((r) => r.invocationSource === "timer");
      expect(runs, agent.name).toHaveLength(1);
      expect(runs[0]!.contextSnapshot.forceFreshSession, agent.name).toBe(agent === eager ? undefined : true);
    }
    expect(await runsOf(idle.id)).toEqual([]);
    expect((await skippedOf(idle.id)).map((w) => w.reason)).toEqual([IDLE_TIMER_SKIP_REASON]);
  });

  it("the idle check is set-based: 40 due agents cost the same two statements as one", async () => {
    const company = await createCompany(t.current);
    for (let i = 0; i < 40; i++) await makeAgent(company.id);
    const statements: string[] = [];
    const db = t.current.tdb.db;
    const counting: Queryable = {
      query: (sql: string, params?: unknown[]) => {
        statements.push(sql);
        return db.query(sql, params);
      },
    } as Queryable;
    const result = await tickTimers(counting, t.current.services.engine.enqueuer, new Date(Date.now() + 10 * HOUR));
    expect(result.idle).toBeGreaterThanOrEqual(40);
    expect(statements).toHaveLength(2);
  });
});
