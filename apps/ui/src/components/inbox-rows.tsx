import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { describeError } from "../api/client.js";
import { useApi } from "../api/context.js";
import { useCompany } from "../lib/company-context.js";
import { relativeTime } from "../lib/format.js";
import { INBOX_KIND_LABELS, itemHref, markInbox, retryItem, type InboxItem, type InboxMark } from "../lib/inbox.js";
import { Badge } from "./ui.js";

const KIND_TONE: Record<InboxItem["kind"], "bad" | "wait" | "busy" | "neutral"> = {
  run_failed: "bad",
  issue_blocked: "wait",
  approval: "wait",
  interaction: "busy",
  mention: "neutral",
};

export interface RowNotice {
  message: string;
  undo?: () => void;
}

/**
 * One inbox item as a list row: unread dot, kind, the item's title as its one link (opening it marks
 * it read), its context line and time, and its actions (retry a failed run, read/unread, archive or
 * restore). `onNotice` reports what an action did (with an undo for archive).
 */
export function InboxRow({ item, compact = false, onNotice }: { item: InboxItem; compact?: boolean; onNotice?: (n: RowNotice) => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const { company, base } = useCompany();
  const [busy, setBusy] = useState(false);
  // One issue can have several items (a failed run and a block): the kind tells their rows apart.
  const name = `${INBOX_KIND_LABELS[item.kind]}: ${item.title}`;
  const mark = async (op: InboxMark) => {
    setBusy(true);
    try {
      await markInbox(api, queryClient, company.id, op, [item.key]);
      if (op === "archive")
        onNotice?.({
          message: `Archived “${item.title}”.`,
          undo: () => void markInbox(api, queryClient, company.id, "unarchive", [item.key]),
        });
      if (op === "unarchive") onNotice?.({ message: `Moved “${item.title}” back to the inbox.` });
    } catch (error) {
      onNotice?.({ message: describeError(error) });
    } finally {
      setBusy(false);
    }
  };
  const retry = async () => {
    setBusy(true);
    try {
      const result = (await retryItem(api, item)) as { status?: string; reason?: string };
      onNotice?.({
        message:
          result.status === "skipped" || result.status === "deferred" ? `Retry ${result.status}: ${result.reason ?? ""}` : "Retry queued.",
      });
      await markInbox(api, queryClient, company.id, "read", [item.key]);
    } catch (error) {
      onNotice?.({ message: describeError(error) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className={`inbox-row${item.unread ? " is-unread" : ""}`} aria-label={`${item.unread ? "Unread: " : ""}${name}`}>
      <span className="inbox-dot" aria-hidden="true" />
      <div className="inbox-main">
        <div className="inbox-head">
          <Badge status={item.kind} label={INBOX_KIND_LABELS[item.kind]} tone={KIND_TONE[item.kind]} />{" "}
          <Link
            to={itemHref(base, item)}
            className="inbox-title"
            onClick={() => {
              if (item.unread) void markInbox(api, queryClient, company.id, "read", [item.key]).catch(() => {});
            }}
          >
            {item.title}
          </Link>
        </div>
        <p className="muted inbox-detail">
          {item.detail ? `${item.detail} · ` : ""}
          <time dateTime={item.createdAt} title={new Date(item.createdAt).toLocaleString()}>
            {relativeTime(item.createdAt)}
          </time>
          {!compact && item.links.run && item.links.issue ? (
            <>
              {" · "}
              <Link to={`${base}${item.links.run}`}>run</Link>
            </>
          ) : null}
        </p>
      </div>
      <div className="inbox-actions">
        {item.kind === "run_failed" && !item.archived ? (
          <button type="button" className="secondary" disabled={busy} onClick={retry}>
            Retry
          </button>
        ) : null}
        {!compact ? (
          <button type="button" className="secondary" disabled={busy} onClick={() => mark(item.unread ? "read" : "unread")}>
            {item.unread ? "Mark read" : "Mark unread"}
          </button>
        ) : null}
        <button
          type="button"
          className="secondary"
          disabled={busy}
          onClick={() => mark(item.archived ? "unarchive" : "archive")}
          aria-label={`${item.archived ? "Restore" : "Archive"} ${name}`}
        >
          {item.archived ? "Restore" : "Archive"}
        </button>
      </div>
    </li>
  );
}
