import type { QueryClient } from "@tanstack/react-query";
import { matchPath } from "react-router";
import type { StapleClient } from "../api/client.js";
import { queries } from "../api/queries.js";
import { catalogQueries } from "./catalog.js";
import { issueListFilters, readIssueView } from "./issue-filters.js";
import { pageChunks } from "./page-chunks.js";

/**
 * The first load without a waterfall. Rendered in order, a cold load of a company page would ask
 * for the company list, wait for it, then load the page's chunk, and only then ask for the page's
 * data. Here, before the first render, the page's chunk and the requests its first screen needs
 * start together: the shell's (companies, agents) and the page's own, under the very query keys
 * the components use (so the components find them in the cache or in flight and ask nothing twice).
 *
 * Only reads, and only what the page would ask for anyway; a 401 lands in the cache like any
 * answer and the shell shows the sign-in screen as it would have.
 */
export function prefetchForLocation(queryClient: QueryClient, api: StapleClient, location: { pathname: string; search: string }): void {
  const company = matchPath({ path: "/c/:companyId", end: false }, location.pathname);
  void queryClient.prefetchQuery(queries.companies(api));
  const companyId = company?.params.companyId;
  if (!companyId) return;
  void queryClient.prefetchQuery(queries.agents(api, companyId));
  const rest = location.pathname.slice(company.pathnameBase.length).replace(/\/+$/, "");
  if (rest === "/issues") {
    void pageChunks.issues();
    void queryClient.prefetchQuery(queries.issues(api, companyId, issueListFilters(readIssueView(new URLSearchParams(location.search)))));
    void queryClient.prefetchQuery(queries.labels(api, companyId));
    void queryClient.prefetchQuery(catalogQueries.projects(api, companyId));
  } else if (rest === "") {
    void pageChunks.dashboard();
    void queryClient.prefetchQuery(queries.dashboard(api, companyId));
  } else if (rest === "/inbox") {
    void pageChunks.inbox();
  } else if (/^\/issues\/[^/]+$/.test(rest) && rest !== "/issues/new") {
    void pageChunks.issue();
  }
}
