import { useQuery, useQueryClient } from "@tanstack/react-query";
import { FAILED_RUN_STATUSES } from "@staple/contracts";
import { useApi } from "../api/context.js";
import { useLiveEvents } from "../lib/live-context.js";
import { inboxQueries } from "../lib/inbox.js";
import { showToast } from "./toast.js";

/** The unread count of the calling person's inbox, for the navigation (kept fresh by live events). */
export function useInboxUnread(companyId: string): number {
  return useQuery(inboxQueries.count(useApi(), companyId)).data?.unread ?? 0;
}

const FAILED = new Set<string>(FAILED_RUN_STATUSES);

/**
 * Announces a failed run with a toast that names its issue (read from the refreshed inbox, which
 * has it by then) and leads to the inbox. Renders nothing.
 */
export function InboxWatcher({ companyId, base }: { companyId: string; base: string }) {
  const api = useApi();
  const queryClient = useQueryClient();
  useLiveEvents((event) => {
    if (event.type !== "heartbeat.run.status" || event.companyId !== companyId) return;
    const { runId, status } = event.payload as { runId?: string; status?: string };
    if (!status || !FAILED.has(status)) return;
    const verb = status === "timed_out" ? "timed out" : "failed";
    void queryClient
      .fetchQuery({ ...inboxQueries.list(api, companyId, "all"), staleTime: 0 })
      .then((list) => list.items.find((i) => i.kind === "run_failed" && i.runId === runId))
      .catch(() => undefined)
      .then((item) =>
        showToast({
          tone: "error",
          message: item?.issue ? `A run ${verb} on ${item.issue.identifier ?? "an issue"}: ${item.issue.title}` : `A run ${verb}.`,
          link: { to: `${base}/inbox`, label: "Open inbox" },
        }),
      );
  });
  return null;
}
