/**
 * Data shapes of the API. Where packages/contracts declares a response schema, its type is used
 * as is; the few answers without a schema (issue runs, runtime state, test-environment) are typed here.
 */
import type { z } from "zod";
import type {
  ActivityEntry as ActivityEntrySchema,
  Agent,
  Comment,
  Company,
  Dashboard as DashboardSchema,
  HeartbeatRun as HeartbeatRunSchema,
  Issue,
  IssueDetail as IssueDetailSchema,
  IssueRef as IssueRefSchema,
  OrgNode,
  RunEvent as RunEventSchema,
  RunLog as RunLogSchema,
  CreateAgentBody,
  CreateCompanyBody,
  CreateIssueBody,
  UpdateIssueBody,
  AgentStatus,
  IssueStatus,
  IssuePriority,
  AgentRole,
  AdapterType,
  AgentKey as AgentKeySchema,
  CreatedAgentKey as CreatedAgentKeySchema,
  IssueDocument as IssueDocumentSchema,
  PutDocumentBody,
} from "@staple/contracts";

export type { Agent, Comment, Company, Issue, OrgNode, AgentStatus, IssueStatus, IssuePriority, AgentRole, AdapterType };
export type ActivityEntry = z.infer<typeof ActivityEntrySchema>;
export type Dashboard = z.infer<typeof DashboardSchema>;
export type HeartbeatRun = z.infer<typeof HeartbeatRunSchema> & { issueId?: string | null };
export type IssueDetail = z.infer<typeof IssueDetailSchema>;
export type IssueRef = z.infer<typeof IssueRefSchema>;
export type RunEvent = z.infer<typeof RunEventSchema>;
export type RunLog = z.infer<typeof RunLogSchema>;
export type RunStatus = HeartbeatRun["status"];
export type CreateCompanyInput = z.input<typeof CreateCompanyBody>;
export type CreateAgentInput = z.input<typeof CreateAgentBody>;
export type CreateIssueInput = z.input<typeof CreateIssueBody>;
export type UpdateIssueInput = z.input<typeof UpdateIssueBody>;
export type AgentKey = z.infer<typeof AgentKeySchema>;
export type CreatedAgentKey = z.infer<typeof CreatedAgentKeySchema>;
export type IssueDocument = z.infer<typeof IssueDocumentSchema>;
export type PutDocumentInput = z.input<typeof PutDocumentBody>;

/** POST /api/issues/:id/admin/force-release answer. */
export interface ForceReleaseResult {
  issue: Issue;
  previous: { checkoutRunId: string | null; executionRunId: string | null };
}

/** GET /api/issues/:id/runs rows (summary of each run of the issue). */
export interface IssueRun {
  runId: string;
  status: RunStatus;
  agentId: string;
  adapterType: string;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  invocationSource: string;
  errorCode: string | null;
  usageJson: Record<string, unknown> | null;
  resultJson: { summary?: string; stopReason?: string } | null;
  logBytes: number | null;
}

/** GET /api/companies/:id/live-runs rows. */
export type LiveRun = HeartbeatRun & { agentName: string; adapterType: string; issueIdentifier: string | null; issueTitle: string | null };

export interface RuntimeState {
  agentId: string;
  lastRunId: string | null;
  lastRunStatus: string | null;
  lastError: string | null;
  totalInputTokens: number;
  totalOutputTokens: number;
  totalCostCents: number;
  totalRuns: number;
}

export interface EnvironmentCheck {
  level: "info" | "warn" | "error";
  code: string;
  message: string;
  fix?: string;
}
export interface EnvironmentResult {
  adapterType: string;
  ok: boolean;
  checks: EnvironmentCheck[];
}

export type WakeResult = HeartbeatRun | { status: "skipped" | "deferred"; reason: string; wakeupRequestId: string };

/** A live event from /api/companies/:id/events (SSE). */
export interface LiveEvent {
  type: "ready" | "heartbeat.run.queued" | "heartbeat.run.status" | "heartbeat.run.log" | "heartbeat.run.event" | "agent.status" | "activity.logged";
  companyId: string;
  at?: string;
  payload: Record<string, unknown>;
}

/** GET /api/companies/:id/costs/summary. */
export interface CostSummary {
  companyId: string;
  spendCents: number;
  budgetCents: number;
  utilizationPercent: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  runCount: number;
}

interface CostTotals {
  costCents: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  runCount: number;
}

/** GET /api/companies/:id/costs/by-agent rows (most expensive first). */
export interface CostByAgentRow extends CostTotals {
  agentId: string;
  agentName: string;
  agentStatus: string;
}

/** GET /api/companies/:id/costs/by-project rows; projectId null = work outside any project. */
export interface CostByProjectRow extends CostTotals {
  projectId: string | null;
  projectName: string | null;
}
