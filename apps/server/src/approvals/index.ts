import type { Services } from "../services.js";
import { createApprovalService } from "./service.js";
import { createApprovalDecisions } from "./decide.js";
import { createHireService } from "./hire.js";

function build(services: Services) {
  const approvals = createApprovalService(services.db);
  return {
    approvals,
    decisions: createApprovalDecisions(services.db, services.agents, services.engine),
    hiring: createHireService(services.db, services.companies, services.agents, approvals),
  };
}
export type ApprovalModule = ReturnType<typeof build>;

const built = new WeakMap<Services, ApprovalModule>();

/**
 * The approval module over an app's services, built once per services object. It needs the run
 * engine (decisions wake the requester), which the domain composition root does not have.
 */
export function approvalsOf(services: Services): ApprovalModule {
  let module = built.get(services);
  if (!module) built.set(services, (module = build(services)));
  return module;
}
