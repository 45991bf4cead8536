import type { Services } from "../services.js";
import { createIssueWakeHooks } from "../runs/issue-wakes.js";
import { createInteractionService, type InteractionService } from "./service.js";

/**
 * The interaction service. Built by the composition root (runtime.ts): a resolution wakes the
 * assignee, and accepted suggested tasks wake their assignees through the issue hooks' create path,
 * so it needs the run engine.
 */
export function createInteractionModule(services: Omit<Services, "approvals" | "interactions">): InteractionService {
  return createInteractionService(services.db, services.issues, services.engine, createIssueWakeHooks(services.engine.enqueuer));
}
export type { InteractionService };
