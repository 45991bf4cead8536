import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { Issue, LiveRun, OrgNode } from "../api/types.js";
import { QueryState } from "../components/query-state.js";
import { PageTitle } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { roleLabel } from "../lib/roles.js";
import { humanize, statusTone } from "../lib/status.js";

export interface CurrentIssue {
  id: string;
  identifier: string;
  title: string;
  /** "running" when a live run works it, "checked out" when the agent holds it in progress. */
  how: "running" | "checked out";
}

/**
 * Each agent's current issue: the issue its live run works on, else an in-progress issue assigned
 * to it (the one it has checked out, when it holds the checkout lock).
 */
export function currentIssues(liveRuns: readonly LiveRun[], inProgress: readonly Issue[]): Map<string, CurrentIssue> {
  const out = new Map<string, CurrentIssue>();
  for (const r of liveRuns) {
    const issueId = typeof r.contextSnapshot?.issueId === "string" ? r.contextSnapshot.issueId : null;
    if (r.status !== "running" || !r.issueIdentifier || !issueId || out.has(r.agentId)) continue;
    out.set(r.agentId, { id: issueId, identifier: r.issueIdentifier, title: r.issueTitle ?? "", how: "running" });
  }
  // Checked-out issues first (they carry the lock), then the rest assigned and in progress.
  const ordered = [...inProgress].sort((a, b) => Number(!!b.checkoutRunId) - Number(!!a.checkoutRunId));
  for (const i of ordered) {
    if (!i.assigneeAgentId || out.has(i.assigneeAgentId)) continue;
    out.set(i.assigneeAgentId, { id: i.id, identifier: i.identifier, title: i.title, how: "checked out" });
  }
  return out;
}

/** The reporting tree: agents under their managers, each with a status dot, role and current issue. */
export function OrgPage() {
  const { company } = useCompany();
  const api = useApi();
  const org = useQuery(queries.org(api, company.id));
  const live = useQuery(queries.liveRuns(api, company.id));
  const working = useQuery(queries.issues(api, company.id, { status: "in_progress", limit: 500 }));
  const current = currentIssues(live.data ?? [], working.data ?? []);
  return (
    <>
      <PageTitle title="Org chart">Org chart</PageTitle>
      <QueryState query={org} empty="No agents yet.">
        {(nodes) => (
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a box that scrolls sideways must be reachable by keyboard to scroll it
          <section className="org-chart" aria-label="Org chart" tabIndex={0}>
            <Tree nodes={nodes} current={current} root />
          </section>
        )}
      </QueryState>
    </>
  );
}

function Tree({
  nodes,
  current,
  root = false,
  managerName = "",
}: {
  nodes: OrgNode[];
  current: Map<string, CurrentIssue>;
  root?: boolean;
  managerName?: string;
}) {
  return (
    // The tree roles the board has always exposed (the browser lane finds the chart by them).
    <ul
      className={root ? "org-tree" : undefined}
      role={root ? "tree" : "group"}
      aria-label={root ? "Reporting tree" : `Reports of ${managerName}`}
    >
      {nodes.map((n) => (
        // biome-ignore lint/a11y/useFocusableInteractive: a read-only chart; the links inside each item take focus
        <li key={n.id} role="treeitem" aria-expanded={n.reports.length ? true : undefined} aria-selected={false}>
          <OrgCard node={n} issue={current.get(n.id)} />
          {n.reports.length ? <Tree nodes={n.reports} current={current} managerName={n.name} /> : null}
        </li>
      ))}
    </ul>
  );
}

function OrgCard({ node, issue }: { node: OrgNode; issue: CurrentIssue | undefined }) {
  const { base } = useCompany();
  return (
    <div className="org-node" data-agent={node.id}>
      <div className="org-node-head">
        <span
          className={`status-dot tone-${statusTone(node.status)}`}
          role="img"
          aria-label={humanize(node.status)}
          title={humanize(node.status)}
        />
        <Link to={`${base}/agents/${node.id}`}>{node.name}</Link>
      </div>
      <span className="muted org-role">
        {roleLabel(node.role)}
        {node.title ? ` · ${node.title}` : ""}
      </span>
      {issue ? (
        <span className="org-issue">
          {issue.how === "running" ? "Running " : "On "}
          <Link to={`${base}/issues/${issue.identifier}`} title={issue.title}>
            <span className="mono">{issue.identifier}</span> {issue.title}
          </Link>
        </span>
      ) : (
        <span className="muted org-issue">No current issue</span>
      )}
    </div>
  );
}
