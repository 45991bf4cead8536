/**
 * Every query key of the board. Keys are hierarchical so one prefix refreshes a family:
 * ["company", id] is everything listed for a company, ["issue", id] everything of one issue,
 * ["agent", id] and ["run", id] likewise. Issue pages are keyed by the reference in the URL (an
 * identifier such as ACME-4, or an id) under ["issue-page"], since live events name issues by id.
 */
export type IssueListFilters = { status?: string; q?: string; assigneeAgentId?: string; labelId?: string; limit: number };
export type RunListFilters = { agentId?: string; status?: string; limit: number };

export const queryKeys = {
  companies: () => ["companies"] as const,
  session: () => ["board-session"] as const,

  company: (companyId: string) => ["company", companyId] as const,
  agents: (companyId: string) => ["company", companyId, "agents"] as const,
  org: (companyId: string) => ["company", companyId, "org"] as const,
  dashboard: (companyId: string) => ["company", companyId, "dashboard"] as const,
  issues: (companyId: string, filters?: IssueListFilters) =>
    filters ? (["company", companyId, "issues", filters] as const) : (["company", companyId, "issues"] as const),
  runs: (companyId: string, filters?: RunListFilters) =>
    filters ? (["company", companyId, "runs", filters] as const) : (["company", companyId, "runs"] as const),
  liveRuns: (companyId: string) => ["company", companyId, "live-runs"] as const,
  activity: (companyId: string) => ["company", companyId, "activity"] as const,
  costs: (companyId: string, period?: string) =>
    period ? (["company", companyId, "costs", period] as const) : (["company", companyId, "costs"] as const),
  approvals: (companyId: string) => ["company", companyId, "approvals"] as const,
  labels: (companyId: string) => ["company", companyId, "labels"] as const,

  issuePages: () => ["issue-page"] as const,
  issuePage: (ref: string) => ["issue-page", ref] as const,
  anyIssue: () => ["issue"] as const,
  issue: (issueId: string) => ["issue", issueId] as const,
  issueComments: (issueId: string) => ["issue", issueId, "comments"] as const,
  /** Runs of issues have their own family: run events do not say which issue a run works on. */
  anyIssueRuns: () => ["issue-runs"] as const,
  issueRuns: (issueId: string) => ["issue-runs", issueId] as const,
  issueDocuments: (issueId: string) => ["issue", issueId, "documents"] as const,
  issueActivity: (issueId: string) => ["issue", issueId, "activity"] as const,
  issueInteractions: (issueId: string) => ["issue", issueId, "interactions"] as const,
  issueAttachments: (issueId: string) => ["issue", issueId, "attachments"] as const,

  /** One approval's own reads (detail, comments, linked issues); the company list is under ["company", id, "approvals"]. */
  anyApproval: () => ["approval"] as const,
  approval: (approvalId: string) => ["approval", approvalId] as const,
  approvalDetail: (approvalId: string) => ["approval", approvalId, "detail"] as const,
  approvalComments: (approvalId: string) => ["approval", approvalId, "comments"] as const,
  approvalIssues: (approvalId: string) => ["approval", approvalId, "issues"] as const,

  agent: (agentId: string) => ["agent", agentId] as const,
  agentDetail: (agentId: string) => ["agent", agentId, "detail"] as const,
  agentRuntime: (agentId: string) => ["agent", agentId, "runtime-state"] as const,
  agentKeys: (agentId: string) => ["agent", agentId, "keys"] as const,

  anyRun: () => ["run"] as const,
  run: (runId: string) => ["run", runId] as const,
  runDetail: (runId: string) => ["run", runId, "detail"] as const,
  runEvents: (runId: string) => ["run", runId, "events"] as const,
  runIssues: (runId: string) => ["run", runId, "issues"] as const,
  /** A run's ledger totals: their own family, since a cost event names its run only sometimes. */
  anyRunCost: () => ["run-cost"] as const,
  runCost: (runId: string) => ["run-cost", runId] as const,
};
