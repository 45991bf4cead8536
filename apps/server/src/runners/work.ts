import path from "node:path";
import type { AdapterResult } from "@staple/adapter-kit";
import type { z } from "zod";
import type { RunnerEventsBody, RunnerExecutionPacket, RunnerFinishBody, RunnerLogBody } from "@staple/contracts";
import { conflict } from "../errors.js";
import { LIVE_LOG_CHUNK_MAX } from "../live/bus.js";
import { claimQueuedRuns } from "../runs/claim.js";
import type { RunEngine } from "../runs/engine.js";
import { dbLogRef, insertLogPieces, type LogPiece } from "../runs/log-db.js";
import { mapRunOutcome, type RunOutcome } from "../runs/outcome.js";
import { prepareInvocation, setupRun, type AgentForRun } from "../runs/prepare-run.js";
import { findRun, type RunRow } from "../runs/rows.js";
import { appendRunEvent } from "../runs/run-events.js";
import { toRunUsage } from "../runs/usage-delta.js";
import { createRunnerRegistry, runnerLeaseOwner, type RunnerRow } from "./registry.js";
import type { RunnerPrincipal } from "./tokens.js";

const isLeasedTo = (run: RunRow | undefined, runnerId: string): run is RunRow =>
  run?.status === "running" && run.leaseOwner === runnerLeaseOwner(runnerId);

/** A claim re-checks at least this often while it waits (a lost notification costs at most this). */
export const CLAIM_POLL_MS = 1_000;
/** Agents with queued bound runs one claim looks at. */
const CLAIM_AGENTS_LIMIT = 50;

type Packet = z.infer<typeof RunnerExecutionPacket>;

/**
 * The work side of runners (docs/runners.md#claim-and-execution): the claim (the same Postgres claim
 * as a server's, with the runner's lease owner), the execution packet (the same preparation as a
 * local run), and the log / events / finish reports. Every report is accepted only for a run that is
 * `running` under this runner's lease (409 `runner_lease_lost` otherwise; a finish is then
 * acknowledged and ignored).
 */
