import { api } from "../api/client.js";
import type { OrgNode } from "../api/types.js";
import { Badge, Empty, Loading, PageTitle } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { Link } from "../lib/router.js";
import { humanize } from "../lib/status.js";
import { useResource } from "../lib/use-resource.js";

export function OrgPage() {
  const { company } = useCompany();
  const org = useResource(`org:${company.id}`, () => api.agents.org(company.id), (e) => e.type === "agent.status" || (e.type === "activity.logged" && e.payload.entityType === "agent"));
  return (
    <>
      <PageTitle title="Org chart">Org chart</PageTitle>
      {!org.data ? <Loading /> : org.data.length === 0 ? <Empty>No agents yet.</Empty> : <Tree nodes={org.data} root />}
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
              {humanize(n.role)}
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
