import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { PROJECT_STATUSES } from "@staple/contracts";
import type { Schemas } from "@staple/api-client";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { QueryState } from "../components/query-state.js";
import { Badge, ErrorNote, Field, PageTitle, Section } from "../components/ui.js";
import { ProgressBar, ScopedIssues, useCompanyIssues } from "../components/work-items.js";
import { useCompany } from "../lib/company-context.js";
import { errorFor, fieldErrors } from "../lib/field-errors.js";
import { progressBy } from "../lib/progress.js";
import { queryKeys } from "../lib/query-keys.js";
import { humanize } from "../lib/status.js";

type Project = Schemas["Project"];
type Goal = Schemas["Goal"];

export const projectsKey = (companyId: string) => [...queryKeys.company(companyId), "projects"] as const;
export const goalsKey = (companyId: string) => [...queryKeys.company(companyId), "goals"] as const;

function useProjects() {
  const { company } = useCompany();
  const api = useApi();
  return useQuery({
    queryKey: projectsKey(company.id),
    queryFn: () => unwrap(api.GET("/api/companies/{companyId}/projects", { params: { path: { companyId: company.id } } })),
  });
}

export function useGoals() {
  const { company } = useCompany();
  const api = useApi();
  return useQuery({
    queryKey: goalsKey(company.id),
    queryFn: () => unwrap(api.GET("/api/companies/{companyId}/goals", { params: { path: { companyId: company.id } } })),
  });
}

