import { FAILED_RUN_STATUSES } from "@staple/contracts";
import type { Queryable } from "../db/database.js";

/**
 * Execution environments and their per-run leases (docs/runs.md#environment-leases). Every company
 * has one `local` environment (created on first use); each run holds an `ephemeral` lease on it
 * while it executes. At the end the lease is `released`, or `failed` when the run failed or timed
 * out; a reaped (process-lost) run's lease is `failed` too. Each change writes its activity row in
 * the same statement.
 *
 * `localLeaseCtes`: CTEs that give the run an `ephemeral` lease on its company's `local` environment, for a statement
 * whose parameters `p` name the company, run, agent and issue (uuid, uuid, text, uuid or null). The
 * executing server adds them to the run's "run started" statement (prepare-run.ts), so the lease
 * costs no statement of its own.
 *
 * The environment is read first and created only when missing: the common path inserts nothing.
 * Two first runs of a company racing to create it meet on the unique index; the loser's no-op
 * `DO UPDATE` returns the winner's row, which its snapshot could not see (`DO NOTHING` returned
 * nothing there, and that run went without a lease).
 */
export function localLeaseCtes(p: { company: string; run: string; agent: string; issue: string }): string {
  return `env_found AS (
       SELECT id FROM environments WHERE company_id = ${p.company} AND driver = 'local' AND status = 'active' LIMIT 1
     ), env_created AS (
       INSERT INTO environments (company_id, name, driver)
       SELECT ${p.company}, 'Local', 'local' WHERE NOT EXISTS (SELECT 1 FROM env_found)
       ON CONFLICT (company_id) WHERE driver = 'local' AND status = 'active' DO UPDATE SET status = environments.status
       RETURNING id
     ), env AS (
       SELECT id FROM env_found UNION ALL SELECT id FROM env_created LIMIT 1
     ), lease AS (
       INSERT INTO environment_leases (company_id, environment_id, issue_id, heartbeat_run_id, status, lease_policy, provider)
       SELECT ${p.company}, env.id, ${p.issue}, ${p.run}, 'active', 'ephemeral', 'local' FROM env RETURNING id, environment_id
     ), lease_activity AS (
       INSERT INTO activity_log (company_id, actor_type, actor_id, action, entity_type, entity_id, agent_id, run_id, details)
       SELECT ${p.company}, 'agent', ${p.agent}, 'environment.lease_acquired', 'environment_lease', lease.id::text, ${p.agent}::uuid, ${p.run},
              jsonb_build_object('driver', 'local', 'environmentId', lease.environment_id, 'issueId', ${p.issue}, 'leasePolicy', 'ephemeral')
         FROM lease
     )`;
}

/**
 * How a run's leases end, as releaseLeasesCtes's status and reason: `failed` with the run's failure
 * reason when the run failed or timed out, else `released` with none.
 */
export function leaseEnd(runStatus: string, failureReason: string | null): [status: "failed" | "released", reason: string | null] {
  return (FAILED_RUN_STATUSES as readonly string[]).includes(runStatus) ? ["failed", failureReason] : ["released", null];
}

/**
 * CTEs that end the run's active leases, each with its activity row, for a statement whose
 * parameters `p` name the run, company, the leases' end status and reason (leaseEnd) and the agent (uuid, uuid, text, text, text). The finalization adds them to the statement
 * that settles the agent's status (finalize/agent-status.ts).
 */
export function releaseLeasesCtes(p: { run: string; company: string; status: string; reason: string; agent: string }): string {
  return `leases_ended AS (
       UPDATE environment_leases SET status = ${p.status}, released_at = now(), failure_reason = ${p.reason}, updated_at = now()
        WHERE heartbeat_run_id = ${p.run} AND status = 'active' RETURNING id, environment_id, issue_id
     ), leases_activity AS (
       INSERT INTO activity_log (company_id, actor_type, actor_id, action, entity_type, entity_id, agent_id, run_id, details)
       SELECT ${p.company}, 'agent', ${p.agent}, 'environment.lease_released', 'environment_lease', e.id::text, ${p.agent}::uuid, ${p.run},
              jsonb_build_object('driver', 'local', 'status', ${p.status}, 'environmentId', e.environment_id, 'issueId', e.issue_id,
                                 'failureReason', ${p.reason})
         FROM leases_ended e
     )`;
}

/** Ends the run's active leases (a cancel outside the finalization). */
export async function releaseRunLeases(
  q: Queryable,
  run: { id: string; companyId: string; agentId: string },
  runStatus: string,
  failureReason: string | null,
): Promise<void> {
  await q.query(
    `WITH ${releaseLeasesCtes({ run: "$1::uuid", company: "$2::uuid", status: "$3::text", reason: "$4::text", agent: "$5::text" })} SELECT 1`,
    [run.id, run.companyId, ...leaseEnd(runStatus, failureReason), run.agentId],
  );
}
