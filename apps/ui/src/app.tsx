import { QueryClientProvider, useQuery, type QueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useMemo, useState, type ComponentType } from "react";
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
import { loadedPage, type PageChunk, pageChunks } from "./lib/page-chunks.js";
import { PATHS, useRouteParams } from "./lib/routes.js";
import { CommandPalette } from "./components/command-palette.js";
import { Loading } from "./components/ui.js";
import { useGlobalKeys } from "./lib/hotkeys.js";
import { InboxWatcher, useInboxUnread } from "./components/inbox-nav.js";
import { Toasts } from "./components/toast.js";

/**
 * Pages are split out of the first download (the board's budget is 150 KB of compressed JavaScript
 * on first load): each loads on its first visit, behind the shell's Suspense boundary.
 */
function page<K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) {
  return lazy(async () => ({ default: (await load())[name] }));
}
const ActivityPage = page(() => import("./pages/activity.js"), "ActivityPage");
const AgentPage = lazy(async () => ({ default: (await import("./pages/agent.js")).AgentPage }));
const AgentsPage = page(() => import("./pages/agents.js"), "AgentsPage");
const ApprovalRoute = page(() => import("./pages/approvals.js"), "ApprovalRoute");
const ApprovalsPage = page(() => import("./pages/approvals.js"), "ApprovalsPage");
const CostsPage = page(() => import("./pages/costs.js"), "CostsPage");
/**
 * A landing page (lib/page-chunks.ts): rendered lazily like the others, or at once when its chunk
 * has loaded already (the boot prefetch starts it with the first requests), so the first render
 * draws the page instead of a fallback and then the page. Chosen once per mount; each route has
 * its own wrapper, so moving between them mounts the other page.
 */
type PageModule = Record<string, ComponentType>;
function landing(chunk: PageChunk, name: string) {
  return { chunk, name, lazy: page(pageChunks[chunk] as () => Promise<PageModule>, name) as ComponentType };
}
function LandingPage({ chunk, name, lazy: Lazy }: ReturnType<typeof landing>) {
  const [Page] = useState<ComponentType>(() => (loadedPage(chunk) as PageModule | undefined)?.[name] ?? Lazy);
  return <Page />;
}
const dashboardPage = landing("dashboard", "DashboardPage");
const issueRoute = landing("issue", "IssueRoute");
const issuesPage = landing("issues", "IssuesPage");
const inboxPage = landing("inbox", "InboxPage");
const DashboardPage = () => <LandingPage {...dashboardPage} />;
const IssueRoute = () => <LandingPage {...issueRoute} />;
const IssuesPage = () => <LandingPage {...issuesPage} />;
const InboxPage = () => <LandingPage {...inboxPage} />;
const MembersPage = page(() => import("./pages/members.js"), "MembersPage");
const MyKeysPage = page(() => import("./pages/my-keys.js"), "MyKeysPage");
const SetupPage = page(() => import("./pages/account-links.js"), "SetupPage");
const InvitePage = page(() => import("./pages/account-links.js"), "InvitePage");
const CliAuthPage = page(() => import("./pages/account-links.js"), "CliAuthPage");
const NewIssuePage = page(() => import("./pages/new-issue.js"), "NewIssuePage");
const OnboardingPage = lazy(async () => ({ default: (await import("./pages/onboarding.js")).OnboardingPage }));
const OrgPage = page(() => import("./pages/org.js"), "OrgPage");
const ProjectsPage = page(() => import("./pages/projects.js"), "ProjectsPage");
const ProjectRoute = page(() => import("./pages/projects.js"), "ProjectRoute");
const GoalsPage = page(() => import("./pages/goals.js"), "GoalsPage");
const GoalRoute = page(() => import("./pages/goals.js"), "GoalRoute");
const RunPage = lazy(async () => ({ default: (await import("./pages/run.js")).RunPage }));
const RunsPage = page(() => import("./pages/runs.js"), "RunsPage");
const SecretsPage = page(() => import("./pages/secrets.js"), "SecretsPage");
const RunnersPage = page(() => import("./pages/runners.js"), "RunnersPage");
const RoutinesPage = page(() => import("./pages/routines.js"), "RoutinesPage");
const ImportExportPage = page(() => import("./pages/import-export.js"), "ImportExportPage");
const CompanySettingsPage = page(() => import("./pages/company-settings.js"), "CompanySettingsPage");

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
  {
    path: "setup",
    element: (
      <Suspense fallback={<Loading />}>
        <SetupPage />
      </Suspense>
    ),
  },
  {
    path: "invite/:token",
    element: (
      <Suspense fallback={<Loading />}>
        <InvitePage />
      </Suspense>
    ),
  },
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
          { path: "inbox", element: <InboxPage /> },
          { path: "issues", element: <IssuesPage /> },
          { path: "issues/new", element: <NewIssuePage /> },
          { path: "issues/:ref", element: <IssueRoute /> },
          { path: "agents", element: <AgentsPage /> },
          { path: "agents/:agentId", element: <AgentRoute /> },
          { path: "org", element: <OrgPage /> },
          { path: "projects", element: <ProjectsPage /> },
          { path: "projects/:projectId", element: <ProjectRoute /> },
          { path: "goals", element: <GoalsPage /> },
          { path: "goals/:goalId", element: <GoalRoute /> },
          { path: "runs", element: <RunsPage /> },
          { path: "runs/:runId", element: <RunRoute /> },
          { path: "activity", element: <ActivityPage /> },
          { path: "costs", element: <CostsPage /> },
          { path: "routines", element: <RoutinesPage /> },
          { path: "secrets", element: <SecretsPage /> },
          { path: "runners", element: <RunnersPage /> },
          { path: "import-export", element: <ImportExportPage /> },
          { path: "members", element: <MembersPage /> },
          { path: "my-keys", element: <MyKeysPage /> },
          { path: "settings", element: <CompanySettingsPage /> },
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
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
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
  { path: "/inbox", label: "Inbox" },
  { path: "/issues", label: "Issues" },
  { path: "/projects", label: "Projects" },
  { path: "/goals", label: "Goals" },
  { path: "/approvals", label: "Approvals" },
  { path: "/agents", label: "Agents" },
  { path: "/org", label: "Org chart" },
  { path: "/runs", label: "Runs" },
  { path: "/routines", label: "Routines" },
  { path: "/costs", label: "Costs" },
  { path: "/secrets", label: "Secrets" },
  { path: "/runners", label: "Runners" },
  { path: "/members", label: "Members" },
  { path: "/my-keys", label: "My keys" },
  { path: "/activity", label: "Activity" },
  { path: "/import-export", label: "Import/export" },
  { path: "/settings", label: "Settings" },
];

