import { UNCLAIMED_WAKEUP_STATUSES } from "@staple/contracts";
import { sqlList } from "../db/sql-list.js";
import { liveRunSql } from "../db/predicates.js";
import os from "node:os";
import { randomBytes } from "node:crypto";
import { createSpawnHost, type AdapterModule } from "@staple/adapter-kit";
import { backgroundOf, type Database, type Queryable } from "../db/database.js";
import type { Logger } from "../logger.js";
import type { LiveBus, LiveEventInput } from "../live/bus.js";
import type { Actor } from "../auth/actor.js";
import { recordActivity } from "../activity/record.js";
import { notFound } from "../errors.js";
import type { IssueExecutionService } from "../issues/execution.js";
import { createRunLogStore } from "./log-store.js";
import { createWakeupEnqueuer, type WakeupOutcome, type WakeupRequest } from "./enqueue.js";
import { buildFinalizeSteps, type RecoveryToggles } from "./finalize/steps.js";
import { settleAgentStatus } from "./finalize/agent-status.js";
import { createExecutionRegistry } from "./executions.js";
import { createRunExecutor } from "./execute.js";
import { createDispatcher, type Dispatcher } from "./dispatcher.js";
import { cancelRunInTx, type CancelledRun } from "./cancel-run.js";
import { CANCEL_CHANNEL, DISPATCH_CHANNEL } from "./dispatch-channel.js";
import { findRun, type RunRow } from "./rows.js";
import { reapExpiredLeases } from "./reaper.js";
import { tickTimers } from "./timers.js";
import { promoteDueScheduledRetries } from "./transient-retry.js";
import { createStrandedScanner } from "./recovery/stranded-scan.js";
import { stopDetachedRunProcess, stopLeftoverRunProcesses } from "./recovery/detached-process.js";
import { createRunnerRegistry } from "../runners/registry.js";
import type { RunEngineResources } from "./resources.js";
import { createExecutionWorkspaces } from "../workspaces/service.js";

export interface RunEngineOptions {
  db: Database;
  logger: Logger;
  live: LiveBus;
  home: string;
  apiUrl: string;
  jwt: { secret: string; ttlSeconds: number };
  adapters: Readonly<Record<string, AdapterModule>>;
  issueExecution: IssueExecutionService;
  /** Periodic pass (timers, lease reaping, queued-run resumption). */
  schedulerIntervalMs?: number;
  leaseMs?: number;
  /** How long shutdown waits for aborted adapters to exit. */
  shutdownGraceMs?: number;
  /** Time and randomness for retry scheduling (injectable for tests). */
  clock?: { now(): Date; random(): number };
  recovery?: RecoveryToggles;
  /** Per-run log cap in bytes (default 50 MB); the newest output is kept. */
  runLogMaxBytes?: number;
  /** Days a stored run log is kept (STAPLE_RUN_LOG_RETENTION_DAYS); unset keeps logs. */
  runLogRetentionDays?: number;
  /** The operator's outbound allow-list (STAPLE_OUTBOUND_ALLOW entries). */
  outboundAllow?: readonly string[];
}

/**
 * The run engine's composition: enqueue, dispatch (claim + execute), cancel, timers and lease
 * reaping, wired to the database notifications. Coordination lives in the database; this object
 * only holds the handles of runs executing in this process.
 */
