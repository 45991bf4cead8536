import { useQuery } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { Issue } from "../api/types.js";
import { LabelChips } from "../components/label-chip.js";
import { QueryState } from "../components/query-state.js";
import { Badge, PageTitle } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { relativeTime } from "../lib/format.js";
import { paginate, PAGE_SIZE } from "../lib/paginate.js";
import { withQuery } from "../lib/routes.js";
import { ALL_ISSUE_STATUSES, BOARD_COLUMNS, groupByStatus, humanize, OPEN_ISSUE_STATUSES } from "../lib/status.js";

/** The server returns at most 1000 issues per request; the page renders PAGE_SIZE of them. */
const FETCH_LIMIT = 1000;
/** Cards per board column before "show all". */
const BOARD_COLUMN_CARDS = 20;

export function statusFilterValues(filter: string): string[] {
  if (filter === "open") return [...OPEN_ISSUE_STATUSES];
  if (filter === "all" || !filter) return [];
  return filter.split(",").filter((s) => (ALL_ISSUE_STATUSES as readonly string[]).includes(s));
}

export function IssuesPage() {
  const { company, base, agentName } = useCompany();
  const loc = useLocation();
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const filter = search.get("status") ?? "open";
  const view = search.get("view") === "board" ? "board" : "list";
  const q = search.get("q") ?? "";
  const labelId = search.get("label") ?? "";
  const page = Number(search.get("page") ?? "1");
  const statuses = statusFilterValues(filter);
  const [searchText, setSearchText] = useState(q);

  const api = useApi();
  const labels = useQuery(queries.labels(api, company.id));
  const issues = useQuery(
    queries.issues(api, company.id, {
      status: statuses.join(",") || undefined,
      q: q || undefined,
      labelId: labelId || undefined,
      limit: FETCH_LIMIT,
    }),
  );
  const current = useMemo(() => paginate(issues.data ?? [], page), [issues.data, page]);

  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    navigate(withQuery(loc, { q: searchText.trim() || null, page: null }));
  };

  return (
    <>
      <PageTitle
        title="Issues"
        actions={
          <Link to={`${base}/issues/new`} className="button">
            New issue
          </Link>
        }
      >
        Issues
      </PageTitle>
      <div className="toolbar" role="group" aria-label="Issue filters">
        <div className="field inline">
          <label htmlFor="status-filter">Status</label>
          <select id="status-filter" value={filter} onChange={(e) => navigate(withQuery(loc, { status: e.target.value, page: null }))}>
            <option value="open">Open (not done or cancelled)</option>
            <option value="all">All</option>
            {ALL_ISSUE_STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </div>
        <div className="field inline">
          <label htmlFor="label-filter">Label</label>
          <select
            id="label-filter"
            value={labelId}
            onChange={(e) => navigate(withQuery(loc, { label: e.target.value || null, page: null }))}
          >
            <option value="">Any label</option>
            {/* A label in the URL that is not (yet) in the list still shows as selected. */}
            {labelId && labels.data && !labels.data.some((l) => l.id === labelId) ? <option value={labelId}>Unknown label</option> : null}
            {(labels.data ?? []).map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
        </div>
        <form onSubmit={onSearch} className="field inline" role="search">
          <label htmlFor="issue-search">Search</label>
          <input
            id="issue-search"
            type="search"
            value={searchText}
            onChange={(e) => setSearchText(e.target.value)}
            placeholder="Title or identifier"
          />
          <button type="submit" className="secondary">
            Search
          </button>
        </form>
        <div className="segmented" role="group" aria-label="View">
          <Link to={withQuery(loc, { view: null })} aria-current={view === "list" ? "page" : undefined}>
            List
          </Link>
          <Link to={withQuery(loc, { view: "board", page: null })} aria-current={view === "board" ? "page" : undefined}>
            Board
          </Link>
        </div>
      </div>
      <QueryState
        query={issues}
        empty={
          <>
            No issues match. <Link to={`${base}/issues/new`}>Create one</Link>.
          </>
        }
      >
        {(list) =>
          view === "board" ? (
            <Board issues={list} columns={statuses.length ? statuses : filter === "all" ? [...BOARD_COLUMNS] : [...OPEN_ISSUE_STATUSES]} />
          ) : (
            <>
              <table className="table issues-table">
                <thead>
                  <tr>
                    <th scope="col">ID</th>
                    <th scope="col">Title</th>
                    <th scope="col">Status</th>
                    <th scope="col">Priority</th>
                    <th scope="col">Assignee</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {current.items.map((i) => (
                    <tr key={i.id}>
                      <td className="mono">
                        <Link to={`${base}/issues/${i.identifier}`}>{i.identifier}</Link>
                      </td>
                      <td>
                        <Link to={`${base}/issues/${i.identifier}`}>{i.title}</Link> <LabelChips labels={i.labels} />
                      </td>
                      <td>
                        <Badge status={i.status} />
                      </td>
                      <td>
                        <span className={`priority prio-${i.priority}`}>{humanize(i.priority)}</span>
                      </td>
                      <td>{agentName(i.assigneeAgentId)}</td>
                      <td>{relativeTime(i.updatedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Pager
                page={current.page}
                pageCount={current.pageCount}
                from={current.from}
                to={current.to}
                total={current.total}
                capped={list.length >= FETCH_LIMIT}
              />
            </>
          )
        }
      </QueryState>
    </>
  );
}

function Pager({
  page,
  pageCount,
  from,
  to,
  total,
  capped,
}: {
  page: number;
  pageCount: number;
  from: number;
  to: number;
  total: number;
  capped: boolean;
}) {
  const loc = useLocation();
  return (
    <nav className="pager" aria-label="Pages">
      <span role="status">
        {from}–{to} of {total}
        {capped ? "+" : ""} (up to {PAGE_SIZE} per page)
      </span>
      {page > 1 ? (
        <Link to={withQuery(loc, { page: page - 1 })} className="button secondary small" rel="prev">
          ← Previous
        </Link>
      ) : null}
      <span>
        Page {page} of {pageCount}
      </span>
      {page < pageCount ? (
        <Link to={withQuery(loc, { page: page + 1 })} className="button secondary small" rel="next">
          Next →
        </Link>
      ) : null}
    </nav>
  );
}

function Board({ issues, columns }: { issues: Issue[]; columns: string[] }) {
  const { base, agentName } = useCompany();
  const loc = useLocation();
  const groups = useMemo(
    () => groupByStatus(issues, columns).filter((g) => columns.includes(g.status) || g.items.length),
    [issues, columns],
  );
  return (
    <div className="board" aria-label="Issues by status">
      {groups.map((g) => (
        <section key={g.status} className="column" aria-labelledby={`col-${g.status}`}>
          <h2 id={`col-${g.status}`}>
            {humanize(g.status)} <span className="count">{g.items.length}</span>
          </h2>
          <ul>
            {g.items.slice(0, BOARD_COLUMN_CARDS).map((i) => (
              <li key={i.id} className="issue-card">
                <Link to={`${base}/issues/${i.identifier}`}>
                  <span className="mono muted">{i.identifier}</span> {i.title}
                </Link>
                <LabelChips labels={i.labels} />
                <div className="card-meta">
                  <span className={`priority prio-${i.priority}`}>{humanize(i.priority)}</span>
                  <span className="muted">{i.assigneeAgentId ? agentName(i.assigneeAgentId) : "Unassigned"}</span>
                </div>
              </li>
            ))}
          </ul>
          {g.items.length > BOARD_COLUMN_CARDS ? (
            <Link to={withQuery(loc, { status: g.status, view: null, page: null })} className="more">
              Show all {g.items.length}
            </Link>
          ) : null}
        </section>
      ))}
    </div>
  );
}
