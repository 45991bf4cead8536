import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { createAgent as createAgentFixture } from "./fixtures.js";
import type { TestApp } from "./test-app.js";

/** Shared setup of the issue API tests (issues-create, issues-detail, issues-update). */

/**
 * Agents here never run: these tests are about the issue API, and a woken agent's run may check an
 * issue out, lock it or comment on it while a test is looking. Assignment wakes are still
 * requested, and skipped (`heartbeat.wakeOnDemand.disabled`).
 */
export function createAgent(app: TestApp, companyId: string, body: Record<string, unknown> = {}) {
  return createAgentFixture(app, companyId, { runtimeConfig: { heartbeat: { wakeOnDemand: false } }, ...body });
}

export const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

export const NO_LOCKS = { checkoutRunId: null, executionRunId: null, executionAgentNameKey: null, executionLockedAt: null };

export type Activity = { action: string; actorType: string; actorId: string; agentId: string | null; details: any; entityId: string };

/** Calls that assert success, bound to the file's test app. */
export function issueApi(t: { current: TestApp }) {
  async function activityOf(issueId: string): Promise<Activity[]> {
    const res = await t.current.get(`/api/issues/${issueId}/activity`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as Activity[];
  }

  async function updatesOf(issueId: string): Promise<Activity[]> {
    return (await activityOf(issueId)).filter((a) => a.action === "issue.updated");
  }

  async function patchOk(ref: string, body: Record<string, unknown>, token?: string) {
    const res = await t.current.patch(`/api/issues/${ref}`, body, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  async function getIssue(ref: string) {
    const res = await t.current.get(`/api/issues/${ref}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  /** Simulates a run holding the issue: the four execution-lock columns, set directly. */
  async function lockIssue(issueId: string) {
    const checkoutRunId = randomUUID();
    const executionRunId = randomUUID();
    await t.current.tdb.db.query(
      `UPDATE issues SET checkout_run_id = $2, execution_run_id = $3, execution_agent_name_key = 'echo bot',
         execution_locked_at = now() WHERE id = $1`,
      [issueId, checkoutRunId, executionRunId],
    );
    return { checkoutRunId, executionRunId };
  }

  async function lockColumns(issueId: string) {
    const [row] = await t.current.tdb.db.query<Record<string, unknown>>(
      "SELECT checkout_run_id, execution_run_id, execution_agent_name_key, execution_locked_at FROM issues WHERE id = $1",
      [issueId],
    );
    return row!;
  }

  return { activityOf, updatesOf, patchOk, getIssue, lockIssue, lockColumns };
}
