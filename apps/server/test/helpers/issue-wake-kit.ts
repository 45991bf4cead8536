import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect } from "vitest";
import { useTestServer, waitFor } from "./test-server.js";
import { createAgent, createIssue } from "./fixtures.js";

/**
 * Shared setup of the issue-wake tests (runs-issue-wakes-changes, runs-issue-wakes-comments,
 * runs-issue-deferral): a listening test server whose engine runs /bin/sh process agents, and
 * readers of the run, wake and issue rows those tests assert on.
 */

export const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];

export interface RunDbRow {
  id: string;
  agentId: string;
  status: string;
  issueId: string | null;
  invocationSource: string;
  errorCode: string | null;
  wakeupRequestId: string | null;
  contextSnapshot: Record<string, any> | null;
}
const RUN_SELECT =
  "SELECT id, agent_id, status, issue_id, invocation_source, error_code, wakeup_request_id, context_snapshot FROM heartbeat_runs";

export interface WakeDbRow {
  id: string;
  agentId: string;
  source: string;
  reason: string | null;
  status: string;
  issueId: string | null;
  runId: string | null;
  coalescedCount: number;
  requestedByActorType: string | null;
  payload: Record<string, any> | null;
}
const WAKE_SELECT = `SELECT id, agent_id, source, reason, status, issue_id, run_id, coalesced_count, requested_by_actor_type, payload
  FROM agent_wakeup_requests`;

