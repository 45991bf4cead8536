import type { Services } from "../services.js";
import { createIssueWakeHooks } from "../runs/issue-wakes.js";
import { createInteractionService, type InteractionService } from "./service.js";

const built = new WeakMap<Services, InteractionService>();

/**
 * The interaction service over an app's services, built once per services object. It needs the
 * run engine (a resolution wakes the assignee; accepted suggested tasks wake their assignees
 * through the issue hooks' create path), which the domain composition root does not have.
 */
export function interactionsOf(services: Services): InteractionService {
  let service = built.get(services);
  if (!service) {
    service = createInteractionService(services.db, services.issues, services.engine, createIssueWakeHooks(services.engine.enqueuer, services.live));
    built.set(services, service);
  }
  return service;
}