export function createRunEngine(opts: RunEngineOptions) {
  const { logger, live } = opts;
  // The engine's own work (claims, executions, finalization, periodic passes) takes its turn at the
  // embedded database after requests' (db/turns.ts); what a request calls (wake, cancel) does not.
  const requestDb = opts.db;
  const db = backgroundOf(requestDb);
  // Every queued run is announced to the board by the statement that inserts it.
  const enqueuer = createWakeupEnqueuer(db, (run) =>
    live.text("heartbeat.run.queued", run.companyId, {
      runId: run.id,
      agentId: run.agentId,
      invocationSource: run.invocationSource as RunRow["invocationSource"],
    }),
  );
  const clock = opts.clock ?? { now: () => new Date(), random: Math.random };
  const spawnHost = createSpawnHost();
  const res: RunEngineResources = {
    db,
    logger,
    live,
    logStore: createRunLogStore({
      db,
      home: opts.home,
      maxBytes: opts.runLogMaxBytes,
      retentionDays: opts.runLogRetentionDays,
      live,
      logger,
    }),
    enqueuer,
    issueExecution: opts.issueExecution,
    adapters: opts.adapters,
    finalizeSteps: buildFinalizeSteps(enqueuer, clock, opts.recovery),
    jwt: opts.jwt,
    apiUrl: opts.apiUrl,
    home: opts.home,
    instanceId: `${os.hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`,
    leaseMs: opts.leaseMs ?? 30_000,
    spawn: spawnHost.spawn,
    outboundEnvAllow: opts.outboundAllow ?? [],
    executionWorkspaces: createExecutionWorkspaces({
      db,
      logger,
      home: opts.home,
      isCodingAdapter: (type) => opts.adapters[type]?.codingAgent === true,
    }),
    clock,
  };
  const registry = createExecutionRegistry();
  let dispatcher!: Dispatcher;
  const pokeAll = (ids: Iterable<string>) => {
    for (const id of ids) dispatcher.poke(id);
  };
  const executor = createRunExecutor(res, registry, (pokes, run, status, agentStatus) => {
    // The run's end and the agent status its finalization settled, in one statement.
    const events: LiveEventInput[] = [
      { type: "heartbeat.run.status", companyId: run.companyId, payload: { runId: run.id, agentId: run.agentId, status } },
    ];
    if (agentStatus)
      events.push({ type: "agent.status", companyId: run.companyId, payload: { agentId: run.agentId, status: agentStatus } });
    void live.publishAll(db, events).catch(() => {});
    pokeAll(pokes);
  });
  dispatcher = createDispatcher(res, executor.execute);
  /** In-process listeners of the dispatch notification (runner claims waiting for work). */
  const dispatchListeners = new Set<(agentId: string) => void>();

  let timer: NodeJS.Timeout | undefined;
  /** Other modules' periodic work (routine schedules), run each pass with the engine's clock. */
  const periodicTasks: { name: string; run(now: Date): Promise<unknown> }[] = [];
  let passRunning: Promise<void> | undefined;
  const stranded = createStrandedScanner();
  const unlisten: (() => Promise<void>)[] = [];

  async function periodicPass(startup = false) {
    try {
      await tickTimers(db, enqueuer);
      for (const task of periodicTasks) {
        await task.run(clock.now()).catch((error) => logger.error("periodic task failed", { task: task.name, err: error }));
      }
      const reaped = await reapExpiredLeases(res, { foreignOwnersToo: startup && db.kind === "embedded" });
      if (reaped.reaped) logger.warn("reaped runs whose process was lost", { runIds: reaped.runIds });
      pokeAll(reaped.pokes);
      await promoteDueScheduledRetries(db, clock.now());
      await dispatcher.resumeQueued();
      if (opts.recovery?.strandedReconciliation !== false) await stranded.pass(db, enqueuer);
      await res.executionWorkspaces?.cleanupClosed();
      await res.logStore.prune(clock.now());
      await createRunnerRegistry(db, { leaseMs: res.leaseMs }).sweepOffline();
    } catch (error) {
      logger.error("scheduler pass failed", { err: error });
    }
  }

  function afterCancel(runs: CancelledRun[]) {
    for (const run of runs) {
      registry.abort(run.id, "cancelled");
      dispatcher.poke(run.agentId);
      pokeAll(run.promotedAgentIds);
    }
  }

  return {
    resources: res,
    enqueuer,
    registry,

    async start() {
      unlisten.push(
        await db.listen(DISPATCH_CHANNEL, (agentId) => {
          dispatcher.poke(agentId);
          for (const listener of dispatchListeners) listener(agentId);
        }),
      );
      // A cancelled run with no handle here may be detached: its process outlived its server (docs/runs.md#cancellation).
      const detached = { instanceId: res.instanceId, logger };
      unlisten.push(
        await db.listen(CANCEL_CHANNEL, (runId) => {
          if (!registry.abort(runId, "cancelled"))
            void stopDetachedRunProcess(db, runId, detached).catch((err: unknown) =>
              logger.warn("stopping a detached run failed", { runId, err }),
            );
        }),
      );
      await periodicPass(true);
      void stopLeftoverRunProcesses(db, detached).catch((err: unknown) => logger.warn("leftover run process sweep failed", { err }));
      const interval = opts.schedulerIntervalMs ?? 10_000;
      timer = setInterval(() => {
        passRunning ??= periodicPass().finally(() => (passRunning = undefined));
      }, interval);
      timer.unref();
    },

    /**
     * Wakes an agent. Runs in `q` when given (the caller's transaction: the run exists iff the
     * caller commits); the dispatch NOTIFY sent with the insert pokes every server on commit.
     */
    async wake(req: WakeupRequest, q?: Queryable): Promise<WakeupOutcome> {
      // The dispatch NOTIFY (and the board's announcement) inserted with the run are delivered
      // once the transaction commits.
      return q ? enqueuer.enqueue(req, q) : requestDb.tx((tx) => enqueuer.enqueue(req, tx));
    },

    poke: (agentId: string) => dispatcher.poke(agentId),

    /** Calls `listener` on every dispatch notification (new queued work, any server); returns the unsubscribe. */
    onDispatch(listener: (agentId: string) => void): () => void {
      dispatchListeners.add(listener);
      return () => dispatchListeners.delete(listener);
    },

    /** Finalization shared with runners' finishes (docs/runners.md#claim-and-execution). */
    executor,

    /** Registers work for every periodic pass (after the timers, before dispatch picks up new wakes). */
    addPeriodicTask(name: string, run: (now: Date) => Promise<unknown>) {
      periodicTasks.push({ name, run });
    },

    /** The URL agents call back on (known once the HTTP server listens). */
    setApiUrl(url: string) {
      res.apiUrl = url;
    },

    /** Cancels one run (docs/runs.md#cancellation). Already finished -> the run unchanged. */
    async cancelRun(actor: Actor | "system", runId: string, reason = "Cancelled by control plane"): Promise<RunRow> {
      const existing = await findRun(requestDb, runId);
      if (!existing) throw notFound("Heartbeat run not found");
      const cancelled = await requestDb.tx(async (q) => {
        const run = await cancelRunInTx(q, runId, { reason, errorCode: "cancelled", stopReason: "cancelled", wakeStatus: "cancelled" });
        if (!run) return undefined;
        await recordActivity(q, {
          companyId: run.companyId,
          actor,
          action: "heartbeat.cancelled",
          entityType: "heartbeat_run",
          entityId: run.id,
          agentId: actor === "system" ? run.agentId : undefined,
          details: { agentId: run.agentId, reason, previousStatus: run.previousStatus },
        });
        if (run.previousStatus === "running") await settleAgentStatus(q, run.agentId, "cancelled");
        return run;
      });
      if (!cancelled) return existing;
      afterCancel([cancelled]);
      return (await findRun(requestDb, runId))!;
    },

    /** Cancels every cancellable run of an agent inside `q` (pause/terminate); aborts after commit via NOTIFY. */
    async cancelActiveForAgent(q: Queryable, agentId: string, reason: string, stopReason: string): Promise<CancelledRun[]> {
      const active = await q.query<{ id: string }>(
        `SELECT id FROM heartbeat_runs WHERE agent_id = $1 AND ${liveRunSql()} ORDER BY created_at`,
        [agentId],
      );
      const out: CancelledRun[] = [];
      for (const { id } of active) {
        const run = await cancelRunInTx(q, id, { reason, errorCode: "cancelled", stopReason, wakeStatus: "cancelled" });
        if (run) out.push(run);
      }
      await q.query(
        `UPDATE agent_wakeup_requests SET status = 'cancelled', finished_at = now(), error = $2, updated_at = now()
          WHERE agent_id = $1 AND status IN ${sqlList(UNCLAIMED_WAKEUP_STATUSES)} AND run_id IS NULL`,
        [agentId, reason],
      );
      return out;
    },

    afterCancel,

    /** Cancels the live runs and unclaimed wakes of a set of issues inside `q` (tree holds). */
    async cancelIssueWork(q: Queryable, issueIds: string[], reason: string, actor: Actor | "system"): Promise<number> {
      if (issueIds.length === 0) return 0;
      const active = await q.query<{ id: string }>(
        `SELECT id FROM heartbeat_runs WHERE issue_id = ANY($1::uuid[]) AND ${liveRunSql()} ORDER BY created_at`,
        [issueIds],
      );
      let cancelled = 0;
      for (const { id } of active) {
        const run = await cancelRunInTx(q, id, {
          reason,
          errorCode: "issue_tree_hold_active",
          stopReason: "paused",
          wakeStatus: "cancelled",
        });
        if (!run) continue;
        cancelled++;
        await recordActivity(q, {
          companyId: run.companyId,
          actor,
          action: "heartbeat.cancelled",
          entityType: "heartbeat_run",
          entityId: run.id,
          agentId: run.agentId,
          details: { agentId: run.agentId, issueId: run.issueId, reason },
        });
        if (run.previousStatus === "running") await settleAgentStatus(q, run.agentId, "cancelled");
      }
      await q.query(
        `UPDATE agent_wakeup_requests SET status = 'cancelled', finished_at = now(), error = $2, updated_at = now()
          WHERE issue_id = ANY($1::uuid[]) AND status IN ${sqlList(UNCLAIMED_WAKEUP_STATUSES)} AND run_id IS NULL`,
        [issueIds, reason],
      );
      return cancelled;
    },

    clock,

    /** One scheduler pass now (tests and benchmarks). */
    runPeriodicPass: () => periodicPass(),

    /**
     * Graceful shutdown: stop claiming, abort every local run (their adapters kill their process
     * groups), wait for them to finalize (as `server_shutdown`, each with its single retry queued
     * for the next start), then stop listening.
     */
    async stop() {
      if (timer) clearInterval(timer);
      await dispatcher.stop();
      for (const execution of registry.all()) execution.controller.abort("server_shutdown");
      const grace = opts.shutdownGraceMs ?? 20_000;
      await Promise.race([dispatcher.drain(), new Promise((r) => setTimeout(r, grace).unref())]);
      await passRunning;
      for (const stop of unlisten.splice(0)) await stop();
      spawnHost.close();
    },
  };
}
export type RunEngine = ReturnType<typeof createRunEngine>;
