import type { QueryClient } from "@tanstack/react-query";
import { ApiError, type StapleClient, unwrap } from "../api/client.js";
import type { Issue, LiveEvent } from "../api/types.js";
import { queryKeys as k, type IssueListFilters } from "./query-keys.js";

/**
 * Live updates of single rows in the cached issue lists. An issue's activity names the issue, so
 * instead of refetching every list (up to 1,000 issues each) the board reads that one issue and
 * puts it into each cached list: replaced where it is, removed where it no longer matches the
 * list's server-side filters, added on top (lists are newest-updated first) where it now matches.
 * A list whose filters cannot be judged here (a text search) is refetched as before.
 */

/** The issue whose list rows an event changes, if the event names one. */
export function issueRowOf(event: LiveEvent): string | null {
  if (event.type !== "activity.logged") return null;
  const { entityType, entityId } = event.payload;
  return entityType === "issue" && typeof entityId === "string" ? entityId : null;
}

/** Whether the server would list the issue under these filters; undefined when that is not known here. */
export function matchesListFilters(
  issue: Issue & { hiddenAt?: string | null },
  filters: IssueListFilters | undefined,
): boolean | undefined {
  if (!filters || filters.q) return undefined;
  if (issue.hiddenAt) return false;
  if (filters.status && !filters.status.split(",").includes(issue.status)) return false;
  if (
    filters.assigneeAgentId &&
    (filters.assigneeAgentId === "null" ? issue.assigneeAgentId !== null : issue.assigneeAgentId !== filters.assigneeAgentId)
  )
    return false;
  if (filters.labelId && !(issue.labels ?? []).some((l) => l.id === filters.labelId)) return false;
  return true;
}

/**
 * Puts the issue as read now into every cached list of its company; `null` means it is gone (deleted
 * or no longer visible), so it leaves every list.
 */
export function patchIssueLists(queryClient: QueryClient, companyId: string, issueId: string, issue: Issue | null): void {
  for (const [key, list] of queryClient.getQueriesData<Issue[]>({ queryKey: k.issues(companyId) })) {
    if (!Array.isArray(list)) continue;
    const filters = key[3] as IssueListFilters | undefined;
    const at = list.findIndex((row) => row.id === issueId);
    const keep = issue ? matchesListFilters(issue, filters) : false;
    if (keep === undefined) {
      void queryClient.invalidateQueries({ queryKey: key, exact: true });
      continue;
    }
    const rest = at >= 0 ? list.filter((row) => row.id !== issueId) : list;
    if (!keep) {
      if (at >= 0) queryClient.setQueryData(key, rest);
      continue;
    }
    // A list at its server limit may be missing rows the change pushed in or out: read it again.
    if (at < 0 && filters && list.length >= filters.limit) {
      void queryClient.invalidateQueries({ queryKey: key, exact: true });
      continue;
    }
    queryClient.setQueryData(key, [issue!, ...rest]);
  }
}

/**
 * Collects the issues named by a burst of events and, on flush, reads each once and patches the
 * lists. `fetchIssue` answers null for an issue that is gone (404); any other failure refetches the
 * company's lists instead, so a row is never left stale.
 */
export function createIssueRowUpdater(queryClient: QueryClient, fetchIssue: (issueId: string) => Promise<Issue | null>) {
  const pending = new Map<string, string>();
  return {
    /** True when the event's list change is taken care of here. */
    push(event: LiveEvent): boolean {
      const id = issueRowOf(event);
      if (!id) return false;
      pending.set(id, event.companyId);
      return true;
    },
    flush(): Promise<void> {
      const batch = [...pending];
      pending.clear();
      return Promise.all(
        batch.map(async ([issueId, companyId]) => {
          try {
            patchIssueLists(queryClient, companyId, issueId, await fetchIssue(issueId));
          } catch {
            await queryClient.invalidateQueries({ queryKey: k.issues(companyId) });
          }
        }),
      ).then(() => undefined);
    },
  };
}

/** Reads one issue for the lists; a 404 (deleted, or moved out of reach) is null. */
export function issueRowFetcher(api: StapleClient): (issueId: string) => Promise<Issue | null> {
  return async (id) => {
    try {
      return (await unwrap(api.GET("/api/issues/{id}", { params: { path: { id } } }))) as Issue;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  };
}
