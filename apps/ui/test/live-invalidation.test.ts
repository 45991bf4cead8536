import { QueryClient } from "@tanstack/react-query";
import { LIVE_EVENT_TYPES as SERVER_LIVE_EVENT_TYPES } from "@staple/contracts";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { LiveEvent } from "../src/api/types.js";
import { LIVE_EVENT_TYPES } from "../src/lib/live.js";
import { createLiveInvalidator } from "../src/lib/live-context.js";
import { keysToInvalidate, LIVE_INVALIDATION } from "../src/lib/live-invalidation.js";
import { queryKeys as k } from "../src/lib/query-keys.js";

const ev = (type: LiveEvent["type"], payload: Record<string, unknown> = {}): LiveEvent => ({ type, companyId: "co1", payload });
const ids = (keys: readonly unknown[]) => keys.map((key) => JSON.stringify(key));

afterEach(() => {
  vi.useRealTimers();
});

describe("live invalidation table", () => {
  it("has a rule for every live event type the server sends, and the stream listens to each", () => {
    const server = [...SERVER_LIVE_EVENT_TYPES, "ready"].sort();
    expect(Object.keys(LIVE_INVALIDATION).sort()).toEqual(server);
    expect([...LIVE_EVENT_TYPES].sort()).toEqual(server);
  });

  it("an issue's activity refreshes that issue, the issue lists and issue pages, not agents or runs", () => {
    const keys = ids(keysToInvalidate(ev("activity.logged", { entityType: "issue", entityId: "is1", action: "issue.comment_added" })));
    expect(keys).toEqual(
      expect.arrayContaining(
        ids([k.issue("is1"), k.issueRuns("is1"), k.issues("co1"), k.issuePages(), k.activity("co1"), k.dashboard("co1")]),
      ),
    );
    expect(keys).not.toContain(JSON.stringify(k.agents("co1")));
    expect(keys).not.toContain(JSON.stringify(k.issue("is2")));
    expect(keys.some((key) => key.startsWith('["run"'))).toBe(false);
  });

  it("a run status change refreshes the run, run lists, issue runs and locks, costs and its agent", () => {
    const keys = ids(keysToInvalidate(ev("heartbeat.run.status", { runId: "r1", agentId: "ag1", status: "succeeded" })));
    expect(keys).toEqual(
      expect.arrayContaining(
        ids([k.run("r1"), k.runs("co1"), k.liveRuns("co1"), k.anyIssueRuns(), k.issuePages(), k.costs("co1"), k.agent("ag1")]),
      ),
    );
    expect(keys).not.toContain(JSON.stringify(k.issues("co1")));
  });

  it("agent status refreshes agents, org chart and that agent; log chunks refresh nothing", () => {
    expect(ids(keysToInvalidate(ev("agent.status", { agentId: "ag1", status: "running" })))).toEqual(
      ids([k.agents("co1"), k.org("co1"), k.dashboard("co1"), k.agent("ag1")]),
    );
    expect(keysToInvalidate(ev("heartbeat.run.log", { runId: "r1", chunk: "x" }))).toEqual([]);
  });

  it("cost activity refreshes costs; an unknown event type refreshes nothing", () => {
    expect(ids(keysToInvalidate(ev("activity.logged", { entityType: "cost_event", action: "cost.reported" })))).toContain(
      JSON.stringify(k.costs("co1")),
    );
    // A run's status also refreshes its events table (the run family).
    expect(ids(keysToInvalidate(ev("heartbeat.run.status", { runId: "r1" })))).toContain(JSON.stringify(k.run("r1")));
    expect(keysToInvalidate({ type: "something.new", companyId: "co1", payload: {} } as unknown as LiveEvent)).toEqual([]);
  });

  it("approval activity and budget hard stops refresh the approvals; label changes refresh labels and issues", () => {
    const approval = ids(keysToInvalidate(ev("activity.logged", { entityType: "approval", entityId: "ap1", action: "approval.approved" })));
    expect(approval).toEqual(expect.arrayContaining(ids([k.approvals("co1"), k.approval("ap1"), k.dashboard("co1")])));
    expect(approval).not.toContain(JSON.stringify(k.labels("co1")));
    const hardStop = ids(keysToInvalidate(ev("activity.logged", { entityType: "agent", entityId: "ag1", action: "budget.hard_stop" })));
    expect(hardStop).toContain(JSON.stringify(k.approvals("co1")));
    const label = ids(keysToInvalidate(ev("activity.logged", { entityType: "label", entityId: "l1", action: "label.updated" })));
    expect(label).toEqual(expect.arrayContaining(ids([k.labels("co1"), k.issues("co1"), k.issuePages()])));
    expect(ids(keysToInvalidate(ev("activity.logged", { entityType: "issue", entityId: "is1" })))).not.toContain(
      JSON.stringify(k.approvals("co1")),
    );
    // Interaction cards and attachments live under the issue's family, which its activity refreshes.
    expect(k.issueInteractions("is1").slice(0, 2)).toEqual(k.issue("is1"));
    expect(k.issueAttachments("is1").slice(0, 2)).toEqual(k.issue("is1"));
  });

  it("invalidates the matching cached queries once per burst, and leaves the others fresh", async () => {
    vi.useFakeTimers();
    const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity } } });
    const fetched: string[] = [];
    const observe = async (key: readonly unknown[]) => {
      await queryClient.fetchQuery({ queryKey: key, queryFn: () => (fetched.push(JSON.stringify(key)), 1) });
    };
    const comments = k.issueComments("is1");
    const otherIssue = k.issueComments("is2");
    const issueList = k.issues("co1", { limit: 1000 });
    const agents = k.agents("co1");
    for (const key of [comments, otherIssue, issueList, agents]) await observe(key);
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");

    const live = createLiveInvalidator(queryClient, 100);
    for (let i = 0; i < 5; i++) live.push(ev("activity.logged", { entityType: "issue", entityId: "is1" }));
    expect(invalidate).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(100);

    const isStale = (key: readonly unknown[]) => queryClient.getQueryState(key)!.isInvalidated;
    expect(isStale(comments)).toBe(true);
    expect(isStale(issueList)).toBe(true);
    expect(isStale(otherIssue)).toBe(false);
    expect(isStale(agents)).toBe(false);
    // Five events, one invalidation per key.
    const calls = invalidate.mock.calls.map(([filters]) => JSON.stringify(filters?.queryKey));
    expect(calls.filter((c) => c === JSON.stringify(k.issue("is1")))).toHaveLength(1);
    live.stop();
  });
});
