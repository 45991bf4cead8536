import type { Queryable } from "../db/database.js";
import { credentialIdentity, HOLD_COLUMNS, type ActiveQuotaHold } from "./quota-holds.js";
import { getWakeBreakerSettings } from "./breaker-settings.js";

/**
 * Read side of the wake breakers for the board (docs/runs.md#seeing-skipped-and-held-wakes):
 * quota holds that affect a company, loop incidents, and one agent's skipped and held wakes.
 * A hold recorded by another company's agent is shown without that agent or run (tenant isolation).
 */

export interface QuotaHoldView {
  id: string;
  credentialKind: string;
  /** A short hash of the credential (never the credential). */
  credentialFingerprint: string;
  adapterType: string;
  resetAt: Date;
  errorCode: string | null;
  sourceAgentId: string | null;
  sourceRunId: string | null;
  /** This company's agents that wait for the reset. */
  heldAgentIds: string[];
  /** Their queued runs waiting for the reset. */
  queuedRunCount: number;
  createdAt: Date;
  updatedAt: Date;
}

function view(hold: ActiveQuotaHold, companyId: string, heldAgentIds: string[], queuedRunCount: number): QuotaHoldView {
  const own = hold.companyId === companyId;
  return {
    id: hold.id,
    credentialKind: hold.credentialKind,
    credentialFingerprint: hold.credentialFingerprint.slice(0, 19),
    adapterType: hold.adapterType,
    resetAt: hold.resetAt,
    errorCode: hold.errorCode,
    sourceAgentId: own ? hold.sourceAgentId : null,
    sourceRunId: own ? hold.sourceRunId : null,
    heldAgentIds,
    queuedRunCount,
    createdAt: hold.createdAt,
    updatedAt: hold.updatedAt,
  };
}

async function companyFingerprints(q: Queryable, companyId: string, agentId?: string) {
  const agents = await q.query<{ id: string; adapterType: string; adapterConfig: unknown }>(
    `SELECT id, adapter_type, adapter_config FROM agents WHERE company_id = $1${agentId ? " AND id = $2" : ""}`,
    agentId ? [companyId, agentId] : [companyId],
  );
  const byFingerprint = new Map<string, string[]>();
  for (const agent of agents) {
    const identity = credentialIdentity(agent);
    if (identity) byFingerprint.set(identity.fingerprint, [...(byFingerprint.get(identity.fingerprint) ?? []), agent.id]);
  }
  return byFingerprint;
}

async function holdViews(q: Queryable, companyId: string, now: Date, agentId?: string): Promise<QuotaHoldView[]> {
  if (!(await getWakeBreakerSettings(q, companyId)).quotaBreaker.enabled) return [];
  const byFingerprint = await companyFingerprints(q, companyId, agentId);
  const holds = await q.query<ActiveQuotaHold>(
    `SELECT ${HOLD_COLUMNS} FROM provider_quota_holds
      WHERE reset_at > $1 AND (credential_fingerprint = ANY($2::text[])${agentId ? "" : " OR company_id = $3"})
      ORDER BY reset_at`,
    agentId ? [now.toISOString(), [...byFingerprint.keys()]] : [now.toISOString(), [...byFingerprint.keys()], companyId],
  );
  const heldIds = [...new Set(holds.flatMap((h) => byFingerprint.get(h.credentialFingerprint) ?? []))];
  const counts = new Map(
    (
      await q.query<{ agentId: string; n: number }>(
        "SELECT agent_id, count(*)::int AS n FROM heartbeat_runs WHERE agent_id = ANY($1::uuid[]) AND status = 'queued' GROUP BY agent_id",
        [heldIds],
      )
    ).map((r) => [r.agentId, r.n]),
  );
  return holds.map((h) => {
    const ids = byFingerprint.get(h.credentialFingerprint) ?? [];
    return view(
      h,
      companyId,
      ids,
      ids.reduce((sum, id) => sum + (counts.get(id) ?? 0), 0),
    );
  });
}

export const listQuotaHolds = (q: Queryable, companyId: string, now: Date) => holdViews(q, companyId, now);

export interface LoopIncidentView {
  id: string;
  agentId: string;
  issueId: string;
  wakeCount: number;
  maxWakes: number;
  windowMinutes: number;
  blockedWakes: number;
  lastProgressAt: Date | null;
  trippedAt: Date;
  clearedAt: Date | null;
  clearedReason: string | null;
}

const INCIDENT_COLUMNS =
  "id, agent_id, issue_id, wake_count, max_wakes, window_minutes, blocked_wakes, last_progress_at, tripped_at, cleared_at, cleared_reason";

export async function listLoopIncidents(q: Queryable, companyId: string, opts: { openOnly?: boolean; agentId?: string } = {}) {
  return q.query<LoopIncidentView>(
    `SELECT ${INCIDENT_COLUMNS} FROM wake_loop_incidents
      WHERE company_id = $1${opts.openOnly ? " AND cleared_at IS NULL" : ""}${opts.agentId ? " AND agent_id = $2" : ""}
      ORDER BY tripped_at DESC LIMIT 200`,
    opts.agentId ? [companyId, opts.agentId] : [companyId],
  );
}

export interface SkippedWakeView {
  id: string;
  source: string;
  reason: string | null;
  issueId: string | null;
  requestedAt: Date;
}

/** One agent's recent skipped wakes (newest first), its active quota holds and open loop incidents. */
export async function agentWakeReport(q: Queryable, agent: { id: string; companyId: string }, now: Date, limit = 20) {
  const skipped = await q.query<SkippedWakeView>(
    `SELECT id, source, reason, issue_id, requested_at FROM agent_wakeup_requests
      WHERE agent_id = $1 AND status = 'skipped' ORDER BY requested_at DESC, id LIMIT $2`,
    [agent.id, limit],
  );
  return {
    skipped,
    quotaHolds: await holdViews(q, agent.companyId, now, agent.id),
    loopIncidents: await listLoopIncidents(q, agent.companyId, { openOnly: true, agentId: agent.id }),
  };
}
