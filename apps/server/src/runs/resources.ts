import type { AdapterModule, SpawnFunction } from "@staple/adapter-kit";
import type { Database } from "../db/database.js";
import type { Logger } from "../logger.js";
import type { LiveBus } from "../live/bus.js";
import type { IssueExecutionService } from "../issues/execution.js";
import type { LogStore } from "./log-store.js";
import type { WakeupEnqueuer } from "./enqueue.js";
import type { FinalizeStep } from "./finalize/pipeline.js";
import type { ExecutionWorkspaces } from "../workspaces/service.js";

/**
 * Everything the run engine's parts share, built once by the composition root and passed to each
 * part explicitly (no part constructs another's dependencies).
 */
export interface RunEngineResources {
  db: Database;
  logger: Logger;
  live: LiveBus;
  logStore: LogStore;
  enqueuer: WakeupEnqueuer;
  issueExecution: IssueExecutionService;
  adapters: Readonly<Record<string, AdapterModule>>;
  finalizeSteps: readonly FinalizeStep[];
  jwt: { secret: string; ttlSeconds: number };
  /** Base URL agents use to call back (PAPERCLIP_API_URL). */
  apiUrl: string;
  home: string;
  /** This server instance: lease owner of the runs it executes (`host:pid:random`). */
  instanceId: string;
  /** Starts agent processes (the spawn host: cheap forks from a small helper process). */
  spawn: SpawnFunction;
  /** A running run's lease lasts this long unless renewed (renewed every third of it). */
  leaseMs: number;
  /** The operator's outbound allow-list (STAPLE_OUTBOUND_ALLOW); runs get it plus the board's stored list. */
  outboundEnvAllow: readonly string[];
  /** Isolated git worktrees per issue (absent in harnesses that build resources by hand: runs share). */
  executionWorkspaces?: ExecutionWorkspaces;
  /** The engine's clock (quota holds and the loop breaker compare against it); absent: wall time. */
  clock?: { now(): Date };
}
