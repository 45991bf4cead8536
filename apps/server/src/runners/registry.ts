import type { Queryable } from "../db/database.js";
import { notFound, unauthenticated, validationError } from "../errors.js";
import type { RunnerPrincipal } from "./tokens.js";

/** A label: what agents bind to (`runtimeConfig.runner`). Lower case, 1–32 characters. */
export const RUNNER_LABEL_RE = /^[a-z0-9][a-z0-9._-]{0,31}$/;
export const MAX_RUNNER_LABELS = 32;
/** A runner missing this many heartbeats is `offline`. */
export const OFFLINE_AFTER_HEARTBEATS = 3;

export interface RunnerRow {
  id: string;
  tokenId: string;
  companyId: string | null;
  name: string;
  hostname: string | null;
  labels: string[];
  adapterTypes: string[];
  status: "online" | "draining" | "offline";
  version: string | null;
  registeredAt: Date;
  lastSeenAt: Date;
}

export interface RegisterInput {
  name: string;
  hostname?: string | null;
  labels: string[];
  adapterTypes: string[];
  version?: string | null;
}

const COLUMNS = "id, token_id, company_id, name, hostname, labels, adapter_types, status, version, registered_at, last_seen_at";

/** The lease owner of runs a runner executes. */
export const runnerLeaseOwner = (runnerId: string) => `runner:${runnerId}`;

/**
 * Registered runners (docs/runners.md): registration, heartbeats that renew the leases of the runner's
 * runs and tell it which of them it must stop, draining, and the offline sweep. Every call names the
 * verified token (`principal`); a runner row answers only to the token it registered with.
 */
export function createRunnerRegistry(db: Queryable, opts: { leaseMs: number }) {
  async function own(principal: RunnerPrincipal, runnerId: string): Promise<RunnerRow> {
    const [row] = await db.query<RunnerRow>(`SELECT ${COLUMNS} FROM runners WHERE id = $1`, [runnerId]);
    if (!row) throw notFound("Runner not found");
    if (row.tokenId !== principal.tokenId) throw unauthenticated("This runner was registered with another token", "runner_token_mismatch");
    return row;
  }

  return {
    /** The runner registered with this token (404 unknown, 401 another token's). */
    own,

    async register(principal: RunnerPrincipal, input: RegisterInput): Promise<RunnerRow> {
      const name = input.name.trim();
      if (name.length < 1 || name.length > 100) throw validationError("name must be 1 to 100 characters");
      const labels = [...new Set(input.labels)];
      const bad = labels.filter((l) => !RUNNER_LABEL_RE.test(l));
      if (bad.length > 0) throw validationError("labels must be 1-32 characters of a-z, 0-9, '.', '_' or '-'", { labels: bad });
      if (labels.length > MAX_RUNNER_LABELS) throw validationError(`at most ${MAX_RUNNER_LABELS} labels`);
      const adapterTypes = [...new Set(input.adapterTypes)];
      if (adapterTypes.length === 0) throw validationError("adapterTypes must name at least one adapter");
      const [row] = await db.query<RunnerRow>(
        `INSERT INTO runners (token_id, company_id, name, hostname, labels, adapter_types, version)
         VALUES ($1, $2, $3, $4, $5::text[], $6::text[], $7) RETURNING ${COLUMNS}`,
        [principal.tokenId, principal.companyId, name, input.hostname ?? null, labels, adapterTypes, input.version ?? null],
      );
      return row!;
    },

    /**
     * A heartbeat: the runner is seen, the leases of its running runs are renewed in one statement,
     * and of the runs it says it executes, those no longer running under its lease are returned (it
     * must stop them: cancelled, or reaped after its lease lapsed).
     */
    async heartbeat(principal: RunnerPrincipal, runnerId: string, executing: readonly string[]) {
      const runner = await own(principal, runnerId);
      await db.query(
        `UPDATE runners SET last_seen_at = now(), status = CASE WHEN status = 'offline' THEN 'online' ELSE status END WHERE id = $1`,
        [runnerId],
      );
      const renewed = await db.query<{ id: string }>(
        `UPDATE heartbeat_runs SET lease_expires_at = now() + ($3::int * interval '1 millisecond')
          WHERE runner_id = $1 AND status = 'running' AND lease_owner = $2 RETURNING id`,
        [runnerId, runnerLeaseOwner(runnerId), opts.leaseMs],
      );
      const live = new Set(renewed.map((r) => r.id));
      return { status: runner.status === "offline" ? "online" : runner.status, stopRunIds: executing.filter((id) => !live.has(id)) };
    },

    /** No more claims for this runner; its runs go on. */
    async drain(principal: RunnerPrincipal, runnerId: string): Promise<RunnerRow> {
      await own(principal, runnerId);
      const [row] = await db.query<RunnerRow>(`UPDATE runners SET status = 'draining' WHERE id = $1 RETURNING ${COLUMNS}`, [runnerId]);
      return row!;
    },

    /** Marks runners that missed OFFLINE_AFTER_HEARTBEATS heartbeats offline (set-based; periodic pass). */
    async sweepOffline(): Promise<number> {
      const rows = await db.query<{ id: string }>(
        `UPDATE runners SET status = 'offline'
          WHERE status <> 'offline' AND last_seen_at < now() - ($1::int * interval '1 millisecond') RETURNING id`,
        [Math.ceil((opts.leaseMs / 3) * OFFLINE_AFTER_HEARTBEATS)],
      );
      return rows.length;
    },
  };
}
export type RunnerRegistry = ReturnType<typeof createRunnerRegistry>;
