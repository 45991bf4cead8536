import type { Queryable } from "../db/database.js";
import { ISSUE_COLUMNS, type IssueRow } from "./rows.js";

/**
 * The issue execution lock: `execution_run_id` (the live run working the issue), its companions
 * `execution_agent_name_key` and `execution_locked_at`, and `checkout_run_id` (the run that checked
 * the issue out). This module is the only writer of those four columns; `test/execution-lock.test.ts`
 * fails if another file assigns one.
 *
 * Invariant: the lock names a live run or nothing. It is acquired only when free (or already ours),
 * released by compare-and-clear on the run that holds it, transferred by compare-and-set from the
 * old holder to its retry, and force-released (all four columns) when the issue is released,
 * reassigned, leaves in_progress, is cancelled or blocked by recovery.
 *
 * Statements that change other columns of the issue in the same UPDATE (a checkout, a release to
 * todo, a recovery block) embed the fragments of `lockSql`, so the lock costs no extra round trip.
 */

const LOCK_COLUMNS = ["checkout_run_id", "execution_run_id", "execution_agent_name_key", "execution_locked_at"] as const;

export const lockSql = {
  /** SET assignments dropping the whole lock, checkout included. */
  forceRelease: LOCK_COLUMNS.map((c) => `${c} = NULL`).join(", "),
  /**
   * SET assignments of a checkout by `run` (SQL expression, may be NULL: a board checkout keeps
   * the execution lock as it is) for the agent whose name key is `nameKey`.
   */
  checkout: (run: string, nameKey: string) =>
    `checkout_run_id = ${run}, execution_run_id = coalesce(${run}, execution_run_id),
     execution_agent_name_key = CASE WHEN ${run}::uuid IS NULL THEN execution_agent_name_key ELSE ${nameKey} END,
     execution_locked_at = CASE WHEN ${run}::uuid IS NULL THEN execution_locked_at ELSE now() END`,
  /**
   * A CTE body stamping the lock for runs claimed in CTE `claimed` (columns id, issue_id,
   * agent_id): only on the assignee's issue, only if free or already the run's (lazy locking).
   */
  acquireForClaimed: (claimed: string, nameKey: string) =>
    `UPDATE issues SET execution_run_id = ${claimed}.id, execution_agent_name_key = ${nameKey}, execution_locked_at = now(), updated_at = now()
       FROM ${claimed}
      WHERE ${claimed}.issue_id = issues.id AND issues.assignee_agent_id = ${claimed}.agent_id
        AND (issues.execution_run_id IS NULL OR issues.execution_run_id = ${claimed}.id)`,
};

/** The four lock columns set to NULL, for statements built from a column map (issue updates). */
export function forceReleaseColumns(): Record<string, string> {
  return Object.fromEntries(LOCK_COLUMNS.map((c) => [c, "NULL"]));
}

/** Takes the execution lock for `runId` only if no run holds it. */
export async function acquireIfFree(q: Queryable, issueId: string, runId: string, agentNameKey: string | null): Promise<void> {
  await q.query(
    `UPDATE issues SET execution_run_id = $2, execution_agent_name_key = $3, execution_locked_at = now(), updated_at = now()
      WHERE id = $1 AND execution_run_id IS NULL`,
    [issueId, runId, agentNameKey],
  );
}

/**
 * Clears the execution lock only if it still names `runId` (compare-and-clear; the checkout is
 * kept). Returns the updated issue row, or undefined when another run (or none) held it.
 */
export async function releaseIfHeldBy(q: Queryable, issueId: string, runId: string): Promise<IssueRow | undefined> {
  const [row] = await q.query<IssueRow>(
    `UPDATE issues SET execution_run_id = NULL, execution_agent_name_key = NULL, execution_locked_at = NULL, updated_at = now()
      WHERE id = $1 AND execution_run_id = $2 RETURNING ${ISSUE_COLUMNS}`,
    [issueId, runId],
  );
  return row;
}

/**
 * A run ended: under the issue row lock the caller holds (and has checked that no other run holds
 * the lock), clear the execution lock, and the checkout if it names this run.
 */
export async function releaseForEndedRun(q: Queryable, issueId: string, runId: string): Promise<void> {
  await q.query(
    `UPDATE issues SET execution_run_id = NULL, execution_agent_name_key = NULL, execution_locked_at = NULL,
            checkout_run_id = CASE WHEN checkout_run_id = $2 THEN NULL ELSE checkout_run_id END, updated_at = now()
      WHERE id = $1`,
    [issueId, runId],
  );
}

/** Moves the lock from a failed run to its scheduled retry (compare-and-set on the old holder). */
export async function transfer(q: Queryable, issueId: string, fromRunId: string, toRunId: string): Promise<void> {
  await q.query(
    `UPDATE issues SET execution_run_id = $3, execution_locked_at = now(), updated_at = now() WHERE id = $1 AND execution_run_id = $2`,
    [issueId, fromRunId, toRunId],
  );
}

/**
 * Moves the lock to a process-loss retry of `agentId`'s run: from the lost run, or taken if free,
 * and only while the agent is still the assignee.
 */
export async function transferToRetry(q: Queryable, issueId: string, fromRunId: string, toRunId: string, agentId: string): Promise<void> {
  await q.query(
    `UPDATE issues SET execution_run_id = $3, execution_agent_name_key = (SELECT name_key FROM agents WHERE id = $4),
            execution_locked_at = now(), updated_at = now()
      WHERE id = $1 AND (execution_run_id = $2 OR execution_run_id IS NULL) AND assignee_agent_id = $4`,
    [issueId, fromRunId, toRunId, agentId],
  );
}

/** The assignee's live run adopts the checkout and the execution lock (the caller checked it may). */
export async function takeOwnership(q: Queryable, issueId: string, runId: string, agentId: string): Promise<IssueRow> {
  const [row] = await q.query<IssueRow>(
    `UPDATE issues SET checkout_run_id = $2, execution_run_id = $2, execution_agent_name_key = (SELECT name_key FROM agents WHERE id = $3),
            execution_locked_at = now(), updated_at = now()
      WHERE id = $1 RETURNING ${ISSUE_COLUMNS}`,
    [issueId, runId, agentId],
  );
  return row!;
}
