import type { AnyRoute } from "../route.js";
import { healthRoutes } from "./health.js";
import { companyRoutes } from "./companies.js";
import { agentRoutes } from "./agents.js";
import { issueRoutes } from "./issues.js";
import { activityRoutes } from "./activity.js";
import { documentRoutes } from "./documents.js";
import { goalProjectRoutes } from "./goals-projects.js";
import { runRoutes } from "./runs.js";
import { issueExecutionRoutes } from "./issue-execution.js";
import { budgetRoutes } from "./budgets.js";
import { costRoutes } from "./costs.js";
import { adapterRoutes } from "./adapters.js";
import { instanceSettingsRoutes } from "./instance-settings.js";
import { boardAccessRoutes } from "./board-access.js";
import { inboxRoutes } from "./inbox.js";
import { agentConfigRevisionRoutes } from "./agent-config-revisions.js";
import { approvalRoutes } from "./approvals.js";
import { labelRoutes } from "./labels.js";
import { attachmentRoutes } from "./attachments.js";
import { interactionRoutes } from "./interactions.js";
import { routineRoutes } from "./routines.js";
import { authUserRoutes } from "./auth-users.js";
import { memberRoutes } from "./members.js";
import { wakeBreakerRoutes } from "./wake-breakers.js";
import { portabilityRoutes } from "./portability.js";
import { paperclipImportRoutes } from "./paperclip-import.js";
import { secretRoutes } from "./secrets.js";
import { executionWorkspaceRoutes } from "./execution-workspaces.js";
import { runnerRoutes } from "./runners.js";
import { runnerListRoutes } from "./runners-list.js";

/** The route table: the HTTP app and the OpenAPI document are both built from it. */
export const allRoutes: readonly AnyRoute[] = [
  ...healthRoutes,
  ...companyRoutes,
  ...agentRoutes,
  ...issueRoutes,
  ...activityRoutes,
  ...documentRoutes,
  ...goalProjectRoutes,
  ...runRoutes,
  ...issueExecutionRoutes,
  ...budgetRoutes,
  ...costRoutes,
  ...adapterRoutes,
  ...instanceSettingsRoutes,
  ...boardAccessRoutes,
  ...inboxRoutes,
  ...agentConfigRevisionRoutes,
  ...approvalRoutes,
  ...labelRoutes,
  ...attachmentRoutes,
  ...interactionRoutes,
  ...routineRoutes,
  ...authUserRoutes,
  ...memberRoutes,
  ...wakeBreakerRoutes,
  ...portabilityRoutes,
  ...paperclipImportRoutes,
  ...secretRoutes,
  ...executionWorkspaceRoutes,
  ...runnerRoutes,
  ...runnerListRoutes,
];