/** Starts the file's server (in a top-level call: it registers the file's hooks) and binds the helpers to it. */
export function useIssueWakeServer() {
  // These tests pin the plain wake semantics (docs/runs.md#wakeups-and-coalescing, #mutation-wakes);
  // the recovery behaviours (missing-comment retries, immediate recovery, continuations, the
  // reconciliation pass) would add
  // runs of their own, so they are switched off here and tested in the recovery-*.test.ts files.
  const t = useTestServer({
    runtime: { recovery: { missingComment: false, immediateRecovery: false, livenessContinuation: false, strandedReconciliation: false } },
  });
  const db = () => t.current.tdb.db;

  /**
   * Gated runs: a gated agent's run waits (bounded, ~20 s) until the test creates a file named after
   * the run id, so a test decides exactly when each run ends without timing guesses.
   */
  const gateDir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-gates-"));
  afterAll(() => fs.rmSync(gateDir, { recursive: true, force: true }));
  const GATED_SCRIPT = `i=0; while [ ! -e "${gateDir}/$PAPERCLIP_RUN_ID" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; echo finished`;
  const openGate = (runId: string) => fs.writeFileSync(path.join(gateDir, runId), "");

  let nameCounter = 0;
  async function agentWith(companyId: string, script: string, extra: Record<string, unknown> = {}) {
    return createAgent(t.current, companyId, {
      name: `Worker${++nameCounter}x${Math.random().toString(36).slice(2, 6)}`,
      adapterConfig: { command: "/bin/sh", args: ["-c", script], timeoutSec: 60, graceSec: 1 },
      ...extra,
    });
  }
  const quickAgent = (companyId: string, extra: Record<string, unknown> = {}) => agentWith(companyId, "echo ok", extra);
  const gatedAgent = (companyId: string, extra: Record<string, unknown> = {}) => agentWith(companyId, GATED_SCRIPT, extra);

  async function runRow(id: string): Promise<RunDbRow> {
    const [row] = await db().query<RunDbRow>(`${RUN_SELECT} WHERE id = $1`, [id]);
    expect(row, `run ${id}`).toBeDefined();
    return row!;
  }
  const runsOfAgent = (agentId: string) => db().query<RunDbRow>(`${RUN_SELECT} WHERE agent_id = $1 ORDER BY created_at, id`, [agentId]);
  const runsOfIssue = (issueId: string) => db().query<RunDbRow>(`${RUN_SELECT} WHERE issue_id = $1 ORDER BY created_at, id`, [issueId]);

  const wakesOf = (agentId: string) => db().query<WakeDbRow>(`${WAKE_SELECT} WHERE agent_id = $1 ORDER BY requested_at, id`, [agentId]);
  async function wakeRow(id: string): Promise<WakeDbRow> {
    const [row] = await db().query<WakeDbRow>(`${WAKE_SELECT} WHERE id = $1`, [id]);
    expect(row, `wake ${id}`).toBeDefined();
    return row!;
  }

  async function issueRow(id: string) {
    const [row] = await db().query<{
      status: string;
      assigneeAgentId: string | null;
      executionRunId: string | null;
      executionAgentNameKey: string | null;
      checkoutRunId: string | null;
    }>("SELECT status, assignee_agent_id, execution_run_id, execution_agent_name_key, checkout_run_id FROM issues WHERE id = $1", [id]);
    return row!;
  }

  async function nameKeyOf(agentId: string): Promise<string> {
    const [row] = await db().query<{ nameKey: string }>("SELECT name_key FROM agents WHERE id = $1", [agentId]);
    return row!.nameKey;
  }

  async function waitForRunStatus(runId: string, statuses: string[]): Promise<RunDbRow> {
    return waitFor(
      `run ${runId} ${statuses.join("/")}`,
      async () => {
        const row = await runRow(runId);
        return statuses.includes(row.status) ? row : null;
      },
      25_000,
    );
  }

  /** Waits until the agent has a run matching `pick`, returns it. */
  async function waitForAgentRun(agentId: string, what: string, pick: (r: RunDbRow) => boolean): Promise<RunDbRow> {
    return waitFor(what, async () => (await runsOfAgent(agentId)).find(pick) ?? null, 25_000);
  }

  /** The agent's only wake row with `reason` (asserts there is exactly one). */
  async function onlyWake(agentId: string, reason: string): Promise<WakeDbRow> {
    const rows = (await wakesOf(agentId)).filter((w) => w.reason === reason);
    expect(rows, `${reason} wakes of ${agentId}`).toHaveLength(1);
    return rows[0]!;
  }

  /** Creates an issue assigned to `agentId` and waits for its assignment run to finish (the agent is quick). */
  async function assignedIssueSettled(companyId: string, agentId: string, body: Record<string, unknown> = {}) {
    const issue = await createIssue(t.current, companyId, { assigneeAgentId: agentId, ...body });
    const run = await waitForAgentRun(agentId, "assignment run", (r) => r.issueId === issue.id);
    const done = await waitForRunStatus(run.id, TERMINAL);
    expect(done.status).toBe("succeeded");
    return issue;
  }

  async function comment(issueId: string, body: string, options: { token?: string; runId?: string } = {}) {
    const res = await t.current.post(`/api/issues/${issueId}/comments`, { body }, options);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; [k: string]: any };
  }

  async function patchIssue(issueId: string, body: Record<string, unknown>) {
    const res = await t.current.patch(`/api/issues/${issueId}`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  /** A live run of the agent's own, inserted directly (with a lease so the reaper leaves it alone). */
  async function insertLiveRun(companyId: string, agentId: string): Promise<string> {
    const [row] = await db().query<{ id: string }>(
      `INSERT INTO heartbeat_runs (company_id, agent_id, status, started_at, lease_owner, lease_expires_at)
       VALUES ($1, $2, 'running', now(), 'test-holder', now() + interval '1 hour') RETURNING id`,
      [companyId, agentId],
    );
    return row!.id;
  }

  return {
    t,
    db,
    openGate,
    quickAgent,
    gatedAgent,
    runRow,
    runsOfAgent,
    runsOfIssue,
    wakesOf,
    wakeRow,
    issueRow,
    nameKeyOf,
    waitForRunStatus,
    waitForAgentRun,
    onlyWake,
    assignedIssueSettled,
    comment,
    patchIssue,
    insertLiveRun,
  };
}