function Layout() {
  const live = useLiveState();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const { company, companies, base } = useCompany();
  const [menuOpen, setMenuOpen] = useState(false);
  const [paletteOpen, setPaletteOpen] = useState(false);
  const pendingApprovals =
    useQuery({ ...queries.approvals(useApi(), company.id), select: (list) => list.filter((a) => a.status === "pending").length }).data ?? 0;
  const inboxUnread = useInboxUnread(company.id);
  // The narrow-screen menu closes once a link in it was followed.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on navigation only
  useEffect(() => setMenuOpen(false), [pathname]);
  useGlobalKeys({
    palette: () => setPaletteOpen((open) => !open),
    newIssue: () => navigate(`${base}/issues/new`),
    search: () => {
      const box = document.getElementById("issue-search");
      if (box) box.focus();
      else setPaletteOpen(true);
    },
  });
  return (
    <div className={menuOpen ? "shell menu-open" : "shell"}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="menu-toggle secondary"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((open) => !open)}
        >
          <span aria-hidden="true">☰</span> Menu
          {/* On a narrow screen the navigation is folded: the inbox's unread count shows on its button. */}
          {inboxUnread ? (
            <span className="nav-count">
              <span aria-hidden="true">{inboxUnread}</span>
              <span className="sr-only"> ({inboxUnread} unread in the inbox)</span>
            </span>
          ) : null}
        </button>
        <Link to={base} className="brand">
          <span className="logo" aria-hidden="true">
            S
          </span>
          <span className="brand-name">Staple</span>
          <span className="sr-only"> home</span>
        </Link>
        <button type="button" className="palette-open secondary" onClick={() => setPaletteOpen(true)} aria-keyshortcuts="Control+K Meta+K">
          <span>Search…</span>
          <span className="kbd-hint" aria-hidden="true">
            ⌘K
          </span>
        </button>
        <span className={`live live-${live}`} role="status" aria-live="polite" title="Live updates from the server">
          <span className="dot" aria-hidden="true" />
          <span className="live-label">{live === "open" ? "Live" : live === "connecting" ? "Connecting…" : "Offline"}</span>
        </span>
        <Link to={`${base}/issues/new`} className="button" aria-keyshortcuts="c">
          New issue
        </Link>
      </header>
      <nav className="sidenav" id="main-nav" aria-label="Main">
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
        <ul>
          {NAV.map((n) => (
            <li key={n.path}>
              {/* NavLink marks the current section (aria-current="page"); the dashboard only on its own page. */}
              <NavLink to={base + n.path} end={n.path === ""}>
                {n.label}
                {/* Named "Approvals (2 pending)" by its text, not an aria-label that would hide the visible words. */}
                {n.path === "/approvals" && pendingApprovals ? (
                  <span className="nav-count">
                    <span aria-hidden="true">{pendingApprovals}</span>
                    <span className="sr-only"> ({pendingApprovals} pending)</span>
                  </span>
                ) : null}
                {n.path === "/inbox" && inboxUnread ? (
                  <span className="nav-count">
                    <span aria-hidden="true">{inboxUnread}</span>
                    <span className="sr-only"> ({inboxUnread} unread)</span>
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
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
      {paletteOpen ? <CommandPalette nav={NAV} onClose={() => setPaletteOpen(false)} /> : null}
      <InboxWatcher companyId={company.id} base={base} />
      <Toasts />
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
