import { queryOptions } from "@tanstack/react-query";
import { queryKeys as k, type IssueListFilters, type RunListFilters } from "../lib/query-keys.js";
import { costRange, periodKey, type CostPeriod, type CustomRange } from "../lib/costs.js";
import { unwrap, type StapleClient } from "./client.js";
import type { LiveRun } from "./types.js";

/**
 * The board's reads: one query per view of the API, each a generated-client call under its key
 * (lib/query-keys.ts). The one answer whose schema lacks fields the board reads (live runs) is
 * cast to its local view (api/types.ts) here and nowhere else.
 */
const id = (value: string) => ({ params: { path: { id: value } } });
const company = (companyId: string) => ({ params: { path: { companyId } } });
const text = (n: number) => String(n);

export const queries = {
  companies: (api: StapleClient) => queryOptions({ queryKey: k.companies(), queryFn: () => unwrap(api.GET("/api/companies")) }),
  session: (api: StapleClient) =>
    queryOptions({ queryKey: k.session(), queryFn: () => unwrap(api.GET("/api/auth/get-session")), staleTime: Infinity }),

  agents: (api: StapleClient, companyId: string) =>
    queryOptions({
      queryKey: k.agents(companyId),
      queryFn: () => unwrap(api.GET("/api/companies/{companyId}/agents", company(companyId))),
    }),
  org: (api: StapleClient, companyId: string) =>
    queryOptions({ queryKey: k.org(companyId), queryFn: () => unwrap(api.GET("/api/companies/{companyId}/org", company(companyId))) }),
  dashboard: (api: StapleClient, companyId: string) =>
    queryOptions({
      queryKey: k.dashboard(companyId),
      queryFn: () => unwrap(api.GET("/api/companies/{companyId}/dashboard", company(companyId))),
    }),
  issues: (api: StapleClient, companyId: string, filters: IssueListFilters) =>
    queryOptions({
      queryKey: k.issues(companyId, filters),
      queryFn: () =>
        unwrap(
          api.GET("/api/companies/{companyId}/issues", {
            params: {
              path: { companyId },
              query: {
                ...(filters.status ? { status: filters.status } : {}),
                ...(filters.q ? { q: filters.q } : {}),
                ...(filters.assigneeAgentId ? { assigneeAgentId: filters.assigneeAgentId } : {}),
                ...(filters.labelId ? { labelId: filters.labelId } : {}),
                limit: text(filters.limit),
                sortField: "updated",
                sortDir: "desc",
              },
            },
          }),
        ),
    }),
  runs: (api: StapleClient, companyId: string, filters: RunListFilters) =>
    queryOptions({
      queryKey: k.runs(companyId, filters),
      queryFn: () =>
        unwrap(
          api.GET("/api/companies/{companyId}/heartbeat-runs", {
            params: {
              path: { companyId },
              query: {
                ...(filters.agentId ? { agentId: filters.agentId } : {}),
                ...(filters.status ? { status: filters.status } : {}),
                limit: text(filters.limit),
              },
            },
          }),
        ),
    }),
  liveRuns: (api: StapleClient, companyId: string) =>
    queryOptions({
      queryKey: k.liveRuns(companyId),
      queryFn: async () => (await unwrap(api.GET("/api/companies/{companyId}/live-runs", company(companyId)))) as LiveRun[],
    }),
  activity: (api: StapleClient, companyId: string) =>
    queryOptions({
      queryKey: k.activity(companyId),
      queryFn: () => unwrap(api.GET("/api/companies/{companyId}/activity", { params: { path: { companyId }, query: { limit: "100" } } })),
    }),
  costs: (api: StapleClient, companyId: string, period: CostPeriod, custom: CustomRange = {}) =>
    queryOptions({
      queryKey: k.costs(companyId, periodKey(period, custom)),
      queryFn: async () => {
        const query = costRange(period, new Date(), custom);
        const params = { params: { path: { companyId }, query } };
        const [summary, byAgent, byProject, byAgentModel, byDay] = await Promise.all([
          unwrap(api.GET("/api/companies/{companyId}/costs/summary", params)),
          unwrap(api.GET("/api/companies/{companyId}/costs/by-agent", params)),
          unwrap(api.GET("/api/companies/{companyId}/costs/by-project", params)),
          unwrap(api.GET("/api/companies/{companyId}/costs/by-agent-model", params)),
          unwrap(api.GET("/api/companies/{companyId}/costs/by-day", params)),
        ]);
        return { range: query, summary, byAgent, byProject, byAgentModel, byDay };
      },
    }),
  /** The ledger's per-agent rows for a period (the agent page reads its own row: same figures as Costs). */
  costsByAgent: (api: StapleClient, companyId: string, period: CostPeriod) =>
    queryOptions({
      queryKey: [...k.costs(companyId, periodKey(period)), "by-agent"] as const,
      queryFn: () =>
        unwrap(api.GET("/api/companies/{companyId}/costs/by-agent", { params: { path: { companyId }, query: costRange(period) } })),
    }),
  /** What the cost ledger holds for one run. */
  runCost: (api: StapleClient, runId: string) =>
    queryOptions({ queryKey: k.runCost(runId), queryFn: () => unwrap(api.GET("/api/heartbeat-runs/{id}/cost-summary", id(runId))) }),
  approvals: (api: StapleClient, companyId: string) =>
    queryOptions({
      queryKey: k.approvals(companyId),
      queryFn: () => unwrap(api.GET("/api/companies/{companyId}/approvals", company(companyId))),
    }),
  labels: (api: StapleClient, companyId: string) =>
    queryOptions({
      queryKey: k.labels(companyId),
      queryFn: () => unwrap(api.GET("/api/companies/{companyId}/labels", company(companyId))),
    }),

  approval: (api: StapleClient, approvalId: string) =>
    queryOptions({ queryKey: k.approvalDetail(approvalId), queryFn: () => unwrap(api.GET("/api/approvals/{id}", id(approvalId))) }),
  approvalComments: (api: StapleClient, approvalId: string) =>
    queryOptions({
      queryKey: k.approvalComments(approvalId),
      queryFn: () => unwrap(api.GET("/api/approvals/{id}/comments", id(approvalId))),
    }),
  approvalIssues: (api: StapleClient, approvalId: string) =>
    queryOptions({ queryKey: k.approvalIssues(approvalId), queryFn: () => unwrap(api.GET("/api/approvals/{id}/issues", id(approvalId))) }),

  issuePage: (api: StapleClient, ref: string) =>
    queryOptions({ queryKey: k.issuePage(ref), queryFn: () => unwrap(api.GET("/api/issues/{id}", id(ref))) }),
  issueComments: (api: StapleClient, issueId: string) =>
    queryOptions({
      queryKey: k.issueComments(issueId),
      queryFn: () => unwrap(api.GET("/api/issues/{id}/comments", { params: { path: { id: issueId }, query: { order: "asc" } } })),
    }),
  issueRuns: (api: StapleClient, issueId: string) =>
    queryOptions({ queryKey: k.issueRuns(issueId), queryFn: () => unwrap(api.GET("/api/issues/{id}/runs", id(issueId))) }),
  issueDocuments: (api: StapleClient, issueId: string) =>
    queryOptions({ queryKey: k.issueDocuments(issueId), queryFn: () => unwrap(api.GET("/api/issues/{id}/documents", id(issueId))) }),
  issueActivity: (api: StapleClient, issueId: string) =>
    queryOptions({ queryKey: k.issueActivity(issueId), queryFn: () => unwrap(api.GET("/api/issues/{id}/activity", id(issueId))) }),
  issueInteractions: (api: StapleClient, issueId: string) =>
    queryOptions({ queryKey: k.issueInteractions(issueId), queryFn: () => unwrap(api.GET("/api/issues/{id}/interactions", id(issueId))) }),
  issueAttachments: (api: StapleClient, issueId: string) =>
    queryOptions({ queryKey: k.issueAttachments(issueId), queryFn: () => unwrap(api.GET("/api/issues/{id}/attachments", id(issueId))) }),

  agent: (api: StapleClient, agentId: string) =>
    queryOptions({ queryKey: k.agentDetail(agentId), queryFn: () => unwrap(api.GET("/api/agents/{id}", id(agentId))) }),
  agentRuntime: (api: StapleClient, agentId: string) =>
    queryOptions({
      queryKey: k.agentRuntime(agentId),
      queryFn: () => unwrap(api.GET("/api/agents/{id}/runtime-state", id(agentId))),
    }),
  agentKeys: (api: StapleClient, agentId: string) =>
    queryOptions({ queryKey: k.agentKeys(agentId), queryFn: () => unwrap(api.GET("/api/agents/{id}/keys", id(agentId))) }),

  run: (api: StapleClient, runId: string) =>
    queryOptions({ queryKey: k.runDetail(runId), queryFn: () => unwrap(api.GET("/api/heartbeat-runs/{id}", id(runId))) }),
  runEvents: (api: StapleClient, runId: string) =>
    queryOptions({
      queryKey: k.runEvents(runId),
      queryFn: () =>
        unwrap(api.GET("/api/heartbeat-runs/{id}/events", { params: { path: { id: runId }, query: { afterSeq: "0", limit: "1000" } } })),
    }),
  runIssues: (api: StapleClient, runId: string) =>
    queryOptions({ queryKey: k.runIssues(runId), queryFn: () => unwrap(api.GET("/api/heartbeat-runs/{id}/issues", id(runId))) }),
};
