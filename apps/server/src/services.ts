import type { Database } from "./db/database.js";
import { createActivityService } from "./activity/service.js";
import { createCompanyService } from "./companies/service.js";
import { createAgentService } from "./agents/service.js";
import { createAgentLifecycle, type AgentLifecycleHooks } from "./agents/lifecycle.js";
import { createAgentKeyService } from "./agents/keys.js";
import { createIssueService } from "./issues/service.js";
import { createCommentService } from "./issues/comments.js";
import { createDocumentService } from "./documents/service.js";
import { createGoalService } from "./goals/service.js";
import { createProjectService } from "./projects/service.js";
import { createDashboardService } from "./dashboard/service.js";

/** Builds every domain module once, with its dependencies passed in explicitly (no hidden graphs). */
export function createServices(db: Database, hooks: { agentLifecycle?: AgentLifecycleHooks } = {}) {
  const companies = createCompanyService(db);
  const agents = createAgentService(db, companies);
  const issues = createIssueService(db, companies);
  return {
    db,
    companies,
    agents,
    agentLifecycle: createAgentLifecycle(db, agents, hooks.agentLifecycle),
    agentKeys: createAgentKeyService(db, agents),
    issues,
    comments: createCommentService(db),
    documents: createDocumentService(db, issues),
    goals: createGoalService(db),
    projects: createProjectService(db),
    activity: createActivityService(db),
    dashboard: createDashboardService(db),
  };
}
export type Services = ReturnType<typeof createServices>;
