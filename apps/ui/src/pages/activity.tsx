import { useInfiniteQuery } from "@tanstack/react-query";
import { useId } from "react";
import { Link, useSearchParams } from "react-router";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import type { ActivityEntry } from "../api/types.js";
import { Empty, ErrorNote, Loading, PageTitle } from "../components/ui.js";
import { activitySentence, type Segment } from "../lib/activity-sentences.js";
import { useCompany } from "../lib/company-context.js";
import { formatTime, relativeTime } from "../lib/format.js";
import { queryKeys } from "../lib/query-keys.js";
import { humanize } from "../lib/status.js";

const PAGE = 50;

/** "issue.comment_added" → "Comment added"; bare actions ("pause") → "Pause" (the issue page's short labels). */
export function describeAction(action: string): string {
  const parts = action.split(".");
  return humanize(parts.length > 1 ? parts.slice(1).join(" ") : action);
}

/** The filters of the page, as the URL keeps them (`?agent=…&entity=…&action=…&from=…&to=…&noise=1`). */
export interface ActivityFilters {
  /** An agent id, or "board" for the board's own actions. */
  agent: string;
  entity: string;
  action: string;
  /** Dates (YYYY-MM-DD), both inclusive as a person reads them. */
  from: string;
  to: string;
  showNoise: boolean;
}

export function readActivityFilters(search: URLSearchParams): ActivityFilters {
  return {
    agent: search.get("agent") ?? "",
    entity: search.get("entity") ?? "",
    action: search.get("action") ?? "",
    from: search.get("from") ?? "",
    to: search.get("to") ?? "",
    showNoise: search.get("noise") === "1",
  };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** The day after a date: the server's `to` is exclusive, the page's "to" includes its day. */
function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The server query of the filters (names of the activity route). Dates are UTC days. */
export function activityQuery(f: ActivityFilters): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.agent === "board") q.actorType = "user";
  else if (f.agent) q.agentId = f.agent;
  if (f.entity) q.entityType = f.entity;
  if (f.action) q.action = f.action;
  if (DATE.test(f.from)) q.from = f.from;
  if (DATE.test(f.to)) q.to = nextDay(f.to);
  if (!f.showNoise) q.hideNoise = "true";
  return q;
}

const ENTITY_TYPES = ["issue", "agent", "heartbeat_run", "approval", "project", "goal", "routine", "company", "secret", "label"];
const ACTIONS = [
  "issue.created",
  "issue.updated",
  "issue.comment_added",
  "issue.thread_interaction_answered",
  "agent.created",
  "agent.hire_approved",
  "agent.updated",
  "agent.paused",
  "agent.resumed",
  "approval.created",
  "approval.approved",
  "approval.rejected",
  "cost.reported",
  "heartbeat.invoked",
  "heartbeat.cancelled",
  "project.created",
  "goal.created",
];

export function ActivityPage() {
  const { company } = useCompany();
  const api = useApi();
  const [search, setSearch] = useSearchParams();
  const filters = readActivityFilters(search);
  const query = activityQuery(filters);
  const feed = useInfiniteQuery({
    // Under the company's activity key, so live activity events refresh every filtered view.
    queryKey: [...queryKeys.activity(company.id), query],
    initialPageParam: "",
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/companies/{companyId}/activity", {
          params: {
            path: { companyId: company.id },
            query: { ...query, limit: String(PAGE), ...(pageParam ? { cursor: pageParam } : {}) },
          },
        }),
      ),
    getNextPageParam: (last: ActivityEntry[]) => (last.length === PAGE ? last[last.length - 1]!.id : undefined),
  });
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    setSearch(next, { replace: true });
  };
  const csv = `/api/companies/${company.id}/activity.csv?${new URLSearchParams(query).toString()}`;
  const entries = feed.data?.pages.flat() ?? [];
  return (
    <>
      <PageTitle
        title="Activity"
        actions={
          <a className="button secondary" href={csv} download>
            Export CSV
          </a>
        }
      >
        Activity
      </PageTitle>
      <FilterBar filters={filters} set={set} />
      {feed.isPending ? (
        <Loading label="Loading activity…" />
      ) : feed.isError ? (
        <ErrorNote error={feed.error} />
      ) : entries.length === 0 ? (
        <Empty>{search.toString() ? "Nothing matches these filters." : "Nothing has happened yet."}</Empty>
      ) : (
        <>
          <Feed entries={entries} />
          {feed.hasNextPage ? (
            <button type="button" className="secondary load-more" onClick={() => feed.fetchNextPage()} disabled={feed.isFetchingNextPage}>
              {feed.isFetchingNextPage ? "Loading…" : "Show older activity"}
            </button>
          ) : null}
        </>
      )}
    </>
  );
}

