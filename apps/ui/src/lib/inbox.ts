import { queryOptions, type QueryClient } from "@tanstack/react-query";
import type { Schemas } from "@staple/api-client";
import { unwrap, type StapleClient } from "../api/client.js";

/**
 * The board inbox on the client: query keys (under the company, so a stream reconnect refreshes
 * them with the rest), the reads, the marks, and the pure helpers the page and the dashboard share.
 */
export type InboxItem = Schemas["InboxItem"];
export type InboxList = Schemas["InboxList"];
export type InboxView = "active" | "archived" | "all";
export type InboxMark = "read" | "unread" | "archive" | "unarchive";

export const inboxKeys = {
  all: (companyId: string) => ["company", companyId, "inbox"] as const,
  list: (companyId: string, view: InboxView) => ["company", companyId, "inbox", "list", view] as const,
  count: (companyId: string) => ["company", companyId, "inbox", "count"] as const,
};

const path = (companyId: string) => ({ path: { companyId } });

export const inboxQueries = {
  list: (api: StapleClient, companyId: string, view: InboxView = "active") =>
    queryOptions({
      queryKey: inboxKeys.list(companyId, view),
      queryFn: () => unwrap(api.GET("/api/companies/{companyId}/inbox", { params: { ...path(companyId), query: { view } } })),
    }),
  count: (api: StapleClient, companyId: string) =>
    queryOptions({
      queryKey: inboxKeys.count(companyId),
      queryFn: () => unwrap(api.GET("/api/companies/{companyId}/inbox/count", { params: path(companyId) })),
    }),
};

/** Marks items for the calling person, then refreshes every inbox read of the company. */
export async function markInbox(api: StapleClient, queryClient: QueryClient, companyId: string, op: InboxMark, itemKeys: string[]) {
  const body = { itemKeys };
  const params = path(companyId);
  const result = await unwrap(
    op === "read"
      ? api.POST("/api/companies/{companyId}/inbox/read", { params, body })
      : op === "unread"
        ? api.POST("/api/companies/{companyId}/inbox/unread", { params, body })
        : op === "archive"
          ? api.POST("/api/companies/{companyId}/inbox/archive", { params, body })
          : api.POST("/api/companies/{companyId}/inbox/unarchive", { params, body }),
  );
  queryClient.setQueryData(inboxKeys.count(companyId), { unread: result.unread, total: result.total });
  await queryClient.invalidateQueries({ queryKey: inboxKeys.all(companyId) });
  return result;
}

/** Retry of a failed run: the run's agent is woken on the same issue (the ordinary wakeup route). */
export function retryItem(api: StapleClient, item: InboxItem) {
  if (!item.agentId || !item.issue) throw new Error("Only a failed run of an issue can be retried");
  return unwrap(
    api.POST("/api/agents/{id}/wakeup", {
      params: { path: { id: item.agentId } },
      body: {
        source: "on_demand",
        triggerDetail: "manual",
        reason: `Retry from the inbox (${item.issue.identifier ?? "issue"})`,
        payload: { issueId: item.issue.id },
      },
    }),
  );
}

export const INBOX_KIND_LABELS: Record<InboxItem["kind"], string> = {
  run_failed: "Run failed",
  issue_blocked: "Blocked",
  approval: "Approval",
  interaction: "Question",
  mention: "Mention",
};

/** Where an item leads on the board: its issue, else its approval, else its run. */
export function itemHref(base: string, item: InboxItem): string {
  const rel = item.links.issue ?? item.links.approval ?? item.links.run;
  return rel ? `${base}${rel}` : `${base}/inbox`;
}

/** Day groups for the list, newest first: "Today", "Yesterday", then the date. */
export function dayLabel(iso: string, now = new Date()): string {
  const at = new Date(iso);
  const start = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((start(now) - start(at)) / 86_400_000);
  if (days <= 0) return "Today";
  if (days === 1) return "Yesterday";
  return at.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function groupByDay(items: readonly InboxItem[], now = new Date()): { label: string; items: InboxItem[] }[] {
  const groups: { label: string; items: InboxItem[] }[] = [];
  for (const item of items) {
    const label = dayLabel(item.createdAt, now);
    const last = groups[groups.length - 1];
    if (last?.label === label) last.items.push(item);
    else groups.push({ label, items: [item] });
  }
  return groups;
}
