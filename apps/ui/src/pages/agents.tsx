import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import type { Agent } from "../api/types.js";
import { adapterConfigOf, AgentFields, DEFAULT_AGENT_DRAFT, type AgentDraft } from "../components/adapter-form.js";
import { Badge, Empty, ErrorNote, PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { queryKeys } from "../lib/query-keys.js";
import { withQuery } from "../lib/routes.js";
import { roleLabel } from "../lib/roles.js";
import { RelativeTime } from "../components/relative-time.js";

export function AgentsPage() {
  const { company, base, agents, agentName } = useCompany();
  const loc = useLocation();
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const hiring = search.get("hire") === "1";
  return (
    <>
      <PageTitle
        title="Agents"
        actions={
          !hiring ? (
            <Link to={withQuery(loc, { hire: "1" })} className="button">
              Hire agent
            </Link>
          ) : null
        }
      >
        Agents
      </PageTitle>
      {hiring ? (
        <HireForm
          companyId={company.id}
          managers={agents.filter((a) => a.status !== "terminated")}
          onDone={(agent) => {
            navigate(agent ? `${base}/agents/${agent.id}` : withQuery(loc, { hire: null }));
          }}
        />
      ) : null}
      {agents.length === 0 ? (
        <Empty>No agents yet.</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Adapter</th>
              <th scope="col">Reports to</th>
              <th scope="col">Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {agents.map((a) => (
              <tr key={a.id}>
                <td>
                  <Link to={`${base}/agents/${a.id}`}>{a.name}</Link>
                  {a.title ? <div className="muted small">{a.title}</div> : null}
                </td>
                <td>{roleLabel(a.role)}</td>
                <td>
                  <Badge status={a.status} />
                </td>
                <td className="mono">{a.adapterType}</td>
                <td>{a.reportsTo ? agentName(a.reportsTo) : <span className="muted">—</span>}</td>
                <td>
                  <RelativeTime iso={a.lastHeartbeatAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function HireForm({ companyId, managers, onDone }: { companyId: string; managers: Agent[]; onDone: (agent: Agent | null) => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<AgentDraft>(DEFAULT_AGENT_DRAFT);
  const hire = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/companies/{companyId}/agents", {
          params: { path: { companyId } },
          body: {
            name: draft.name.trim(),
            role: draft.role as Agent["role"],
            title: draft.title.trim() || null,
            reportsTo: draft.reportsTo || null,
            adapterType: draft.adapterType as Agent["adapterType"],
            adapterConfig: adapterConfigOf(draft),
          },
        }),
      ),
    onSuccess: async (agent) => {
      await queryClient.invalidateQueries({ queryKey: queryKeys.company(companyId) });
      onDone(agent);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    hire.mutate();
  };
  return (
    <Section title="Hire an agent">
      <form onSubmit={submit} className="form">
        <AgentFields draft={draft} onChange={setDraft} companyId={companyId} managers={managers} />
        <ErrorNote error={hire.error} />
        <div className="row end">
          <button type="button" className="secondary" onClick={() => onDone(null)}>
            Cancel
          </button>
          <button type="submit" disabled={hire.isPending}>
            {hire.isPending ? "Hiring…" : "Hire agent"}
          </button>
        </div>
      </form>
    </Section>
  );
}
