import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { startTransition, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { ISSUE_PRIORITIES } from "@staple/contracts";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { Issue } from "../api/types.js";
import { IssueAssigneeCell, IssueStatusCell } from "../components/issue-row-edits.js";
import { LabelChips } from "../components/label-chip.js";
import { MultiSelect } from "../components/multi-select.js";
import { QueryState } from "../components/query-state.js";
import { ErrorNote, PageTitle } from "../components/ui.js";
import { catalogQueries } from "../lib/catalog.js";
import { useCompany } from "../lib/company-context.js";
import { relativeTime } from "../lib/format.js";
import { useListKeys } from "../lib/hotkeys.js";
import {
  applyIssueView,
  GROUP_KEYS,
  groupIssues,
  ISSUE_FETCH_LIMIT,
  issueListFilters,
  NONE,
  readIssueView,
  SORT_KEYS,
  statusFilterValues,
  toggleStatus,
  toggleValue,
  type GroupKey,
  type ListFilter,
} from "../lib/issue-filters.js";
import { foldSimilar, type ListEntry } from "../lib/issue-folds.js";
import { paginate, PAGE_SIZE } from "../lib/paginate.js";
import { queryKeys } from "../lib/query-keys.js";
import { useReadOnly } from "../lib/use-read-only.js";
import { withQuery } from "../lib/routes.js";
import { ALL_ISSUE_STATUSES, BOARD_COLUMNS, groupByStatus, humanize, OPEN_ISSUE_STATUSES } from "../lib/status.js";

export { statusFilterValues };

/** Cards a board column shows at first and adds per "Show more" (a column is never cut off for good). */
const BOARD_COLUMN_CARDS = 20;
const BOARD_COLUMN_MORE = 50;
/**
 * Rows the list draws in its first pass, about a tall screen's worth: the rest of the page (up to
 * PAGE_SIZE rows, or every row of a grouped list) follows in the next task, once these are painted.
 */
export const FIRST_PASS_ROWS = 30;
/** Typing settles this long before the URL follows (the list itself filters on every key). */
const SEARCH_URL_DELAY_MS = 250;

export function IssuesPage() {
  const { company, base, agents, agentName } = useCompany();
  const loc = useLocation();
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const view = useMemo(() => readIssueView(search), [search]);
  const mode = search.get("view") === "board" ? "board" : "list";
  const page = Number(search.get("page") ?? "1");
  const statuses = statusFilterValues(view.status);
  const [searchText, setSearchText] = useState(view.q);
  const set = useCallback(
    (changes: Record<string, string | number | null>, replace = false) => navigate(withQuery(loc, { ...changes, page: null }), { replace }),
    [loc, navigate],
  );
  // Search as you type: the rows follow each key, the URL (replaced, not pushed) once typing pauses.
  useEffect(() => {
    if (searchText.trim() === view.q) return;
    const t = setTimeout(() => set({ q: searchText.trim() || null }, true), SEARCH_URL_DELAY_MS);
    return () => clearTimeout(t);
  }, [searchText, view.q, set]);

  const api = useApi();
  const labels = useQuery(queries.labels(api, company.id)).data ?? [];
  const projects = useQuery(catalogQueries.projects(api, company.id)).data ?? [];
  const issues = useQuery(queries.issues(api, company.id, issueListFilters(view)));
  const shown = useMemo(() => applyIssueView(issues.data ?? [], { ...view, q: searchText.trim() }), [issues.data, view, searchText]);
  // Look-alike floods are folded before paging, so one fold takes one row of a page.
  const current = useMemo(() => paginate(foldSimilar(shown), page), [shown, page]);
  const projectName = (id: string | null | undefined) =>
    id ? (projects.find((p) => p.id === id)?.name ?? "Unknown project") : "No project";

  const filterOptions: Record<ListFilter, { value: string; label: string }[]> = {
    assignee: [
      { value: NONE, label: "Unassigned" },
      ...agents.filter((a) => a.status !== "terminated" || view.assignee.includes(a.id)).map((a) => ({ value: a.id, label: a.name })),
    ],
    priority: ISSUE_PRIORITIES.map((p) => ({ value: p, label: humanize(p) })),
    project: [{ value: NONE, label: "No project" }, ...projects.map((p) => ({ value: p.id, label: p.name }))],
    label: [{ value: NONE, label: "No label" }, ...labels.map((l) => ({ value: l.id, label: l.name }))],
  };
  const activeFilters = (["assignee", "priority", "project", "label"] as const).filter((f) => view[f].length);

  return (
    <>
      <PageTitle title="Issues">Issues</PageTitle>
      <div className="filter-bar" role="group" aria-label="Issue filters">
        <input
          id="issue-search"
          type="search"
          aria-label="Search issues"
          aria-keyshortcuts="/"
          value={searchText}
          onChange={(e) => setSearchText(e.target.value)}
          placeholder="Search title or identifier  ( / )"
        />
        <MultiSelect
          label="Status"
          summary={view.status === "open" ? "Open" : view.status === "all" ? "Any" : `${statuses.length}`}
          options={ALL_ISSUE_STATUSES.map((s) => ({ value: s, label: humanize(s) }))}
          selected={view.status === "all" ? [] : statuses}
          onToggle={(s) => set({ status: toggleStatus(view.status, s) })}
          presets={[
            { label: "Open", onClick: () => set({ status: null }) },
            { label: "All", onClick: () => set({ status: "all" }) },
          ]}
        />
        {(["assignee", "priority", "project", "label"] as const).map((f) => (
          <MultiSelect
            key={f}
            label={humanize(f)}
            summary={view[f].length ? `${view[f].length}` : "Any"}
            options={filterOptions[f]}
            selected={view[f]}
            onToggle={(v) => set({ [f]: toggleValue(view[f], v) })}
            presets={view[f].length ? [{ label: "Clear", onClick: () => set({ [f]: null }) }] : []}
          />
        ))}
        <label className="field inline">
          <span className="sr-only">Sort by</span>
          <select
            aria-label="Sort by"
            value={view.sort}
            onChange={(e) => set({ sort: e.target.value === "updated" ? null : e.target.value })}
          >
            {SORT_KEYS.map((k) => (
              <option key={k} value={k}>
                Sort: {k === "identifier" ? "Newest number" : humanize(k)}
              </option>
            ))}
          </select>
        </label>
        {mode === "list" ? (
          <label className="field inline">
            <span className="sr-only">Group by</span>
            <select
              aria-label="Group by"
              value={view.group}
              onChange={(e) => set({ group: e.target.value === "none" ? null : e.target.value })}
            >
              {GROUP_KEYS.map((k) => (
                <option key={k} value={k}>
                  {k === "none" ? "No grouping" : `Group: ${humanize(k)}`}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <div className="segmented" role="group" aria-label="View">
          <Link to={withQuery(loc, { view: null })} aria-current={mode === "list" ? "page" : undefined}>
            List
          </Link>
          <Link to={withQuery(loc, { view: "board", page: null })} aria-current={mode === "board" ? "page" : undefined}>
            Board
          </Link>
        </div>
      </div>
      {activeFilters.length ? (
        <p className="active-filters" aria-live="polite">
          <span className="muted">Filtered by</span>
          {activeFilters.map((f) => (
            <span key={f} className="badge">
              {humanize(f)}:{" "}
              {view[f]
                .map((v) => filterOptions[f].find((o) => o.value === v)?.label ?? (f === "project" ? projectName(v) : "Unknown"))
                .join(", ")}
            </span>
          ))}
          <Link to={withQuery(loc, { assignee: null, priority: null, project: null, label: null, q: null, page: null })}>Clear all</Link>
        </p>
      ) : null}
      <QueryState
        query={{ ...issues, data: issues.data ? shown : undefined }}
        empty={
          <>
            No issues match. <Link to={`${base}/issues/new`}>Create one</Link>.
          </>
        }
      >
        {(list) =>
          mode === "board" ? (
            <Board
              issues={list}
              columns={statuses.length ? statuses : view.status === "all" ? [...BOARD_COLUMNS] : [...OPEN_ISSUE_STATUSES]}
            />
          ) : (
            <>
              <IssueTable
                issues={list}
                pageEntries={current.items}
                group={view.group}
                groupLabel={(k) =>
                  view.group === "assignee"
                    ? k === NONE
                      ? "Unassigned"
                      : agentName(k)
                    : view.group === "project"
                      ? projectName(k === NONE ? null : k)
                      : humanize(k)
                }
              />
              {view.group === "none" ? (
                <Pager
                  page={current.page}
                  pageCount={current.pageCount}
                  from={current.from}
                  to={current.to}
                  total={current.total}
                  capped={(issues.data?.length ?? 0) >= ISSUE_FETCH_LIMIT}
                />
              ) : null}
            </>
          )
        }
      </QueryState>
    </>
  );
}

/**
 * The list: one link (the title) per row, so one tab stop per row; `j`/`k` highlight and focus the
 * next or previous row, Enter opens it. Status and assignee are edited in place (out of the tab
 * order, see issue-row-edits.tsx); a viewer sees them as text.
 */
function IssueTable({
  issues,
  pageEntries,
  group,
  groupLabel,
}: {
  issues: Issue[];
  /** Without grouping: the current page of the folded list. */
  pageEntries: ListEntry<Issue>[];
  group: GroupKey;
  groupLabel: (key: string) => string;
}) {
  const { company, base } = useCompany();
  const readOnly = useReadOnly(company.id);
  const navigate = useNavigate();
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const groups = useMemo(
    () =>
      group === "none"
        ? [{ key: "", count: issues.length, entries: pageEntries }]
        : groupIssues(issues, group).map((g) => ({ key: g.key, count: g.items.length, entries: foldSimilar(g.items) })),
    [issues, pageEntries, group],
  );
  // Rows as shown: a folded group contributes its members only while expanded.
  const shownRows = useMemo(
    () =>
      groups.map((g) =>
        g.entries.map((e) =>
          e.kind === "item" ? { entry: e, rows: [e.item] } : { entry: e, rows: expanded.has(`${g.key}/${e.key}`) ? e.items : [] },
        ),
      ),
    [groups, expanded],
  );
  const flat = useMemo(() => shownRows.flatMap((g) => g.flatMap((e) => e.rows)), [shownRows]);
  const complete = useAfterFirstPaint();
  // The first pass stops drawing once FIRST_PASS_ROWS rows are out (a fold's head counts as one).
  let budget = complete ? Number.POSITIVE_INFINITY : FIRST_PASS_ROWS;
  const toggle = (id: string) =>
    setExpanded((open) => {
      const next = new Set(open);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const [active, setActive] = useState(-1);
  const body = useRef<HTMLTableElement>(null);
  const focusRow = useCallback((index: number) => {
    setActive(index);
    body.current?.querySelector<HTMLAnchorElement>(`tr[data-row="${index}"] a`)?.focus();
  }, []);
  useListKeys(flat.length, (index) => navigate(`${base}/issues/${flat[index]!.identifier}`), active, focusRow);
  let row = -1;
  return (
    <table className="table issues-table" ref={body}>
      <thead>
        <tr>
          <th scope="col">Issue</th>
          <th scope="col">Status</th>
          <th scope="col">Priority</th>
          <th scope="col">Assignee</th>
          <th scope="col">Updated</th>
        </tr>
      </thead>
      {groups.map((g, gi) =>
        budget <= 0 ? null : (
          <tbody key={g.key || "all"}>
            {group !== "none" ? (
              <tr className="group-head">
                <th scope="colgroup" colSpan={5}>
                  {groupLabel(g.key)} <span className="count">{g.count}</span>
                </th>
              </tr>
            ) : null}
            {shownRows[gi]!.flatMap(({ entry, rows }) => {
              if (budget <= 0) return [];
              budget -= entry.kind === "fold" ? 1 + rows.length : 1;
              const foldId = entry.kind === "fold" ? `${g.key}/${entry.key}` : "";
              const head =
                entry.kind === "fold" ? (
                  <tr key={`fold:${foldId}`} className="fold-head" data-fold={entry.items.length}>
                    <td colSpan={5}>
                      <button type="button" className="link-button" aria-expanded={expanded.has(foldId)} onClick={() => toggle(foldId)}>
                        <span aria-hidden="true">{expanded.has(foldId) ? "▾" : "▸"}</span> {entry.items.length} similar issues
                      </button>{" "}
                      <span className="muted">like “{entry.title}”</span>
                    </td>
                  </tr>
                ) : null;
              return [head, ...rows.map((i) => issueRow(i, entry.kind === "fold"))];
            })}
          </tbody>
        ),
      )}
    </table>
  );

  function issueRow(i: Issue, folded: boolean) {
    row += 1;
    const index = row;
    return (
      <tr
        key={i.id}
        data-row={index}
        className={[index === active ? "active" : "", folded ? "folded" : ""].join(" ").trim() || undefined}
        data-issue-id={i.id}
      >
        <td className="title-cell">
          <span className="mono ident-cell">{i.identifier}</span>{" "}
          <Link to={`${base}/issues/${i.identifier}`} onFocus={() => setActive(index)}>
            {i.title}
          </Link>{" "}
          <LabelChips labels={i.labels} />
        </td>
        <td className="row-edit-cell">
          <IssueStatusCell issue={i} readOnly={readOnly} />
        </td>
        <td>
          <span className={`priority prio-${i.priority}`}>{humanize(i.priority)}</span>
        </td>
        <td className="row-edit-cell">
          <IssueAssigneeCell issue={i} readOnly={readOnly} />
        </td>
        <td className="muted">{relativeTime(i.updatedAt)}</td>
      </tr>
    );
  }
}

/**
 * False for the first render, true from the task after that render was painted (a frame later),
 * or after 100 ms where frames do not come (a hidden tab). The second render is a transition, so
 * typing or a click on the first rows is not held up by drawing the rest.
 */
function useAfterFirstPaint(): boolean {
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (done) return;
    let frame = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      clearTimeout(timer);
      if (frame) cancelAnimationFrame(frame);
      startTransition(() => setDone(true));
    };
    timer = setTimeout(finish, 100);
    if (typeof requestAnimationFrame === "function")
      frame = requestAnimationFrame(() => {
        frame = 0;
        clearTimeout(timer);
        timer = setTimeout(finish, 0);
      });
    return () => {
      clearTimeout(timer);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [done]);
  return done;
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

/**
 * Columns by status. A card can be dragged to another column: the move shows at once and is sent
 * as a status PATCH; a refused move puts the card back and says why.
 */
function Board({ issues, columns }: { issues: Issue[]; columns: string[] }) {
  const { company, base, agentName } = useCompany();
  const loc = useLocation();
  const api = useApi();
  const queryClient = useQueryClient();
  const dragged = useRef<string | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const [moved, setMoved] = useState<Record<string, Issue["status"]>>({});
  const [limits, setLimits] = useState<Record<string, number>>({});
  const move = useMutation({
    mutationFn: ({ id, status }: { id: string; status: Issue["status"] }) =>
      unwrap(api.PATCH("/api/issues/{id}", { params: { path: { id } }, body: { status } })),
    // The override lasts until the list has been read again (moved, or put back on an error).
    onSettled: async (_data, _error, { id }) => {
      await queryClient.invalidateQueries({ queryKey: queryKeys.issues(company.id) });
      setMoved(({ [id]: _done, ...rest }) => rest);
    },
  });
  const shown = useMemo(() => issues.map((i) => (moved[i.id] ? { ...i, status: moved[i.id]! } : i)), [issues, moved]);
  const groups = useMemo(() => groupByStatus(shown, columns).filter((g) => columns.includes(g.status) || g.items.length), [shown, columns]);
  const drop = (status: string) => {
    const id = dragged.current;
    dragged.current = null;
    setOver(null);
    const issue = shown.find((i) => i.id === id);
    if (!issue || issue.status === status) return;
    setMoved((m) => ({ ...m, [issue.id]: status as Issue["status"] }));
    move.mutate({ id: issue.id, status: status as Issue["status"] });
  };
  return (
    <>
      <ErrorNote error={move.error} />
      <div className="board" aria-label="Issues by status">
        {groups.map((g) => (
          <section
            key={g.status}
            className={over === g.status ? "column drop-target" : "column"}
            aria-labelledby={`col-${g.status}`}
            data-status={g.status}
            onDragOver={(e) => {
              if (!dragged.current) return;
              e.preventDefault();
              setOver(g.status);
            }}
            onDragLeave={() => setOver((o) => (o === g.status ? null : o))}
            onDrop={(e) => {
              e.preventDefault();
              drop(g.status);
            }}
          >
            <h2 id={`col-${g.status}`}>
              {humanize(g.status)} <span className="count">{g.items.length}</span>
            </h2>
            <ul>
              {g.items.slice(0, limits[g.status] ?? BOARD_COLUMN_CARDS).map((i) => (
                <li
                  key={i.id}
                  className="issue-card"
                  draggable
                  data-issue-id={i.id}
                  onDragStart={(e) => {
                    dragged.current = i.id;
                    e.dataTransfer?.setData("text/plain", i.identifier);
                  }}
                  onDragEnd={() => {
                    dragged.current = null;
                    setOver(null);
                  }}
                >
                  <Link to={`${base}/issues/${i.identifier}`} draggable={false}>
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
            {g.items.length > (limits[g.status] ?? BOARD_COLUMN_CARDS) ? (
              <p className="more">
                <button
                  type="button"
                  className="secondary small"
                  onClick={() => setLimits((l) => ({ ...l, [g.status]: (l[g.status] ?? BOARD_COLUMN_CARDS) + BOARD_COLUMN_MORE }))}
                >
                  Show {Math.min(BOARD_COLUMN_MORE, g.items.length - (limits[g.status] ?? BOARD_COLUMN_CARDS))} more
                </button>{" "}
                <Link to={withQuery(loc, { status: g.status, view: null, page: null })}>Show all {g.items.length} as a list</Link>
              </p>
            ) : null}
          </section>
        ))}
      </div>
    </>
  );
}
