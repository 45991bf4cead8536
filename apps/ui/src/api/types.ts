/**
 * Data shapes of the API, from the generated client (packages/api-client/src/schema.ts). Where a
 * route's response schema lacks fields the board reads, a small view here adds them and says which
 * route it stands for.
 */
import type { operations, Schemas } from "@staple/api-client";
import type { LiveEventType } from "@staple/contracts";

export type Company = Schemas["Company"];
export type Agent = Schemas["Agent"];
export type OrgNode = Schemas["OrgNode"];
export type AgentKey = Schemas["AgentKey"];
export type CreatedAgentKey = Schemas["CreatedAgentKey"];
export type Issue = Schemas["IssueListItem"];
export type IssueDetail = Schemas["IssueDetail"];
export type IssueRef = Schemas["IssueRef"];
export type Comment = Schemas["Comment"];
export type ActivityEntry = Schemas["ActivityEntry"];
export type IssueDocument = Schemas["IssueDocument"];
export type HeartbeatRun = Schemas["HeartbeatRun"];
export type RunEvent = Schemas["RunEvent"];
export type RunLog = Schemas["RunLog"];
export type Dashboard = Schemas["Dashboard"];
export type BoardSession = Schemas["BoardSessionInfo"];
export type Approval = Schemas["Approval"];
export type ApprovalComment = Schemas["ApprovalComment"];
export type ApprovalStatus = Approval["status"];
export type LinkedIssue = Schemas["Issue"];
export type Label = Schemas["Label"];
export type Attachment = Schemas["Attachment"];
export type Interaction = Schemas["IssueInteraction"];
export type AgentStatus = Agent["status"];
export type IssueStatus = IssueDetail["status"];
export type IssuePriority = IssueDetail["priority"];
export type RunStatus = HeartbeatRun["status"];

type JsonBody<Op> = Op extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
export type CreateIssueInput = JsonBody<operations["postApiCompaniesCompanyIdIssues"]>;
export type UpdateIssueInput = JsonBody<operations["patchApiIssuesId"]>;
export type CreateAgentInput = JsonBody<operations["postApiCompaniesCompanyIdAgents"]>;
export type UpdateAgentInput = JsonBody<operations["patchApiAgentsId"]>;

/** GET /api/companies/:id/live-runs rows: its schema is HeartbeatRun, the joined names are not in it. */
export type LiveRun = HeartbeatRun & { agentName: string; issueIdentifier: string | null; issueTitle: string | null };

export type IssueRun = Schemas["IssueRunHistoryRow"];
export type RuntimeState = Schemas["AgentRuntimeState"];
export type EnvironmentResult = Schemas["AdapterEnvironmentTest"];
export type EnvironmentCheck = Schemas["AdapterEnvironmentCheck"];
export type CostSummary = Schemas["CostSummary"];
export type CostByAgentRow = Schemas["CostByAgentRow"];
export type CostByProjectRow = Schemas["CostByProjectRow"];

/**
 * A live event from /api/companies/:id/events (SSE): the server's event types (declared in
 * @staple/contracts) plus `ready`, sent on each (re)connect. The payload is read defensively.
 */
export interface LiveEvent {
  type: LiveEventType | "ready";
  companyId: string;
  at?: string;
  payload: Record<string, unknown>;
}