export function createRunnerWork(engine: RunEngine) {
  const res = engine.resources;
  const { db } = res;
  const registry = createRunnerRegistry(db, { leaseMs: res.leaseMs });

  /** The run, if it is running under this runner's lease; otherwise 409 runner_lease_lost. */
  async function leasedRun(runnerId: string, runId: string): Promise<RunRow> {
    const run = await findRun(db, runId);
    if (!isLeasedTo(run, runnerId)) {
      throw conflict(
        "This run is not leased to this runner (cancelled, finished or reaped); stop it",
        { runId, status: (run as RunRow | undefined)?.status ?? null },
        "runner_lease_lost",
      );
    }
    return run;
  }

  /** Agents with queued runs this runner may serve: bound to one of its labels, its adapter types, the token's companies. */
  async function servableAgents(runner: RunnerRow, principal: RunnerPrincipal): Promise<string[]> {
    const rows = await db.query<{ agentId: string }>(
      `SELECT DISTINCT r.agent_id FROM heartbeat_runs r JOIN agents a ON a.id = r.agent_id
        WHERE r.status = 'queued' AND btrim(a.runtime_config->>'runner') = ANY($1::text[]) AND a.adapter_type = ANY($2::text[])
          AND ($3::uuid IS NULL OR a.company_id = $3::uuid)
        LIMIT ${CLAIM_AGENTS_LIMIT}`,
      [runner.labels, runner.adapterTypes, principal.companyId],
    );
    return rows.map((r) => r.agentId);
  }

  /** The execution packet of a claimed run; undefined when preparation ended the run (finalized as failed here). */
  async function packetFor(run: RunRow, runnerId: string, home: string, claimedAgent?: AgentForRun | null): Promise<Packet | undefined> {
    const setup = await setupRun(res, run, { requireLocalAdapter: false, agent: claimedAgent });
    if (setup.kind === "failed") {
      await engine.executor.failEarly(run, setup.agent, setup.error, setup.errorCode);
      return undefined;
    }
    const { agent } = setup;
    try {
      const agentHome = path.join(home, "agents", agent.id);
      const prepared = await prepareInvocation(res, run, setup, async () => ({
        cwd: path.join(agentHome, "workspace"),
        runConfig: setup.config,
        workspaceEnv: null,
        agentHome,
        skillsDir: () => path.join(home, "skills"),
        readInstructions: false,
        startedPayload: { runnerId },
      }));
      return {
        run: { id: run.id, agentId: run.agentId, companyId: run.companyId, issueId: run.issueId, taskKey: run.taskKey },
        agent: {
          id: agent.id,
          companyId: agent.companyId,
          name: agent.name,
          adapterType: agent.adapterType,
          adapterConfig: prepared.runConfig,
        },
        adapterType: agent.adapterType,
        runtime: prepared.runtime,
        env: prepared.env,
        secrets: setup.secrets,
        prompt: prepared.prompt,
        context: prepared.context,
        cwd: prepared.cwd,
        timeoutSec: setup.timeoutSec,
        outboundAllow: prepared.outboundAllow,
      };
    } catch (error) {
      res.logger.error("preparing a runner's run failed", { runId: run.id, err: error });
      await engine.executor.failEarly(run, agent, "Preparing the run for its runner failed", "runner_preparation_failed");
      return undefined;
    }
  }

  async function claimOnce(runner: RunnerRow, principal: RunnerPrincipal, max: number, home: string): Promise<Packet[]> {
    const packets: Packet[] = [];
    let room = max;
    for (const agentId of await servableAgents(runner, principal)) {
      if (room <= 0) break;
      const now = res.clock?.now() ?? new Date();
      const { claimed, cancelled, agents } = await claimQueuedRuns(db, agentId, runnerLeaseOwner(runner.id), res.leaseMs, now, {
        runnerId: runner.id,
        max: room,
      });
      for (const run of cancelled)
        for (const other of (run as RunRow & { promotedAgentIds?: string[] }).promotedAgentIds ?? []) engine.poke(other);
      room -= claimed.length;
      for (const run of claimed) {
        const packet = await packetFor(run, runner.id, home, agents?.get(run.id));
        if (packet) packets.push(packet);
      }
    }
    return packets;
  }

  /** Resolves on the next dispatch notification or after `ms`, whichever comes first. */
  const nextDispatch = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const off = engine.onDispatch(done);
      signal?.addEventListener("abort", done, { once: true });
    });

  return {
    /**
     * Claims up to `max` runs, waiting up to `waitMs` (bounded) for one. A draining runner gets none.
     * `signal` is the request's: once the runner's connection is gone (it died while waiting) nothing
     * more is claimed for it, so no run is leased to a runner that can never receive it.
     */
    async claim(principal: RunnerPrincipal, runnerId: string, body: { max: number; waitMs: number; home: string }, signal?: AbortSignal) {
      const runner = await registry.own(principal, runnerId);
      await db.query(
        "UPDATE runners SET last_seen_at = now(), status = CASE WHEN status = 'offline' THEN 'online' ELSE status END WHERE id = $1",
        [runnerId],
      );
      if (runner.status === "draining") return { status: runner.status, runs: [] };
      const deadline = Date.now() + body.waitMs;
      for (;;) {
        if (signal?.aborted) return { status: runner.status, runs: [] };
        const runs = await claimOnce(runner, principal, body.max, body.home);
        const left = deadline - Date.now();
        if (runs.length > 0 || left <= 0) return { status: "online" as const, runs };
        await nextDispatch(Math.min(CLAIM_POLL_MS, left), signal);
        // A runner that started draining (SIGTERM) while this claim waited gets its answer now, empty.
        const [now] = await db.query<{ status: RunnerRow["status"] }>("SELECT status FROM runners WHERE id = $1", [runnerId]);
        if (now?.status === "draining") return { status: now.status, runs: [] };
      }
    },

    /** Stores a batch of log pieces (idempotent on (run, seq)) under the server's cap, and announces it live. */
    async log(principal: RunnerPrincipal, runnerId: string, runId: string, body: z.infer<typeof RunnerLogBody>) {
      await registry.own(principal, runnerId);
      const run = await leasedRun(runnerId, runId);
      const pieces: LogPiece[] = body.pieces.map((p) => ({ ...p, bytes: Buffer.byteLength(p.content) }));
      const end = pieces.reduce((n, p) => Math.max(n, p.byteOffset + p.bytes), 0);
      // The runner applies the cap; the server re-checks it, keeping the newest output.
      const dropBelow = Math.max(body.dropBelowOffset ?? 0, end - res.logStore.maxBytes);
      await insertLogPieces(db, run.id, run.companyId, pieces, dropBelow);
      await db.query("UPDATE heartbeat_runs SET last_output_at = now(), log_ref = coalesce(log_ref, $2) WHERE id = $1", [
        run.id,
        dbLogRef(run.id),
      ]);
      const text = pieces.map((p) => chunkOf(p.content)).join("");
      if (text) {
        await res.live
          .publish(db, "heartbeat.run.log", run.companyId, { runId: run.id, agentId: run.agentId, chunk: text.slice(-LIVE_LOG_CHUNK_MAX) })
          .catch(() => {});
      }
      return { pieces: pieces.length };
    },

    /** Records adapter events and the spawn record (as an event: the pid belongs to the runner's machine). */
    async events(principal: RunnerPrincipal, runnerId: string, runId: string, body: z.infer<typeof RunnerEventsBody>) {
      await registry.own(principal, runnerId);
      const run = await leasedRun(runnerId, runId);
      let n = 0;
      if (body.spawn) {
        await appendRunEvent(db, run.id, {
          eventType: "runner.spawn",
          message: `process ${body.spawn.pid} started on runner ${body.spawn.hostname ?? runnerId}`,
          payload: { ...body.spawn, runnerId },
        });
        n++;
      }
      for (const event of body.events) {
        await appendRunEvent(db, run.id, {
          eventType: event.eventType,
          level: event.level,
          message: event.message ?? null,
          payload: event.payload,
        });
        n++;
      }
      return { events: n };
    },

    /**
     * Finalizes the run through the same pipeline as a local run. A run no longer running under this
     * runner's lease (cancelled, reaped, already finished) is acknowledged and left as it is.
     */
    async finish(principal: RunnerPrincipal, runnerId: string, runId: string, body: z.infer<typeof RunnerFinishBody>) {
      await registry.own(principal, runnerId);
      const run = await findRun(db, runId);
      if (!isLeasedTo(run, runnerId)) {
        return { accepted: false, status: (run as RunRow | undefined)?.status ?? null };
      }
      const [agent] = await db.query<{ id: string; companyId: string; adapterType: string }>(
        "SELECT id, company_id, adapter_type FROM agents WHERE id = $1",
        [run.agentId],
      );
      let outcome: RunOutcome;
      if (body.stop === "runner_shutdown") {
        outcome = {
          status: "failed",
          error: "Runner shut down while the run was executing",
          errorCode: "runner_shutdown",
          stopReason: "adapter_failed",
        };
      } else {
        outcome = mapRunOutcome(body.result as AdapterResult | null, body.error ? new Error(body.error) : undefined, false);
      }
      const adapterType = agent?.adapterType ?? "unknown";
      let result = body.result as AdapterResult | null;
      result = await toRunUsage(db, run, adapterType, run.sessionIdBefore ?? null, result).catch(() => result);
      await engine.executor.finalize(run, agent, {
        run,
        agent: { id: run.agentId, companyId: run.companyId, adapterType },
        outcome,
        result,
        log: {
          logRef: dbLogRef(run.id),
          bytes: body.log?.bytes ?? 0,
          sha256: body.log?.sha256 ?? null,
          stdoutExcerpt: body.stdoutExcerpt ?? null,
          stderrExcerpt: body.stderrExcerpt ?? null,
        },
        timeoutSec: body.timeoutSec ?? 0,
        // The runner redacted everything with the run's secrets before sending it.
        redact: (t) => t,
      });
      const after = await findRun(db, runId);
      return { accepted: true, status: after?.status ?? null };
    },
  };
}

/** The output text of a stored NDJSON log line (empty when it is not one). */
function chunkOf(line: string): string {
  try {
    const parsed = JSON.parse(line) as { chunk?: unknown };
    return typeof parsed.chunk === "string" ? parsed.chunk : "";
  } catch {
    return "";
  }
}
