import { QueryClient } from "@tanstack/react-query";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Issue, LiveEvent } from "../src/api/types.js";
import { createIssueRowUpdater, matchesListFilters } from "../src/lib/issue-row-updates.js";
import { createLiveInvalidator } from "../src/lib/live-context.js";
import { queryKeys as k } from "../src/lib/query-keys.js";

const row = (n: number, over: Partial<Issue> = {}): Issue =>
  ({
    id: `is${n}`,
    identifier: `ACM-${n}`,
    title: `Issue ${n}`,
    status: "todo",
    priority: "medium",
    assigneeAgentId: null,
    labels: [],
    updatedAt: "2026-12-01T00:00:00.000Z",
    ...over,
  }) as Issue;
const issueEvent = (id: string): LiveEvent => ({
  type: "activity.logged",
  companyId: "co1",
  payload: { entityType: "issue", entityId: id, action: "issue.updated" },
});

const OPEN = k.issues("co1", { status: "backlog,todo,in_progress", limit: 1000 });
const MINE = k.issues("co1", { assigneeAgentId: "ag1", limit: 1000 });
const SEARCH = k.issues("co1", { q: "robot", limit: 1000 });

function cache() {
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity } } });
  const fetches: string[] = [];
  for (const [key, rows] of [
    [OPEN, [row(1), row(2), row(3)]],
    [MINE, [row(2, { assigneeAgentId: "ag1" })]],
    [SEARCH, [row(1)]],
  ] as const) {
    queryClient.setQueryData(key, rows);
    // A refetch would call this: the test counts them.
    queryClient.setQueryDefaults(key, {
      queryFn: () => {
        fetches.push(JSON.stringify(key));
        return rows;
      },
    });
  }
  return { queryClient, fetches, list: (key: readonly unknown[]) => queryClient.getQueryData<Issue[]>(key)! };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("an issue event updates its row in the cached lists", () => {
  it("a burst of events reads the issue once and replaces its row in place, without refetching the lists", async () => {
    const { queryClient, fetches, list } = cache();
    const fetchIssue = vi.fn(async (id: string) => row(Number(id.slice(2)), { title: "Renamed", status: "in_progress" }));
    const rows = createIssueRowUpdater(queryClient, fetchIssue);
    for (let i = 0; i < 5; i++) expect(rows.push(issueEvent("is3"))).toBe(true);
    await rows.flush();
    expect(fetchIssue).toHaveBeenCalledTimes(1);
    expect(list(OPEN).map((i) => `${i.id}:${i.title}`)).toEqual(["is3:Renamed", "is1:Issue 1", "is2:Issue 2"]);
    expect(list(MINE).map((i) => i.id)).toEqual(["is2"]);
    expect(fetches).toEqual([]);
    expect(queryClient.getQueryState(OPEN)!.isInvalidated).toBe(false);
    // A search list cannot be judged here: it is refetched.
    expect(queryClient.getQueryState(SEARCH)!.isInvalidated).toBe(true);
  });

  it("a row leaves a list it no longer matches, joins one it now matches, and a deleted issue leaves all", async () => {
    const { queryClient, list } = cache();
    let next: Issue | null = row(2, { status: "done", assigneeAgentId: "ag1" });
    const rows = createIssueRowUpdater(queryClient, async () => next);
    rows.push(issueEvent("is2"));
    await rows.flush();
    expect(list(OPEN).map((i) => i.id)).toEqual(["is1", "is3"]);
    expect(list(MINE).map((i) => `${i.id}:${i.status}`)).toEqual(["is2:done"]);

    next = row(9, { assigneeAgentId: "ag1" });
    rows.push(issueEvent("is9"));
    await rows.flush();
    expect(list(OPEN).map((i) => i.id)).toEqual(["is9", "is1", "is3"]);
    expect(list(MINE).map((i) => i.id)).toEqual(["is9", "is2"]);

    next = null;
    rows.push(issueEvent("is9"));
    await rows.flush();
    expect(list(OPEN).map((i) => i.id)).toEqual(["is1", "is3"]);
    expect(list(MINE).map((i) => i.id)).toEqual(["is2"]);
  });

  it("a failed read refetches the company's lists instead", async () => {
    const { queryClient } = cache();
    const rows = createIssueRowUpdater(queryClient, async () => {
      throw new Error("offline");
    });
    rows.push(issueEvent("is1"));
    await rows.flush();
    expect(queryClient.getQueryState(OPEN)!.isInvalidated).toBe(true);
  });

  it("filters: status, assignee (or unassigned), label and hidden decide membership", () => {
    const base = { limit: 10 };
    expect(matchesListFilters(row(1), { ...base, status: "todo,done" })).toBe(true);
    expect(matchesListFilters(row(1), { ...base, status: "done" })).toBe(false);
    expect(matchesListFilters(row(1), { ...base, assigneeAgentId: "null" })).toBe(true);
    expect(matchesListFilters(row(1, { assigneeAgentId: "ag1" }), { ...base, assigneeAgentId: "null" })).toBe(false);
    expect(
      matchesListFilters(row(1, { labels: [{ id: "lb1", name: "x", color: "#000" }] as Issue["labels"] }), { ...base, labelId: "lb1" }),
    ).toBe(true);
    expect(matchesListFilters(row(1), { ...base, labelId: "lb1" })).toBe(false);
    expect(matchesListFilters({ ...row(1), hiddenAt: "2026-12-01T00:00:00.000Z" }, base)).toBe(false);
  });

  it("the live invalidator hands issue events to the row updater and leaves the lists' cache alone", async () => {
    vi.useFakeTimers();
    const { queryClient } = cache();
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");
    const fetchIssue = vi.fn(async () => row(1, { title: "Live" }));
    const live = createLiveInvalidator(queryClient, 100, createIssueRowUpdater(queryClient, fetchIssue));
    live.push(issueEvent("is1"));
    await vi.advanceTimersByTimeAsync(100);
    expect(fetchIssue).toHaveBeenCalledTimes(1);
    const keys = invalidate.mock.calls.map(([f]) => JSON.stringify(f?.queryKey));
    expect(keys).toContain(JSON.stringify(k.issue("is1")));
    expect(keys).not.toContain(JSON.stringify(k.issues("co1")));
    expect(queryClient.getQueryState(OPEN)!.isInvalidated).toBe(false);
    live.stop();
  });
});
