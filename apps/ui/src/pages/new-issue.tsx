import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { ISSUE_PRIORITIES } from "@staple/contracts";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { Issue } from "../api/types.js";
import { LabelChip } from "../components/label-chip.js";
import { ErrorNote, Field, PageTitle } from "../components/ui.js";
import { catalogQueries } from "../lib/catalog.js";
import { useCompany } from "../lib/company-context.js";
import { queryKeys } from "../lib/query-keys.js";
import { humanize } from "../lib/status.js";

export function NewIssuePage() {
  const { company, base, agents } = useCompany();
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [priority, setPriority] = useState<Issue["priority"]>("medium");
  const [status, setStatus] = useState<"backlog" | "todo">("todo");
  const [assignee, setAssignee] = useState(search.get("assignee") ?? "");
  // `?parent=<issue id>` (a "new sub-issue" link) and `?project=<id>` preselect those fields.
  const [projectId, setProjectId] = useState(search.get("project") ?? "");
  const [parentId, setParentId] = useState(search.get("parent") ?? "");
  const [labelIds, setLabelIds] = useState<string[]>([]);
  const projects = useQuery(catalogQueries.projects(api, company.id)).data ?? [];
  const labels = useQuery(queries.labels(api, company.id)).data ?? [];
  // Parent candidates: the company's open issues (the server's default list), newest first.
  const parents = useQuery(queries.issues(api, company.id, { limit: 500 })).data ?? [];
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/companies/{companyId}/issues", {
          params: { path: { companyId: company.id } },
          body: {
            title: title.trim(),
            description: description.trim() || null,
            priority,
            status,
            assigneeAgentId: assignee || null,
            projectId: projectId || null,
            parentId: parentId || null,
            ...(labelIds.length ? { labelIds } : {}),
          },
        }),
      ),
    onSuccess: (issue) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.company(company.id) });
      navigate(`${base}/issues/${issue.identifier}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };

  return (
    <>
      <PageTitle title="New issue">New issue</PageTitle>
      <form className="card form" onSubmit={submit}>
        <Field label="Title">{(id) => <input id={id} required autoFocus value={title} onChange={(e) => setTitle(e.target.value)} />}</Field>
        <Field label="Description">
          {(id) => <textarea id={id} rows={6} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <div className="grid-3">
          <Field label="Assignee" hint="Assigning an agent wakes it at once.">
            {(id, hint) => (
              <select id={id} aria-describedby={hint} value={assignee} onChange={(e) => setAssignee(e.target.value)}>
                <option value="">Unassigned</option>
                {agents
                  .filter((a) => a.status !== "terminated")
                  .map((a) => (
                    <option key={a.id} value={a.id}>
                      {a.name}
                    </option>
                  ))}
              </select>
            )}
          </Field>
          <Field label="Priority">
            {(id) => (
              <select id={id} value={priority} onChange={(e) => setPriority(e.target.value as Issue["priority"])}>
                {ISSUE_PRIORITIES.map((p) => (
                  <option key={p} value={p}>
                    {humanize(p)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Status">
            {(id) => (
              <select id={id} value={status} onChange={(e) => setStatus(e.target.value as "backlog" | "todo")}>
                <option value="todo">Todo</option>
                <option value="backlog">Backlog</option>
              </select>
            )}
          </Field>
        </div>
        <div className="grid-3">
          <Field label="Project">
            {(id) => (
              <select id={id} value={projectId} onChange={(e) => setProjectId(e.target.value)}>
                <option value="">No project</option>
                {projects.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Parent issue">
            {(id) => (
              <select id={id} value={parentId} onChange={(e) => setParentId(e.target.value)}>
                <option value="">None</option>
                {parents.map((i) => (
                  <option key={i.id} value={i.id}>
                    {i.identifier} {i.title}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        {labels.length ? (
          <fieldset className="label-picker">
            <legend>Labels</legend>
            {labels.map((l) => (
              <label key={l.id} className="check">
                <input
                  type="checkbox"
                  checked={labelIds.includes(l.id)}
                  onChange={(e) => setLabelIds((ids) => (e.target.checked ? [...ids, l.id] : ids.filter((x) => x !== l.id)))}
                />
                <LabelChip label={l} />
              </label>
            ))}
          </fieldset>
        ) : null}
        <ErrorNote error={create.error} />
        <div className="row end">
          <button type="submit" disabled={create.isPending || !title.trim()}>
            {create.isPending ? "Creating…" : "Create issue"}
          </button>
        </div>
      </form>
    </>
  );
}
