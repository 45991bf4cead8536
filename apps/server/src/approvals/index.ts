import type { Services } from "../services.js";
import { createApprovalService } from "./service.js";
import { createApprovalDecisions } from "./decide.js";
import { createHireService } from "./hire.js";

/**
 * The approval module. Built by the composition root (runtime.ts) next to the run engine, because
 * decisions wake the requester.
 */
export function createApprovalModule(services: Omit<Services, "approvals" | "interactions">) {
  const approvals = createApprovalService(services.db);
  return {
    approvals,
    decisions: createApprovalDecisions(services.db, services.agents, services.engine),
    hiring: createHireService(services.db, services.companies, services.agents, approvals),
  };
}
export type ApprovalModule = ReturnType<typeof createApprovalModule>;
