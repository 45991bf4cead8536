import { z } from "zod";
import {
  AgentRuntimeState,
  AgentTaskSession,
  HeartbeatRun,
  HeartbeatRunListRow,
  IssueRunHistoryRow,
  IssueRunView,
  ListRunsQuery,
  RunIssueRef,
  RunEvent,
  RunEventsQuery,
  RunLog,
  RunLogQuery,
  RUN_STATUSES,
  WakeupBody,
  WakeupSkipped,
} from "@staple/contracts";
import { conflict, forbidden } from "../../errors.js";
import { assertCanSee } from "../../auth/access.js";
import type { Actor } from "../../auth/actor.js";
import { actorStamp } from "../../auth/actor.js";
import { accepted, defineRoute, ok, type RouteContext } from "../route.js";
import { parseCommaList } from "./query-lists.js";

const base = { tag: "runs", access: "any" } as const;

/** Board, or the agent waking itself; an agent waking another agent is a 403. */
function assertMayWake(actor: Actor, agentId: string) {
  if (actor.kind === "agent" && actor.agentId !== agentId) throw forbidden("Agent can only wake itself", "wake_other_agent");
}

async function wake(ctx: RouteContext<unknown, z.output<typeof WakeupBody> | undefined>, defaults: { triggerDetail: "manual" | null }) {
  const { actor, services, params } = ctx;
  const body = ctx.body ?? WakeupBody.parse({});
  const stamp = actorStamp(actor);
  // The agent is read once, by the wake itself under its row lock: who may wake it is checked
  // there, before anything is written. The wake and its audit row commit together; the dispatch
  // NOTIFY fires on commit.
  const outcome = await services.engine.wake({
    agentId: params.id!,
    source: body.source,
    triggerDetail: body.triggerDetail ?? defaults.triggerDetail,
    reason: body.reason ?? null,
    payload: body.forceFreshSession ? { ...(body.payload ?? {}), forceFreshSession: true } : (body.payload ?? null),
    idempotencyKey: body.idempotencyKey ?? null,
    requestedBy: { type: stamp.actorType, id: stamp.actorId },
    authorize: (agent) => {
      assertCanSee(actor, agent.companyId, "Agent");
      assertMayWake(actor, agent.id);
    },
    audit: { actor, action: "heartbeat.invoked", details: { source: body.source, reason: body.reason ?? null } },
  });
  if (outcome.kind === "skipped" && outcome.budgetBlock) {
    // Recorded as a skipped wake (committed above); the caller learns why with a 409.
    throw conflict(
      outcome.budgetBlock.reason,
      { scopeType: outcome.budgetBlock.scopeType, scopeId: outcome.budgetBlock.scopeId, wakeupRequestId: outcome.wakeupId },
      "budget_blocked",
    );
  }
  switch (outcome.kind) {
    case "queued":
    case "coalesced":
      return accepted(outcome.run);
    case "duplicate":
      return accepted(outcome.run ?? { status: "skipped", reason: "duplicate_idempotency_key", wakeupRequestId: outcome.wakeupId });
    case "deferred":
      return accepted({ status: "deferred", reason: outcome.reason, wakeupRequestId: outcome.wakeupId });
    case "skipped":
      return accepted({ status: "skipped", reason: outcome.reason, wakeupRequestId: outcome.wakeupId });
  }
}

const wakeResponses = {
  202: {
    description: "The queued (or coalesced) run, or `{status: skipped|deferred, reason}`",
    schema: z.union([HeartbeatRun, WakeupSkipped]),
  },
  409: { description: "The agent is paused, terminated or pending approval" },
};

