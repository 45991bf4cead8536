import { expect } from "vitest";
import { useTestServer, waitFor, type TestServer } from "./test-server.js";
import { TEST_JWT_SECRET } from "./test-app.js";
import { signAgentJwt } from "../../src/auth/agent-jwt.js";

/**
 * Shared setup of the run control tests (runs-cancel-shutdown, runs-checkout-locks,
 * runs-live-events): cancellation (docs/runs.md#cancellation), pause/terminate, checkout and
 * execution locks (docs/issues.md#checkout, #the-execution-lock), graceful shutdown and the live
 * event streams, against a listening test server whose run engine spawns real process agents.
 */

export const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];
export const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

/** Sleeps 30 s when woken with reason "long" or for an assignment, else finishes at once. */
export const SLEEPER = {
  command: "/bin/sh",
  args: ["-c", 'case "$PAPERCLIP_WAKE_REASON" in long|issue_assigned) sleep 30;; esac; echo quick-run'],
  graceSec: 1,
};

export async function wake(app: TestServer, agentId: string, body: Record<string, unknown> = {}) {
  const res = await app.post(`/api/agents/${agentId}/wakeup`, { source: "on_demand", reason: "test", ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body.id, JSON.stringify(res.body)).toBeTruthy();
  return res.body as { id: string; status: string; wakeupRequestId: string; [k: string]: any };
}

export const jwtFor = (agent: { id: string; companyId: string }, runId: string) =>
  signAgentJwt({ agentId: agent.id, companyId: agent.companyId, adapterType: "process", runId }, TEST_JWT_SECRET, 3600);

/** Starts the file's server (in a top-level call: it registers the file's hooks) and binds the helpers to it. */
export function useRunControlServer() {
  const t = useTestServer();

  async function getRun(runId: string, app: TestServer = t.current) {
    const res = await app.get(`/api/heartbeat-runs/${runId}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as Record<string, any>;
  }

  async function waitRunDone(runId: string, app: TestServer = t.current, timeoutMs = 20_000) {
    return waitFor(
      `run ${runId} terminal`,
      async () => {
        const run = await getRun(runId, app);
        return TERMINAL.includes(run.status) ? run : null;
      },
      timeoutMs,
    );
  }

  async function waitRunning(runId: string, app: TestServer = t.current) {
    return waitFor(`run ${runId} running with a process group`, async () => {
      const run = await getRun(runId, app);
      if (TERMINAL.includes(run.status)) throw new Error(`run ended early: ${JSON.stringify(run)}`);
      return run.status === "running" && run.processGroupId ? run : null;
    });
  }

  async function wakeStatus(wakeupRequestId: string, app: TestServer = t.current) {
    const [row] = await app.tdb.db.query<{ status: string }>("SELECT status FROM agent_wakeup_requests WHERE id = $1", [wakeupRequestId]);
    return row?.status;
  }

  /**
   * A run row in `status`, as if this server were executing it (lease owned by the engine, far in
   * the future, so the reaper leaves it alone). Used where a test needs "a live run" without a process.
   */
  async function insertRun(companyId: string, agentId: string, status: "running" | "failed" | "succeeded"): Promise<string> {
    const live = status === "running";
    const [row] = await t.current.tdb.db.query<{ id: string }>(
      `INSERT INTO heartbeat_runs (company_id, agent_id, status, started_at, finished_at, lease_owner, lease_expires_at)
       VALUES ($1, $2, $3, now(), ${live ? "NULL" : "now()"}, $4, ${live ? "now() + interval '1 hour'" : "NULL"}) RETURNING id`,
      [companyId, agentId, status, live ? t.current.services.engine.resources.instanceId : null],
    );
    return row!.id;
  }

  async function issueRow(issueId: string) {
    const [row] = await t.current.tdb.db.query<Record<string, any>>(
      `SELECT status, assignee_agent_id, checkout_run_id, execution_run_id, execution_agent_name_key, execution_locked_at
         FROM issues WHERE id = $1`,
      [issueId],
    );
    return row!;
  }

  /** Puts an issue into a lock state directly (the seed-003 fixtures). */
  async function setIssueLocks(
    issueId: string,
    f: {
      status: string;
      assigneeAgentId: string | null;
      checkoutRunId: string | null;
      executionRunId: string | null;
      nameKey?: string | null;
    },
  ) {
    await t.current.tdb.db.query(
      `UPDATE issues SET status = $2, assignee_agent_id = $3, checkout_run_id = $4, execution_run_id = $5,
              execution_agent_name_key = $6, execution_locked_at = CASE WHEN $5::uuid IS NULL THEN NULL ELSE now() END
        WHERE id = $1`,
      [issueId, f.status, f.assigneeAgentId, f.checkoutRunId, f.executionRunId, f.executionRunId ? (f.nameKey ?? "someone") : null],
    );
  }

  return { t, getRun, waitRunDone, waitRunning, wakeStatus, insertRun, issueRow, setIssueLocks };
}
