import type { QueryKey } from "@tanstack/react-query";
import type { LiveEvent } from "../api/types.js";
import { isCostEvent } from "./costs.js";
import { inboxKeys } from "./inbox.js";
import { queryKeys as k } from "./query-keys.js";

/**
 * What each live event makes stale: the one table from the company's event stream to query keys,
 * with exactly one rule per event type (the server's types come from @staple/contracts).
 * Invalidating a key refetches only the queries on screen (the others refetch when next shown), so
 * a family prefix is cheap where an event does not name the exact entity: run events do not say
 * which issue a run works on, and issue pages are keyed by the reference in their URL.
 */
export const LIVE_INVALIDATION: { readonly [T in LiveEvent["type"]]: (event: LiveEvent) => readonly QueryKey[] } = {
  // The stream (re)connected: anything may have changed while it was down.
  ready: (e) => [
    k.companies(),
    k.company(e.companyId),
    k.issuePages(),
    k.anyIssue(),
    k.anyIssueRuns(),
    ["agent"],
    k.anyRun(),
    k.anyApproval(),
  ],
  "heartbeat.run.queued": (e) => [
    k.runs(e.companyId),
    k.liveRuns(e.companyId),
    k.dashboard(e.companyId),
    k.anyIssueRuns(),
    k.issuePages(),
    ...agentOf(e),
  ],
  // Runs take and clear issue locks without logging activity, so issue pages refetch too; the run's
  // own family includes its events table.
  "heartbeat.run.status": (e) => [
    ...runOf(e),
    k.runs(e.companyId),
    k.liveRuns(e.companyId),
    k.dashboard(e.companyId),
    k.anyIssueRuns(),
    k.issuePages(),
    k.costs(e.companyId),
    // A run that ends failed or succeeded adds or clears an inbox item.
    inboxKeys.all(e.companyId),
    // A finished run wrote its ledger row and its agent's last heartbeat (the agent list shows it).
    ...runCostOf(e),
    k.agents(e.companyId),
    ...agentOf(e),
  ],
  // The run log is read incrementally by its own reader (components/run-output.tsx), not refetched.
  "heartbeat.run.log": () => [],
  "agent.status": (e) => [k.agents(e.companyId), k.org(e.companyId), k.dashboard(e.companyId), ...agentOf(e)],
  "activity.logged": (e) => {
    const c = e.companyId;
    const { entityType, entityId, action } = e.payload;
    const keys: QueryKey[] = [k.activity(c), k.dashboard(c)];
    const id = typeof entityId === "string" ? entityId : null;
    if (entityType === "issue") keys.push(k.issues(c), k.issuePages(), ...(id ? [k.issue(id), k.issueRuns(id)] : []));
    if (entityType === "agent") keys.push(k.agents(c), k.org(c), ...(id ? [k.agent(id)] : []));
    if (entityType === "company") keys.push(k.companies());
    // Inbox items come from issues (blocks, comments with mentions, interactions) and approvals.
    if (entityType === "issue" || entityType === "approval") keys.push(inboxKeys.all(c));
    // Approvals: decisions, comments, resubmits and hires log on the approval; a budget hard stop
    // creates its override approval while logging on the paused scope.
    if (entityType === "approval") keys.push(k.approvals(c), ...(id ? [k.approval(id)] : []));
    if (action === "budget.hard_stop") keys.push(k.approvals(c));
    // A label's rename, colour or deletion shows on every issue carrying it.
    if (entityType === "label") keys.push(k.labels(c), k.issues(c), k.issuePages());
    if (entityType === "heartbeat_run" && id) keys.push(k.run(id));
    if (isCostEvent(e)) keys.push(k.costs(c), k.companies(), k.agents(c), k.anyRunCost());
    return keys;
  },
};

function agentOf(e: LiveEvent): QueryKey[] {
  return typeof e.payload.agentId === "string" ? [k.agent(e.payload.agentId)] : [];
}
function runCostOf(e: LiveEvent): QueryKey[] {
  return typeof e.payload.runId === "string" ? [k.runCost(e.payload.runId)] : [];
}
function runOf(e: LiveEvent): QueryKey[] {
  return typeof e.payload.runId === "string" ? [k.run(e.payload.runId)] : [];
}

/** The keys an event makes stale, without repeats. */
export function keysToInvalidate(event: LiveEvent): QueryKey[] {
  const rule = LIVE_INVALIDATION[event.type] as ((event: LiveEvent) => readonly QueryKey[]) | undefined;
  const seen = new Set<string>();
  return (rule?.(event) ?? []).filter((key) => {
    const id = JSON.stringify(key);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