export const runRoutes = [
  defineRoute({
    ...base,
    method: "post",
    path: "/api/agents/:id/wakeup",
    summary: "Wake an agent: queue a heartbeat run (or coalesce into one)",
    body: WakeupBody,
    bodyOptional: true,
    responses: wakeResponses,
    handler: (ctx) => wake(ctx, { triggerDetail: null }),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/agents/:id/heartbeat/invoke",
    summary: "Legacy form of wakeup (manual, on demand)",
    body: WakeupBody,
    bodyOptional: true,
    responses: wakeResponses,
    handler: (ctx) => wake(ctx, { triggerDetail: "manual" }),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/heartbeat-runs",
    summary:
      "The company's runs, newest first, with issue and cost (summary=true for compact rows); filters agentId, status, issueId (id or identifier); cursor = id of the previous page's last run",
    query: ListRunsQuery,
    responses: { 200: { description: "Runs", schema: z.array(HeartbeatRunListRow) } },
    handler: async ({ services, company, query }) =>
      ok(
        await services.runQueries.listForCompany(company.id, {
          agentId: query.agentId,
          status: parseCommaList(query.status, "status", RUN_STATUSES),
          issueId: query.issueId,
          cursor: query.cursor,
          limit: query.limit,
          summary: query.summary === "true" || query.summary === "1",
        }),
      ),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/live-runs",
    summary: "Queued, running and scheduled runs of the company",
    responses: { 200: { description: "Live runs", schema: z.array(HeartbeatRun) } },
    handler: async ({ services, company }) => ok(await services.runQueries.liveRuns(company.id)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/heartbeat-runs/:id",
    summary: "One run",
    responses: { 200: { description: "Run", schema: HeartbeatRun } },
    handler: async ({ actor, services, params }) => ok(await services.runQueries.get(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/heartbeat-runs/:id/events",
    summary: "A run's events in order (afterSeq for newer ones)",
    query: RunEventsQuery,
    responses: { 200: { description: "Events", schema: z.array(RunEvent) } },
    handler: async ({ actor, services, params, query }) =>
      ok(await services.runQueries.events(actor, params.id!, query.afterSeq ?? 0, query.limit ?? 200)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/heartbeat-runs/:id/log",
    summary: "A run's raw NDJSON log from offset (nextOffset when more remains)",
    query: RunLogQuery,
    responses: { 200: { description: "Log slice", schema: RunLog }, 404: { description: "Run log not found" } },
    handler: async ({ actor, services, params, query }) =>
      ok(await services.runQueries.log(actor, params.id!, query.offset ?? 0, query.limitBytes)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/heartbeat-runs/:id/issues",
    summary: "Issues a run worked on",
    responses: { 200: { description: "Issues", schema: z.array(RunIssueRef) } },
    handler: async ({ actor, services, params }) => ok(await services.runQueries.issuesForRun(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/heartbeat-runs/:id/cancel",
    summary: "Cancel a run (its process group is stopped); a finished run is returned unchanged",
    access: "board",
    responses: { 200: { description: "Run", schema: HeartbeatRun } },
    async handler({ actor, services, params }) {
      await services.runQueries.visibleRun(actor, params.id!);
      return ok(await services.engine.cancelRun(actor, params.id!));
    },
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/runs",
    summary: "Runs of an issue, newest first",
    responses: { 200: { description: "Runs", schema: z.array(IssueRunHistoryRow) } },
    handler: async ({ actor, services, params }) => ok(await services.runQueries.forIssue(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/live-runs",
    summary: "Queued and running runs aimed at the issue, newest first",
    responses: { 200: { description: "Live runs", schema: z.array(IssueRunView) } },
    handler: async ({ actor, services, params }) => ok(await services.issueRuns.liveRuns(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/issues/:id/active-run",
    summary: "The run working the issue now (its execution-lock run while queued or running), or null",
    responses: { 200: { description: "Run or null", schema: IssueRunView.nullable() } },
    handler: async ({ actor, services, params }) => ok(await services.issueRuns.activeRun(actor, params.id!)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/agents/:id/runtime-state",
    summary: "An agent's runtime totals and last run",
    responses: { 200: { description: "Runtime state", schema: AgentRuntimeState } },
    async handler({ actor, services, params }) {
      const agent = await services.agents.get(actor, params.id!);
      return ok(await services.runQueries.runtimeState(agent.id));
    },
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/agents/:id/task-sessions",
    summary: "An agent's saved adapter sessions per task",
    responses: { 200: { description: "Task sessions", schema: z.array(AgentTaskSession) } },
    async handler({ actor, services, params }) {
      const agent = await services.agents.get(actor, params.id!);
      return ok(await services.runQueries.taskSessions(agent.id));
    },
  }),
];
