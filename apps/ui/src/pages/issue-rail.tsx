import { useMutation, useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { ISSUE_PRIORITIES } from "@staple/contracts";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import type { IssueDetail, UpdateIssueInput } from "../api/types.js";
import { ErrorNote } from "../components/ui.js";
import { catalogQueries } from "../lib/catalog.js";
import { useCompany } from "../lib/company-context.js";
import { ALL_ISSUE_STATUSES, humanize } from "../lib/status.js";

/**
 * The compact properties of an issue: status, assignee, priority, project and goal as inline
 * selects (each change is one PATCH), the parent as a link. Labels, blockers and the lock follow
 * in the rail as their own sections.
 */
export function IssueProperties({ issue: i, onChanged }: { issue: IssueDetail; onChanged: () => unknown }) {
  const api = useApi();
  const { company, agents, base } = useCompany();
  const projects = useQuery(catalogQueries.projects(api, company.id)).data ?? [];
  const goals = useQuery(catalogQueries.goals(api, company.id)).data ?? [];
  const update = useMutation({
    mutationFn: (body: UpdateIssueInput) => unwrap(api.PATCH("/api/issues/{id}", { params: { path: { id: i.id } }, body })),
    onSettled: onChanged,
  });
  const busy = update.isPending;
  const parent = i.ancestors.find((a) => a.id === i.parentId) ?? i.ancestors[0];
  return (
    <section className="props" aria-label="Properties">
      <div className="prop">
        <label htmlFor="prop-status">Status</label>
        <select
          id="prop-status"
          value={i.status}
          disabled={busy}
          onChange={(e) => update.mutate({ status: e.target.value as typeof i.status })}
        >
          {ALL_ISSUE_STATUSES.map((s) => (
            <option key={s} value={s}>
              {humanize(s)}
            </option>
          ))}
        </select>
      </div>
      <div className="prop">
        <label htmlFor="prop-assignee">Assignee</label>
        <select
          id="prop-assignee"
          value={i.assigneeAgentId ?? ""}
          disabled={busy}
          onChange={(e) => update.mutate({ assigneeAgentId: e.target.value || null })}
        >
          <option value="">Unassigned</option>
          {agents
            .filter((a) => a.status !== "terminated" || a.id === i.assigneeAgentId)
            .map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
        </select>
      </div>
      <div className="prop">
        <label htmlFor="prop-priority">Priority</label>
        <select
          id="prop-priority"
          value={i.priority}
          disabled={busy}
          onChange={(e) => update.mutate({ priority: e.target.value as typeof i.priority })}
        >
          {ISSUE_PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {humanize(p)}
            </option>
          ))}
        </select>
      </div>
      <div className="prop">
        <label htmlFor="prop-project">Project</label>
        <select
          id="prop-project"
          value={i.projectId ?? ""}
          disabled={busy}
          onChange={(e) => update.mutate({ projectId: e.target.value || null })}
        >
          <option value="">No project</option>
          {i.projectId && !projects.some((p) => p.id === i.projectId) ? <option value={i.projectId}>Loading…</option> : null}
          {projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </div>
      <div className="prop">
        <label htmlFor="prop-goal">Goal</label>
        <select id="prop-goal" value={i.goalId ?? ""} disabled={busy} onChange={(e) => update.mutate({ goalId: e.target.value || null })}>
          <option value="">No goal</option>
          {i.goalId && !goals.some((g) => g.id === i.goalId) ? <option value={i.goalId}>Loading…</option> : null}
          {goals.map((g) => (
            <option key={g.id} value={g.id}>
              {g.title}
            </option>
          ))}
        </select>
      </div>
      <div className="prop">
        <span>Parent</span>
        {parent ? (
          <Link to={`${base}/issues/${parent.identifier}`} title={parent.title}>
            {parent.identifier}
          </Link>
        ) : (
          <span className="muted">None</span>
        )}
      </div>
      {i.status !== "cancelled" && i.status !== "done" ? (
        <button type="button" className="danger small" disabled={busy} onClick={() => update.mutate({ status: "cancelled" })}>
          Cancel issue
        </button>
      ) : null}
      <ErrorNote error={update.error} />
    </section>
  );
}
