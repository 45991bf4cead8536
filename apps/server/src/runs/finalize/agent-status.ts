import { CLEAN_END_RUN_STATUSES, FAILED_RUN_STATUSES, type AgentStatus } from "@staple/contracts";
import { sqlList } from "../../db/sql-list.js";
import { invokableAgentSql } from "../../db/predicates.js";
import type { Queryable } from "../../db/database.js";
import type { FinalizeStep } from "./pipeline.js";
import { leaseEnd, releaseLeasesCtes } from "../environment-leases.js";

/**
 * The agent's status after one of its runs ended (docs/runs.md#agent-status-after-a-run): untouched
 * when paused or terminated; `running` while another run of it is running; otherwise `idle` after a
 * success or cancel and `error` after a failure or timeout. One statement, so concurrent finishes
 * agree. It also says whether the agent has queued runs, so that a finish with nothing left to
 * start pokes no claim pass.
 */
export async function settleAgentStatus(
  q: Queryable,
  agentId: string,
  lastOutcome: string,
  release?: { run: { id: string; companyId: string; agentId: string }; runStatus: string; failureReason: string | null },
): Promise<{ status: AgentStatus; companyId: string; hasQueued: boolean } | undefined> {
  // The run's environment leases end in the same statement (environment-leases.ts).
  const leases = release
    ? `WITH ${releaseLeasesCtes({ run: "$4::uuid", company: "$5::uuid", status: "$6::text", reason: "$7::text", agent: "$8::text" })} `
    : "";
  const [row] = await q.query<{ status: AgentStatus; companyId: string; hasQueued: boolean }>(
    `${leases}UPDATE agents a SET status = CASE
         WHEN EXISTS (SELECT 1 FROM heartbeat_runs r WHERE r.agent_id = a.id AND r.status = 'running') THEN 'running'
         WHEN $2 IN ${sqlList(CLEAN_END_RUN_STATUSES)} THEN 'idle' ELSE 'error' END,
       error_reason = CASE WHEN $2 IN ${sqlList(FAILED_RUN_STATUSES)} THEN $3 ELSE NULL END,
       last_heartbeat_at = now(), updated_at = now()
      WHERE a.id = $1 AND ${invokableAgentSql("a")}
      RETURNING a.status, a.company_id,
        EXISTS (SELECT 1 FROM heartbeat_runs r WHERE r.agent_id = a.id AND r.status = 'queued') AS has_queued`,
    [
      agentId,
      lastOutcome,
      `Last run ${lastOutcome}`,
      ...(release
        ? [release.run.id, release.run.companyId, ...leaseEnd(release.runStatus, release.failureReason), release.run.agentId]
        : []),
    ],
  );
  return row;
}

export const agentStatusStep: FinalizeStep = {
  name: "finalize_agent_status",
  onlyIfTransitioned: false,
  async run(ctx) {
    // The run's environment leases end here too when this finalization made it terminal (a cancel
    // that got there first released them itself).
    const run = ctx.transitioned ? ctx.finalRun : null;
    const settled = await settleAgentStatus(
      ctx.q,
      ctx.agent.id,
      ctx.finalRun?.status ?? ctx.outcome.status,
      run ? { run, runStatus: run.status, failureReason: run.errorCode } : undefined,
    );
    ctx.agentStatus = settled?.status;
    // The agent's next run, if one is queued. Without one, the claim pass would only find nothing
    // (claim.ts checks first): a run queued after this statement sends its own poke when it
    // commits. A paused or terminated agent (no row) is poked as before; the claim settles its runs.
    if (!settled || settled.hasQueued) ctx.pokes.add(ctx.agent.id);
  },
};
