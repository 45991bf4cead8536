import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { OrgNode } from "../api/types.js";
import { QueryState } from "../components/query-state.js";
import { Badge, PageTitle } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { humanize } from "../lib/status.js";
import { roleLabel } from "../lib/roles.js";

export function OrgPage() {
  const { company } = useCompany();
  const org = useQuery(queries.org(useApi(), company.id));
  return (
    <>
      <PageTitle title="Org chart">Org chart</PageTitle>
      <QueryState query={org} empty="No agents yet.">
        {(nodes) => <Tree nodes={nodes} root />}
      </QueryState>
    </>
  );
}

function Tree({ nodes, root = false }: { nodes: OrgNode[]; root?: boolean }) {
  const { base } = useCompany();
  return (
    <ul className={root ? "org-tree" : undefined} role={root ? "tree" : "group"} aria-label={root ? "Reporting tree" : undefined}>
      {nodes.map((n) => (
        <li key={n.id} role="treeitem" aria-expanded={n.reports.length ? true : undefined} aria-selected={false}>
          <div className="org-node">
            <Link to={`${base}/agents/${n.id}`}>{n.name}</Link>
            <span className="muted">
              {roleLabel(n.role)}
              {n.title ? ` · ${n.title}` : ""}
            </span>
            <Badge status={n.status} />
          </div>
          {n.reports.length ? <Tree nodes={n.reports} /> : null}
        </li>
      ))}
    </ul>
  );
}
