import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { ISSUE_PRIORITIES } from "@staple/contracts";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import type { Issue } from "../api/types.js";
import { ErrorNote, Field, PageTitle } from "../components/ui.js";
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
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/companies/{companyId}/issues", {
          params: { path: { companyId: company.id } },
          body: { title: title.trim(), description: description.trim() || null, priority, status, assigneeAgentId: assignee || null },
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
