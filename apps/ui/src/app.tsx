import { QueryClientProvider, useQuery, type QueryClient } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import { Link, Navigate, NavLink, Outlet, useLocation, useNavigate, useNavigationType, useRoutes, type RouteObject } from "react-router";
import type { StapleClient } from "./api/client.js";
import { ApiProvider, useApi } from "./api/context.js";
import { queries } from "./api/queries.js";
import type { Company } from "./api/types.js";
import { QueryState } from "./components/query-state.js";
import { SignInScreen, SignOutButton } from "./components/sign-in.js";
import { useSignedOut } from "./lib/auth.js";
import { CompanyContext, useCompany, type CompanyCtx } from "./lib/company-context.js";
import { LiveProvider, useLiveState } from "./lib/live-context.js";
import { PATHS, useRouteParams } from "./lib/routes.js";
import { ActivityPage } from "./pages/activity.js";
import { AgentPage } from "./pages/agent.js";
import { AgentsPage } from "./pages/agents.js";
import { CliAuthPage, InvitePage, SetupPage } from "./pages/account-links.js";
import { ApprovalRoute, ApprovalsPage } from "./pages/approvals.js";
import { CostsPage } from "./pages/costs.js";
import { DashboardPage } from "./pages/dashboard.js";
import { IssueRoute } from "./pages/issue.js";
import { IssuesPage } from "./pages/issues.js";
import { ImportExportPage } from "./pages/import-export.js";
import { MembersPage } from "./pages/members.js";
import { NewIssuePage } from "./pages/new-issue.js";
import { OnboardingPage } from "./pages/onboarding.js";
import { OrgPage } from "./pages/org.js";
import { RunPage } from "./pages/run.js";
import { RunsPage } from "./pages/runs.js";
import { SecretsPage } from "./pages/secrets.js";

const LAST_COMPANY_KEY = "staple.lastCompany";

/**
 * The board: API client, query cache and routes, inside a router (BrowserRouter in main.tsx; tests
 * use a MemoryRouter and a client over a fake fetch).
 */
export function Board({ queryClient, client }: { queryClient: QueryClient; client?: StapleClient }) {
  return (
    <ApiProvider client={client}>
      <QueryClientProvider client={queryClient}>
        <BoardRoutes />
      </QueryClientProvider>
    </ApiProvider>
  );
}

function BoardRoutes() {
  return useRoutes(routes);
}

/** The route table. Company pages nest under /c/:companyId, which provides the company and its live stream. */
export const routes: RouteObject[] = [
  // Links of authenticated mode that work before any session exists.
  { path: "setup", element: <SetupPage /> },
  { path: "invite/:token", element: <InvitePage /> },
  {
    element: <Root />,
    children: [
      { index: true, element: <Home /> },
      { path: "onboarding", element: <Onboarding /> },
      { path: "cli-auth/:id", element: <CliAuthPage /> },
      {
        path: "c/:companyId",
        element: <CompanyLayout />,
        children: [
          { index: true, element: <DashboardPage /> },
          { path: "issues", element: <IssuesPage /> },
          { path: "issues/new", element: <NewIssuePage /> },
          { path: "issues/:ref", element: <IssueRoute /> },
          { path: "agents", element: <AgentsPage /> },
          { path: "agents/:agentId", element: <AgentRoute /> },
          { path: "org", element: <OrgPage /> },
          { path: "runs", element: <RunsPage /> },
          { path: "runs/:runId", element: <RunRoute /> },
          { path: "activity", element: <ActivityPage /> },
          { path: "costs", element: <CostsPage /> },
          { path: "secrets", element: <SecretsPage /> },
          { path: "import-export", element: <ImportExportPage /> },
          { path: "members", element: <MembersPage /> },
          { path: "approvals", element: <ApprovalsPage /> },
          { path: "approvals/:approvalId", element: <ApprovalRoute /> },
          { path: "*", element: <NotFound /> },
        ],
      },
      { path: "*", element: <NotFound /> },
    ],
  },
];

function useCompanies() {
  return useQuery({ ...queries.companies(useApi()), select: (list) => list.filter((c) => c.status !== "archived") });
}

/** Any 401 (no session cookie, or an expired or revoked one) replaces the whole board. */
function Root() {
  const signedOut = useSignedOut();
  const companies = useCompanies();
  if (signedOut) return <SignInScreen />;
  return (
    <>
      <ScrollToTop />
      {companies.data ? (
        <Outlet />
      ) : (
        <main className="center">
          <h1>Staple</h1>
          <QueryState query={companies} loadingLabel="Loading Staple…">
            {() => null}
          </QueryState>
        </main>
      )}
    </>
  );
}

/** A page opened by a link starts at the top; back and forward keep the browser's own position. */
function ScrollToTop() {
  const { pathname } = useLocation();
  const navigation = useNavigationType();
  useEffect(() => {
    if (navigation !== "POP") window.scrollTo(0, 0);
  }, [pathname, navigation]);
  return null;
}

