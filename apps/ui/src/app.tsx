import { useCallback, useEffect, useMemo, useState } from "react";
import { api } from "./api/client.js";
import type { Agent, Company } from "./api/types.js";
import { SignInScreen, SignOutButton } from "./components/sign-in.js";
import { ErrorNote, Loading } from "./components/ui.js";
import { useSignedOut } from "./lib/auth.js";
import { CompanyContext, useCompany, type CompanyCtx } from "./lib/company-context.js";
import { LiveProvider, useLiveEvents, useLiveState } from "./lib/live-context.js";
import { reduceAgents } from "./lib/live.js";
import { Link, matchPath, navigate, useLocation } from "./lib/router.js";
import { ActivityPage } from "./pages/activity.js";
import { AgentPage } from "./pages/agent.js";
import { AgentsPage } from "./pages/agents.js";
import { CostsPage } from "./pages/costs.js";
import { DashboardPage } from "./pages/dashboard.js";
import { IssuePage } from "./pages/issue.js";
import { IssuesPage } from "./pages/issues.js";
import { NewIssuePage } from "./pages/new-issue.js";
import { OnboardingPage } from "./pages/onboarding.js";
import { OrgPage } from "./pages/org.js";
import { RunPage } from "./pages/run.js";
import { RunsPage } from "./pages/runs.js";

const LAST_COMPANY_KEY = "staple.lastCompany";

export function App() {
  const loc = useLocation();
  const [companies, setCompanies] = useState<Company[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const signedOut = useSignedOut();
  const loadCompanies = useCallback(() => {
    api.companies
      .list()
      .then((list) => {
        setCompanies(list.filter((c) => c.status !== "archived"));
        setError(null);
      })
      .catch(setError);
  }, []);
  useEffect(loadCompanies, [loadCompanies]);

  const companyMatch = matchPath("/c/:companyId", loc.pathname.split("/").slice(0, 3).join("/"));
  const companyId = companyMatch?.companyId ?? null;

  useEffect(() => {
    if (!companies) return;
    if (loc.pathname === "/" || loc.pathname === "") {
      if (!companies.length) navigate("/onboarding", { replace: true });
      else {
        const last = localStorage.getItem(LAST_COMPANY_KEY);
        const pick = companies.find((c) => c.id === last) ?? companies[0]!;
        navigate(`/c/${pick.id}`, { replace: true });
      }
    }
  }, [companies, loc.pathname]);

  useEffect(() => {
    if (companyId) localStorage.setItem(LAST_COMPANY_KEY, companyId);
  }, [companyId]);

  // Any 401 (no session cookie, or an expired or revoked one) replaces the whole board.
  if (signedOut) return <SignInScreen />;
  if (error && !companies) {
    return (
      <main className="center">
        <h1>Staple</h1>
        <ErrorNote error={error} />
        <button onClick={loadCompanies}>Try again</button>
      </main>
    );
  }
  if (!companies) return <Loading label="Loading Staple…" />;

  if (loc.pathname === "/onboarding") {
    return <OnboardingPage firstRun={companies.length === 0} onCompanyCreated={loadCompanies} />;
  }
  const company = companies.find((c) => c.id === companyId);
  if (!company) {
    if (!companyId) return <Loading />;
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
      <CompanyShell company={company} companies={companies} reloadCompanies={loadCompanies} />
    </LiveProvider>
  );
}

function CompanyShell({ company, companies, reloadCompanies }: { company: Company; companies: Company[]; reloadCompanies: () => void }) {
  const [agents, setAgents] = useState<Agent[]>([]);
  const reloadAgents = useCallback(() => {
    api.agents.list(company.id).then(setAgents).catch(() => {});
  }, [company.id]);
  useEffect(() => {
    setAgents([]);
    reloadAgents();
  }, [reloadAgents]);
  useLiveEvents((event) => {
    if (event.type === "agent.status") setAgents((list) => reduceAgents(list, event) as Agent[]);
    else if (event.type === "ready" || (event.type === "activity.logged" && event.payload.entityType === "agent")) reloadAgents();
    else if (event.type === "activity.logged" && event.payload.entityType === "company") reloadCompanies();
  });
  const ctx = useMemo<CompanyCtx>(() => {
    const byId = new Map(agents.map((a) => [a.id, a]));
    return {
      company,
      companies,
      agents,
      agentName: (id) => (id ? (byId.get(id)?.name ?? "Unknown agent") : "Unassigned"),
      reloadCompanies,
      reloadAgents,
      base: `/c/${company.id}`,
    };
  }, [company, companies, agents, reloadCompanies, reloadAgents]);

  return (
    <CompanyContext.Provider value={ctx}>
      <Layout />
    </CompanyContext.Provider>
  );
}

const NAV = [
  { path: "", label: "Dashboard" },
  { path: "/issues", label: "Issues" },
  { path: "/agents", label: "Agents" },
  { path: "/org", label: "Org chart" },
  { path: "/runs", label: "Runs" },
  { path: "/costs", label: "Costs" },
  { path: "/activity", label: "Activity" },
];

function Layout() {
  const loc = useLocation();
  const live = useLiveState();
  const { company, companies, base } = useCompany();
  const rest = loc.pathname.slice(base.length) || "";
  const section = NAV.slice(1).find((n) => rest === n.path || rest.startsWith(n.path + "/"))?.path ?? (rest === "" ? "" : null);

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
            onChange={(e) => (e.target.value === "__new" ? navigate("/onboarding") : navigate(`/c/${e.target.value}`))}
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
              <Link to={base + n.path} aria-current={section === n.path ? "page" : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
        {company.status !== "active" ? <p className="badge tone-wait">Company {company.status}</p> : null}
        <SignOutButton />
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        <Routes rest={rest} />
      </main>
    </div>
  );
}


function Routes({ rest }: { rest: string }) {
  const path = rest || "/";
  let m: Record<string, string> | null;
  if (path === "/") return <DashboardPage />;
  if (path === "/issues") return <IssuesPage />;
  if (path === "/issues/new") return <NewIssuePage />;
  if ((m = matchPath("/issues/:ref", path))) return <IssuePage key={m.ref} issueRef={m.ref!} />;
  if (path === "/agents") return <AgentsPage />;
  if ((m = matchPath("/agents/:agentId", path))) return <AgentPage key={m.agentId} agentId={m.agentId!} />;
  if (path === "/org") return <OrgPage />;
  if (path === "/runs") return <RunsPage />;
  if ((m = matchPath("/runs/:runId", path))) return <RunPage key={m.runId} runId={m.runId!} />;
  if (path === "/activity") return <ActivityPage />;
  if (path === "/costs") return <CostsPage />;
  return (
    <div>
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
    </div>
  );
}