function FilterBar({ filters, set }: { filters: ActivityFilters; set: (key: string, value: string) => void }) {
  const { agents } = useCompany();
  const id = useId();
  return (
    <form className="filter-bar activity-filters" aria-label="Filter activity" onSubmit={(e) => e.preventDefault()}>
      <label htmlFor={`${id}-agent`}>
        Who
        <select id={`${id}-agent`} value={filters.agent} onChange={(e) => set("agent", e.target.value)}>
          <option value="">Everyone</option>
          <option value="board">The board</option>
          {agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${id}-entity`}>
        About
        <select id={`${id}-entity`} value={filters.entity} onChange={(e) => set("entity", e.target.value)}>
          <option value="">Anything</option>
          {ENTITY_TYPES.map((t) => (
            <option key={t} value={t}>
              {t === "heartbeat_run" ? "Runs" : `${humanize(t)}s`}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${id}-action`}>
        Action
        <select id={`${id}-action`} value={filters.action} onChange={(e) => set("action", e.target.value)}>
          <option value="">Any action</option>
          {(ACTIONS.includes(filters.action) || !filters.action ? ACTIONS : [filters.action, ...ACTIONS]).map((a) => (
            <option key={a} value={a}>
              {humanize(a.replace(".", ": ").replace(/_/g, " "))}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${id}-from`}>
        From
        <input
          id={`${id}-from`}
          type="date"
          value={filters.from}
          max={filters.to || undefined}
          onChange={(e) => set("from", e.target.value)}
        />
      </label>
      <label htmlFor={`${id}-to`}>
        To
        <input id={`${id}-to`} type="date" value={filters.to} min={filters.from || undefined} onChange={(e) => set("to", e.target.value)} />
      </label>
      <label className="check" htmlFor={`${id}-noise`}>
        <input id={`${id}-noise`} type="checkbox" checked={filters.showNoise} onChange={(e) => set("noise", e.target.checked ? "1" : "")} />
        Show lease and claim rows
      </label>
    </form>
  );
}

function SegmentView({ segment }: { segment: Segment }) {
  const { base } = useCompany();
  if (typeof segment === "string") return segment;
  const paths: Partial<Record<typeof segment.ref, string>> = {
    issue: `${base}/issues/${segment.id}`,
    agent: `${base}/agents/${segment.id}`,
    run: `${base}/runs/${segment.id}`,
    approval: `${base}/approvals/${segment.id}`,
    project: `${base}/projects/${segment.id}`,
    goal: `${base}/goals/${segment.id}`,
    routine: `${base}/routines`,
  };
  const to = paths[segment.ref];
  return to ? <Link to={to}>{segment.label}</Link> : segment.label;
}

function Feed({ entries }: { entries: ActivityEntry[] }) {
  const { base, agents } = useCompany();
  const names = new Map(agents.map((a) => [a.id, a.name]));
  const ctx = { agentName: (id: string) => names.get(id) ?? null };
  return (
    <ol className="feed activity-feed" aria-label="Activity, newest first">
      {entries.map((e) => (
        <li key={e.id} data-action={e.action}>
          <time dateTime={e.createdAt} title={formatTime(e.createdAt)} className="muted">
            {relativeTime(e.createdAt)}
          </time>
          <span className="activity-sentence">
            {activitySentence(e, ctx).map((s, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: segments of one sentence never reorder
              <SegmentView key={i} segment={s} />
            ))}
            {e.runId ? (
              <>
                {" "}
                <Link to={`${base}/runs/${e.runId}`} className="muted">
                  (run {e.runId.slice(0, 8)})
                </Link>
              </>
            ) : null}
          </span>
        </li>
      ))}
    </ol>
  );
}