/** Projects: status, lead, goal and progress of each; a form to start one. */
export function ProjectsPage() {
  const projects = useProjects();
  const goals = useGoals();
  const issues = useCompanyIssues();
  const { base, agentName } = useCompany();
  const [creating, setCreating] = useState(false);
  const progress = progressBy(issues.data ?? [], (i) => i.projectId);
  const goalTitle = new Map((goals.data ?? []).map((g) => [g.id, g.title]));
  return (
    <>
      <PageTitle
        title="Projects"
        actions={
          <button type="button" onClick={() => setCreating((v) => !v)} aria-expanded={creating}>
            New project
          </button>
        }
      >
        Projects
      </PageTitle>
      {creating ? (
        <Section title="New project">
          <ProjectForm goals={goals.data ?? []} onDone={() => setCreating(false)} />
        </Section>
      ) : null}
      <QueryState query={projects} empty="No projects yet.">
        {(list) => (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Project</th>
                <th scope="col">Status</th>
                <th scope="col">Lead</th>
                <th scope="col">Goal</th>
                <th scope="col">Progress</th>
              </tr>
            </thead>
            <tbody>
              {list
                .filter((p) => !p.archivedAt)
                .map((p) => (
                  <tr key={p.id}>
                    <td>
                      <Link to={`${base}/projects/${p.id}`}>{p.name}</Link>
                    </td>
                    <td>
                      <Badge status={p.status} />
                    </td>
                    <td>{p.leadAgentId ? agentName(p.leadAgentId) : <span className="muted">No lead</span>}</td>
                    <td>
                      {p.goalId ? (
                        <Link to={`${base}/goals/${p.goalId}`}>{goalTitle.get(p.goalId) ?? "Goal"}</Link>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>
                      <ProgressBar progress={progress.get(p.id) ?? { done: 0, total: 0 }} />
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        )}
      </QueryState>
    </>
  );
}

interface ProjectDraft {
  name: string;
  description: string;
  status: string;
  goalId: string;
  leadAgentId: string;
  targetDate: string;
}

const draftOf = (p?: Project): ProjectDraft => ({
  name: p?.name ?? "",
  description: p?.description ?? "",
  status: p?.status ?? "planned",
  goalId: p?.goalId ?? "",
  leadAgentId: p?.leadAgentId ?? "",
  targetDate: p?.targetDate ?? "",
});

/** Create (no `project`) or edit a project; the server's 400 messages show under their fields. */
export function ProjectForm({ project, goals, onDone }: { project?: Project; goals: readonly Goal[]; onDone?: () => void }) {
  const { company, agents, base } = useCompany();
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [draft, setDraft] = useState(() => draftOf(project));
  const save = useMutation({
    mutationFn: async (d: ProjectDraft) => {
      const body = {
        name: d.name,
        description: d.description.trim() || null,
        status: d.status as Project["status"],
        goalId: d.goalId || null,
        leadAgentId: d.leadAgentId || null,
        targetDate: d.targetDate || null,
      };
      return project
        ? unwrap(api.PATCH("/api/projects/{id}", { params: { path: { id: project.id } }, body }))
        : unwrap(api.POST("/api/companies/{companyId}/projects", { params: { path: { companyId: company.id } }, body }));
    },
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: projectsKey(company.id) });
      onDone?.();
      if (!project) navigate(`${base}/projects/${saved.id}`);
    },
  });
  const errors = fieldErrors(save.error);
  const field = (k: keyof ProjectDraft) => ({
    value: draft[k],
    onChange: (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value })),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(draft);
  };
  return (
    <form className="entity-form" onSubmit={submit} noValidate aria-label={project ? "Edit project" : "New project"}>
      <Field label="Name" error={errorFor(errors, "name")}>
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} aria-invalid={!!errorFor(errors, "name")} {...field("name")} />}
      </Field>
      <Field label="Description" error={errorFor(errors, "description")}>
        {(id, describedBy) => <textarea id={id} aria-describedby={describedBy} rows={3} {...field("description")} />}
      </Field>
      <Field label="Status" error={errorFor(errors, "status")}>
        {(id, describedBy) => (
          <select id={id} aria-describedby={describedBy} {...field("status")}>
            {PROJECT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Lead" error={errorFor(errors, "leadAgentId")}>
        {(id, describedBy) => (
          <select id={id} aria-describedby={describedBy} {...field("leadAgentId")}>
            <option value="">No lead</option>
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Goal" error={errorFor(errors, "goalId")}>
        {(id, describedBy) => (
          <select id={id} aria-describedby={describedBy} {...field("goalId")}>
            <option value="">No goal</option>
            {goals.map((g) => (
              <option key={g.id} value={g.id}>
                {g.title}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Target date" error={errorFor(errors, "targetDate")}>
        {(id, describedBy) => <input id={id} type="date" aria-describedby={describedBy} {...field("targetDate")} />}
      </Field>
      {Object.keys(errors).length ? null : <ErrorNote error={save.error} />}
      <div className="row">
        <button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : project ? "Save project" : "Create project"}
        </button>
        {onDone ? (
          <button type="button" className="secondary" onClick={onDone}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

export function ProjectRoute() {
  const { projectId = "" } = useParams();
  return <ProjectPage key={projectId} projectId={projectId} />;
}

function ProjectPage({ projectId }: { projectId: string }) {
  const api = useApi();
  const { base, agentName, company } = useCompany();
  const goals = useGoals();
  const [editing, setEditing] = useState(false);
  const project = useQuery({
    queryKey: [...projectsKey(company.id), projectId],
    queryFn: () => unwrap(api.GET("/api/projects/{id}", { params: { path: { id: projectId } } })),
  });
  return (
    <QueryState query={project}>
      {(p) => (
        <>
          <PageTitle
            title={p.name}
            actions={
              <button type="button" className="secondary" onClick={() => setEditing((v) => !v)} aria-expanded={editing}>
                Edit
              </button>
            }
          >
            {p.name}
          </PageTitle>
          <div className="entity-meta">
            <Badge status={p.status} />
            <span>Lead: {p.leadAgentId ? <Link to={`${base}/agents/${p.leadAgentId}`}>{agentName(p.leadAgentId)}</Link> : "none"}</span>
            {p.goalId ? (
              <span>
                Goal: <Link to={`${base}/goals/${p.goalId}`}>{goals.data?.find((g) => g.id === p.goalId)?.title ?? "goal"}</Link>
              </span>
            ) : null}
            {p.targetDate ? <span>Target: {p.targetDate}</span> : null}
            <Link to={`${base}/projects`}>All projects</Link>
          </div>
          {p.description ? <p>{p.description}</p> : null}
          {editing ? (
            <Section title="Edit project">
              <ProjectForm project={p} goals={goals.data ?? []} onDone={() => setEditing(false)} />
            </Section>
          ) : null}
          <Section title="Issues">
            <ScopedIssues scope="projectId" id={p.id} />
          </Section>
        </>
      )}
    </QueryState>
  );
}
