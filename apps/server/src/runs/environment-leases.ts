import { FAILED_RUN_STATUSES } from "@staple/contracts";
import type { Queryable } from "../db/database.js";

/**
 * Execution environments and their per-run leases (docs/runs.md#environment-leases). Every company
 * has one `local` environment (created on first use); each run holds an `ephemeral` lease on it
 * while it executes. At the end the lease is `released`, or `failed` when the run failed or timed
 * out; a reaped (process-lost) run's lease is `failed` too. Each change writes its activity row in
 * the same statement.
 */
export async function acquireLocalLease(
  q: Queryable,
  run: { id: string; companyId: string; agentId: string; issueId: string | null },
): Promise<void> {
  await q.query(
    `WITH created AS (
       INSERT INTO environments (company_id, name, driver) VALUES ($1, 'Local', 'local')
       ON CONFLICT (company_id) WHERE driver = 'local' AND status = 'active' DO NOTHING RETURNING id
     ), env AS (
       SELECT id FROM created
       UNION ALL
       SELECT id FROM environments WHERE company_id = $1 AND driver = 'local' AND status = 'active'
       LIMIT 1
     ), lease AS (
       INSERT INTO environment_leases (company_id, environment_id, issue_id, heartbeat_run_id, status, lease_policy, provider)
       SELECT $1, env.id, $4, $2, 'active', 'ephemeral', 'local' FROM env RETURNING id, environment_id
     )
     INSERT INTO activity_log (company_id, actor_type, actor_id, action, entity_type, entity_id, agent_id, run_id, details)
     SELECT $1, 'agent', $3::text, 'environment.lease_acquired', 'environment_lease', lease.id::text, $3::text::uuid, $2,
            jsonb_build_object('driver', 'local', 'environmentId', lease.environment_id, 'issueId', $4::uuid, 'leasePolicy', 'ephemeral')
       FROM lease`,
    [run.companyId, run.id, run.agentId, run.issueId],
  );
}

/** Ends the run's active leases: `failed` when the run failed or timed out, else `released`. */
export async function releaseRunLeases(
  q: Queryable,
  run: { id: string; companyId: string; agentId: string },
  runStatus: string,
  failureReason: string | null,
): Promise<void> {
  const failed = (FAILED_RUN_STATUSES as readonly string[]).includes(runStatus);
  await q.query(
    `WITH ended AS (
       UPDATE environment_leases SET status = $3, released_at = now(), failure_reason = $4, updated_at = now()
        WHERE heartbeat_run_id = $1 AND status = 'active' RETURNING id, environment_id, issue_id
     )
     INSERT INTO activity_log (company_id, actor_type, actor_id, action, entity_type, entity_id, agent_id, run_id, details)
     SELECT $2, 'agent', $5::text, 'environment.lease_released', 'environment_lease', ended.id::text, $5::text::uuid, $1,
            jsonb_build_object('driver', 'local', 'status', $3::text, 'environmentId', ended.environment_id, 'issueId', ended.issue_id,
                               'failureReason', $4::text)
       FROM ended`,
    [run.id, run.companyId, failed ? "failed" : "released", failed ? failureReason : null, run.agentId],
  );
}
