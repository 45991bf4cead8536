import type { Database } from "../db/database.js";
import type { IssueMutationHooks } from "../issues/hooks.js";
import type { Logger } from "../logger.js";
import type { RunEngine } from "../runs/engine.js";
import { createRoutineService, type RoutineService } from "./service.js";
import { createWebhookSecrets } from "./webhook-secret.js";

/**
 * Wires routines into the runtime: the service uses the engine's clock and public URL, and its
 * schedule pass runs on every periodic pass of the run engine (every server runs it; the claim in
 * the database makes each tick fire once).
 */
export function createRoutineModule(deps: {
  db: Database;
  logger: Logger;
  engine: RunEngine;
  issueHooks: IssueMutationHooks;
  serverSecret: string;
}): RoutineService {
  const routines = createRoutineService({
    db: deps.db,
    logger: deps.logger,
    issueHooks: deps.issueHooks,
    secrets: createWebhookSecrets(deps.serverSecret),
    clock: deps.engine.clock,
    apiUrl: () => deps.engine.resources.apiUrl,
  });
  deps.engine.addPeriodicTask("routine-schedules", (now) => routines.schedulePass(now));
  return routines;
}
export type { RoutineService } from "./service.js";
