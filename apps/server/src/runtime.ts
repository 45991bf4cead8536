import type { AdapterModule } from "@staple/adapter-kit";
import { processAdapter } from "@staple/adapter-process";
import { httpAdapter } from "@staple/adapter-http";
import { codexAdapter } from "@staple/adapter-codex";
import { claudeAdapter } from "@staple/adapter-claude";
import { geminiAdapter } from "@staple/adapter-gemini";
import { opencodeAdapter } from "@staple/adapter-opencode";
import { cursorAdapter } from "@staple/adapter-cursor";
import { acpAdapter } from "@staple/adapter-acp";
import { backgroundOf, type Database } from "./db/database.js";
import { createEmbeddedMaintenance } from "./db/embedded-maintenance.js";
import type { Logger } from "./logger.js";
import { createLiveBus } from "./live/bus.js";
import { createIssueExecutionService } from "./issues/execution.js";
import { createRunEngine } from "./runs/engine.js";
import type { RecoveryToggles } from "./runs/finalize/steps.js";
import { createRunQueries } from "./runs/queries.js";
import { createIssueWakeHooks } from "./runs/issue-wakes.js";
import { recordActivity } from "./activity/record.js";
import { createTreeHoldService } from "./issues/tree-holds.js";
import { createDomainServices, type Services } from "./services.js";
import { createPortabilityService } from "./portability/service.js";
import { createApprovalModule } from "./approvals/index.js";
import { createRoutineModule } from "./routines/index.js";
import { createInteractionModule } from "./interactions/index.js";
import { interactionDocumentHooks, withInteractionIssueHooks } from "./interactions/lifecycle.js";

export interface RuntimeOptions {
  home: string;
  apiUrl: string;
  jwt: { secret: string; ttlSeconds: number };
  adapters?: Readonly<Record<string, AdapterModule>>;
  schedulerIntervalMs?: number;
  leaseMs?: number;
  clock?: { now(): Date; random(): number };
  recovery?: RecoveryToggles;
  /** Per-run log cap in bytes (STAPLE_RUN_LOG_MAX_BYTES; default 50 MB). */
  runLogMaxBytes?: number;
  /** Days stored run logs are kept (STAPLE_RUN_LOG_RETENTION_DAYS; unset keeps them). */
  runLogRetentionDays?: number;
  /** Operator's outbound allow-list (STAPLE_OUTBOUND_ALLOW); the board's list is stored in the database. */
  outboundAllow?: readonly string[];
}

export const DEFAULT_ADAPTERS: Readonly<Record<string, AdapterModule>> = Object.freeze({
  process: processAdapter,
  http: httpAdapter,
  codex_local: codexAdapter,
  claude_local: claudeAdapter,
  gemini_local: geminiAdapter,
  opencode_local: opencodeAdapter,
  cursor: cursorAdapter,
  acp_local: acpAdapter,
});

/**
 * The composition root of the domain and the run engine: builds each part once and wires the
 * hooks between them (issue mutations wake agents; pausing an agent cancels its runs).
 */
export function createRuntime(db: Database, logger: Logger, opts: RuntimeOptions): Services {
  const live = createLiveBus(db, logger);
  const issueExecution = createIssueExecutionService(db);
  const engine = createRunEngine({
    db,
    logger,
    live,
    home: opts.home,
    apiUrl: opts.apiUrl,
    jwt: opts.jwt,
    adapters: opts.adapters ?? DEFAULT_ADAPTERS,
    issueExecution,
    schedulerIntervalMs: opts.schedulerIntervalMs,
    leaseMs: opts.leaseMs,
    clock: opts.clock,
    recovery: opts.recovery,
    runLogMaxBytes: opts.runLogMaxBytes,
    runLogRetentionDays: opts.runLogRetentionDays,
    outboundAllow: opts.outboundAllow,
  });
  // Interaction lifecycle first (expire on close, supersede on a board comment), then the wakes.
  const issueHooks = withInteractionIssueHooks(createIssueWakeHooks(engine.enqueuer));
  const domain = createDomainServices(
    db,
    {
      issues: issueHooks,
      documents: interactionDocumentHooks,
      agentLifecycle: {
        async onStopped(q, agent, reason, actor) {
          const runs = await engine.cancelActiveForAgent(
            q,
            agent.id,
            reason === "paused" ? "Cancelled due to agent pause" : "Cancelled because the agent was terminated",
            reason === "paused" ? "paused" : "cancelled",
          );
          for (const run of runs) {
            await recordActivity(q, {
              companyId: run.companyId,
              actor,
              action: "heartbeat.cancelled",
              entityType: "heartbeat_run",
              entityId: run.id,
              details: { agentId: agent.id, reason },
            });
          }
        },
      },
    },
    { serverSecret: opts.jwt.secret, home: opts.home },
  ); // keys the secret env fingerprints (secrets/secret-env.ts)
  const treeHolds = createTreeHoldService(db, {
    cancelSubtreeWork: (q, ids, reason, actor) => engine.cancelIssueWork(q, ids, reason, actor),
  });
  const routines = createRoutineModule({ db, logger, engine, issueHooks, serverSecret: opts.jwt.secret });
  // PGlite has no autovacuum: the periodic pass does its work (db/embedded-maintenance.ts), in the
  // background lane like the rest of the pass (no request waits on it; db/turns.ts).
  if (db.kind === "embedded") engine.addPeriodicTask("embedded-maintenance", createEmbeddedMaintenance(backgroundOf(db), logger));
  const core = {
    ...domain,
    routines,
    engine,
    live,
    issueExecution,
    treeHolds,
    runQueries: createRunQueries(db, engine.resources.logStore),
    portability: createPortabilityService(db, { home: opts.home }),
  };
  return { ...core, approvals: createApprovalModule(core), interactions: createInteractionModule(core) };
}