function Home() {
  const companies = useCompanies().data ?? [];
  if (!companies.length) return <Navigate to={PATHS.onboarding} replace />;
  const last = localStorage.getItem(LAST_COMPANY_KEY);
  const pick = companies.find((c) => c.id === last) ?? companies[0]!;
  return <Navigate to={`/c/${pick.id}`} replace />;
}

function Onboarding() {
  const companies = useCompanies().data ?? [];
  return <OnboardingPage firstRun={companies.length === 0} />;
}

function CompanyLayout() {
  const { companyId } = useRouteParams(PATHS.company);
  const companies = useCompanies().data ?? [];
  const company = companies.find((c) => c.id === companyId);
  useEffect(() => {
    if (company) localStorage.setItem(LAST_COMPANY_KEY, company.id);
  }, [company]);
  if (!company) {
    return (
      <main className="center">
        <h1>Company not found</h1>
        <p>
          <Link to="/">Go to your companies</Link>
        </p>
      </main>
    );
  }
  return (
    <LiveProvider companyId={company.id}>
      <CompanyShell company={company} companies={companies} />
    </LiveProvider>
  );
}

function CompanyShell({ company, companies }: { company: Company; companies: Company[] }) {
  const agents = useQuery(queries.agents(useApi(), company.id)).data;
  const ctx = useMemo<CompanyCtx>(() => {
    const list = agents ?? [];
    const byId = new Map(list.map((a) => [a.id, a]));
    return {
      company,
      companies,
      agents: list,
      agentName: (id) => (id ? (byId.get(id)?.name ?? "Unknown agent") : "Unassigned"),
      base: `/c/${company.id}`,
    };
  }, [company, companies, agents]);
  return (
    <CompanyContext.Provider value={ctx}>
      <Layout />
    </CompanyContext.Provider>
  );
}

const NAV = [
  { path: "", label: "Dashboard" },
  { path: "/issues", label: "Issues" },
  { path: "/approvals", label: "Approvals" },
  { path: "/agents", label: "Agents" },
  { path: "/org", label: "Org chart" },
  { path: "/runs", label: "Runs" },
  { path: "/costs", label: "Costs" },
  { path: "/secrets", label: "Secrets" },
  { path: "/members", label: "Members" },
  { path: "/activity", label: "Activity" },
  { path: "/import-export", label: "Import/export" },
];

function Layout() {
  const live = useLiveState();
  const navigate = useNavigate();
  const { company, companies, base } = useCompany();
  const pendingApprovals =
    useQuery({ ...queries.approvals(useApi(), company.id), select: (list) => list.filter((a) => a.status === "pending").length }).data ?? 0;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to={base} className="brand" aria-label="Staple home">
          <span className="logo" aria-hidden="true">
            S
          </span>
          Staple
        </Link>
        <div className="switcher">
          <label htmlFor="company-switcher">Company</label>
          <select
            id="company-switcher"
            value={company.id}
            onChange={(e) => navigate(e.target.value === "__new" ? PATHS.onboarding : `/c/${e.target.value}`)}
          >
            {companies.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
            <option value="__new">+ New company…</option>
          </select>
        </div>
        <span className={`live live-${live}`} role="status" aria-live="polite" title="Live updates from the server">
          <span className="dot" aria-hidden="true" />
          {live === "open" ? "Live" : live === "connecting" ? "Connecting…" : "Offline"}
        </span>
        <Link to={`${base}/issues/new`} className="button">
          New issue
        </Link>
      </header>
      <nav className="sidenav" aria-label="Main">
        <ul>
          {NAV.map((n) => (
            <li key={n.path}>
              {/* NavLink marks the current section (aria-current="page"); the dashboard only on its own page. */}
              <NavLink
                to={base + n.path}
                end={n.path === ""}
                aria-label={n.path === "/approvals" && pendingApprovals ? `${n.label} (${pendingApprovals} pending)` : undefined}
              >
                {n.label}
                {n.path === "/approvals" && pendingApprovals ? (
                  <span className="nav-count" aria-hidden="true">
                    {pendingApprovals}
                  </span>
                ) : null}
              </NavLink>
            </li>
          ))}
        </ul>
        {company.status !== "active" ? <p className="badge tone-wait">Company {company.status}</p> : null}
        <SignOutButton />
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}

function AgentRoute() {
  const { agentId } = useRouteParams(PATHS.agent);
  return <AgentPage key={agentId} agentId={agentId} />;
}

function RunRoute() {
  const { runId } = useRouteParams(PATHS.run);
  return <RunPage key={runId} runId={runId} />;
}

function NotFound() {
  const location = useLocation();
  return (
    <div className={location.pathname.startsWith("/c/") ? undefined : "center"}>
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
    </div>
  );
}
