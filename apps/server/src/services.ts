import type { Database } from "./db/database.js";
import { createActivityService } from "./activity/service.js";
import { createCompanyService } from "./companies/service.js";
import { createAgentService } from "./agents/service.js";
import { createAgentLifecycle, type AgentLifecycleHooks } from "./agents/lifecycle.js";
import { createAgentKeyService } from "./agents/keys.js";
import { createIssueService } from "./issues/service.js";
import { createCommentService } from "./issues/comments.js";
import type { IssueMutationHooks } from "./issues/hooks.js";
import type { IssueExecutionService } from "./issues/execution.js";
import { createDocumentService, type DocumentHooks } from "./documents/service.js";
import { createGoalService } from "./goals/service.js";
import { createProjectService } from "./projects/service.js";
import { createDashboardService } from "./dashboard/service.js";
import { createBudgetService } from "./budgets/service.js";
import { createCostService } from "./budgets/costs.js";
import type { RunEngine } from "./runs/engine.js";
import type { RunQueries } from "./runs/queries.js";
import type { LiveBus } from "./live/bus.js";
import type { TreeHoldService } from "./issues/tree-holds.js";
import { createSecretEnv } from "./secrets/secret-env.js";
import { createSecretsModule } from "./secrets/index.js";
import type { ApprovalModule } from "./approvals/index.js";
import type { RoutineService } from "./routines/index.js";
import type { InteractionService } from "./interactions/index.js";
import { createBoardCredentials } from "./auth/board-credentials.js";
import { createUserService } from "./auth/users.js";
import { createCliChallengeService } from "./auth/cli-challenges.js";
import { createMemberService } from "./members/service.js";
import { createInboxService } from "./inbox/service.js";
import { createBoardInboxService } from "./inbox/board-inbox.js";
import { createConfigRevisionService } from "./agents/config-revisions.js";
import { createIssueRunViews } from "./runs/issue-runs.js";
import { createLabelService } from "./labels/service.js";
import { createAttachmentService } from "./attachments/service.js";
import type { PortabilityService } from "./portability/service.js";

export interface DomainHooks {
  agentLifecycle?: AgentLifecycleHooks;
  issues?: IssueMutationHooks;
  documents?: DocumentHooks;
}

/** Builds every domain module once, with its dependencies passed in explicitly (no hidden graphs). */
export function createDomainServices(db: Database, hooks: DomainHooks = {}, secrets: { serverSecret: string; home: string }) {
  const companies = createCompanyService(db);
  const agents = createAgentService(db, companies, createSecretEnv(secrets.serverSecret));
  const issues = createIssueService(db, companies, hooks.issues);
  return {
    db,
    companies,
    agents,
    agentLifecycle: createAgentLifecycle(db, agents, hooks.agentLifecycle),
    agentKeys: createAgentKeyService(db, agents),
    issues,
    comments: createCommentService(db, hooks.issues),
    documents: createDocumentService(db, issues, hooks.documents),
    goals: createGoalService(db),
    projects: createProjectService(db),
    activity: createActivityService(db),
    dashboard: createDashboardService(db),
    budgets: createBudgetService(db),
    costs: createCostService(db),
    boardCredentials: createBoardCredentials(db),
    users: createUserService(db),
    members: createMemberService(db),
    cliChallenges: createCliChallengeService(db),
    inbox: createInboxService(db, issues),
    boardInbox: createBoardInboxService(db),
    agentConfigRevisions: createConfigRevisionService(db, agents),
    issueRuns: createIssueRunViews(db),
    labels: createLabelService(db),
    attachments: createAttachmentService(db),
    secretStore: createSecretsModule(db, { home: secrets.home }),
  };
}
export type DomainServices = ReturnType<typeof createDomainServices>;

/** The runtime side: the run engine and what the routes read of it. */
export interface RuntimeServices {
  /** Approvals and hiring: decisions wake the requester through the engine. */
  approvals: ApprovalModule;
  /** Issue-thread interactions: resolutions wake the assignee through the engine. */
  interactions: InteractionService;
  engine: RunEngine;
  /** Routines: schedules, webhooks and manual runs that create execution issues. */
  routines: RoutineService;
  runQueries: RunQueries;
  issueExecution: IssueExecutionService;
  live: LiveBus;
  treeHolds: TreeHoldService;
  /** Company packages: import, export, templates (writes agent instruction files under the home). */
  portability: PortabilityService;
}

export type Services = DomainServices & RuntimeServices;
