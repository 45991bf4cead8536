import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { useApi } from "../api/context.js";
import { InboxRow, type RowNotice } from "../components/inbox-rows.js";
import { QueryState } from "../components/query-state.js";
import { Empty, PageTitle } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { groupByDay, inboxQueries, markInbox, type InboxView } from "../lib/inbox.js";

/**
 * What needs the person, newest first and grouped by day: failed runs named by their issue,
 * blocked issues, pending approvals, open questions and mentions of the board. Items leave by
 * themselves when the data says they are settled (a later run succeeded, the issue closed, the
 * approval was decided); archiving hides one until it changes again. The view (inbox or archived)
 * is kept in the URL.
 */
export function InboxPage() {
  const { company } = useCompany();
  const api = useApi();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const view: InboxView = params.get("view") === "archived" ? "archived" : "active";
  const list = useQuery(inboxQueries.list(api, company.id, view));
  const [notice, setNotice] = useState<RowNotice | null>(null);
  const unreadKeys = (list.data?.items ?? []).filter((i) => i.unread).map((i) => i.key);

  const setView = (next: InboxView) => {
    setNotice(null);
    setParams(next === "active" ? {} : { view: next }, { replace: true });
  };

  return (
    <>
      <PageTitle
        title="Inbox"
        actions={
          view === "active" && unreadKeys.length ? (
            <button
              type="button"
              className="secondary"
              onClick={() => void markInbox(api, queryClient, company.id, "read", unreadKeys).catch(() => {})}
            >
              Mark all read
            </button>
          ) : undefined
        }
      >
        Inbox
      </PageTitle>
      <p className="lede">
        {list.data
          ? `${list.data.unread} unread · ${list.data.total} in the inbox`
          : "What needs you: failed runs, blocked issues, approvals, questions and mentions."}
      </p>
      <fieldset className="inbox-tabs">
        <legend className="sr-only">Inbox view</legend>
        <button
          type="button"
          className={view === "active" ? "" : "secondary"}
          aria-pressed={view === "active"}
          onClick={() => setView("active")}
        >
          Inbox
        </button>
        <button
          type="button"
          className={view === "archived" ? "" : "secondary"}
          aria-pressed={view === "archived"}
          onClick={() => setView("archived")}
        >
          Archived
        </button>
      </fieldset>
      <p className="inbox-notice" role="status" aria-live="polite">
        {notice ? (
          <>
            {notice.message}{" "}
            {notice.undo ? (
              <button
                type="button"
                className="link-button"
                onClick={() => {
                  notice.undo?.();
                  setNotice(null);
                }}
              >
                Undo
              </button>
            ) : null}
          </>
        ) : null}
      </p>
      <QueryState query={list} loadingLabel="Loading the inbox…">
        {(data) =>
          data.items.length === 0 ? (
            <Empty>{view === "archived" ? "Nothing archived." : "Nothing needs you right now."}</Empty>
          ) : (
            groupByDay(data.items).map((group) => (
              <section key={group.label} className="inbox-group" aria-label={group.label}>
                <h2 className="inbox-day">{group.label}</h2>
                <ul className="plain inbox-list">
                  {group.items.map((item) => (
                    <InboxRow key={item.key} item={item} onNotice={setNotice} />
                  ))}
                </ul>
              </section>
            ))
          )
        }
      </QueryState>
    </>
  );
}
