import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { GOAL_LEVELS, GOAL_STATUSES } from "@staple/contracts";
import type { Schemas } from "@staple/api-client";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { QueryState } from "../components/query-state.js";
import { Badge, ErrorNote, Field, PageTitle, Section } from "../components/ui.js";
import { ProgressBar, ScopedIssues, useCompanyIssues } from "../components/work-items.js";
import { useCompany } from "../lib/company-context.js";
import { errorFor, fieldErrors } from "../lib/field-errors.js";
import { progressBy } from "../lib/progress.js";
import { humanize } from "../lib/status.js";
import { goalsKey, useGoals } from "./projects.js";

type Goal = Schemas["Goal"];

/** Goals: level, status, owner, parent and progress of each; a form to set one. */
export function GoalsPage() {
  const goals = useGoals();
  const issues = useCompanyIssues();
  const { base, agentName } = useCompany();
  const [creating, setCreating] = useState(false);
  const progress = progressBy(issues.data ?? [], (i) => i.goalId);
  return (
    <>
      <PageTitle
        title="Goals"
        actions={
          <button type="button" onClick={() => setCreating((v) => !v)} aria-expanded={creating}>
            New goal
          </button>
        }
      >
        Goals
      </PageTitle>
      {creating ? (
        <Section title="New goal">
          <GoalForm goals={goals.data ?? []} onDone={() => setCreating(false)} />
        </Section>
      ) : null}
      <QueryState query={goals} empty="No goals yet.">
        {(list) => {
          const title = new Map(list.map((g) => [g.id, g.title]));
          return (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Goal</th>
                  <th scope="col">Status</th>
                  <th scope="col">Level</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Progress</th>
                </tr>
              </thead>
              <tbody>
                {list.map((g) => (
                  <tr key={g.id}>
                    <td>
                      <Link to={`${base}/goals/${g.id}`}>{g.title}</Link>
                      {g.parentId ? <span className="muted"> · under {title.get(g.parentId) ?? "a goal"}</span> : null}
                    </td>
                    <td>
                      <Badge status={g.status} />
                    </td>
                    <td>{humanize(g.level)}</td>
                    <td>{g.ownerAgentId ? agentName(g.ownerAgentId) : <span className="muted">No owner</span>}</td>
                    <td>
                      <ProgressBar progress={progress.get(g.id) ?? { done: 0, total: 0 }} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          );
        }}
      </QueryState>
    </>
  );
}

interface GoalDraft {
  title: string;
  description: string;
  level: string;
  status: string;
  parentId: string;
  ownerAgentId: string;
}

const draftOf = (g?: Goal): GoalDraft => ({
  title: g?.title ?? "",
  description: g?.description ?? "",
  level: g?.level ?? "company",
  status: g?.status ?? "planned",
  parentId: g?.parentId ?? "",
  ownerAgentId: g?.ownerAgentId ?? "",
});

/** Create (no `goal`) or edit a goal; the server's 400 messages show under their fields. */
export function GoalForm({ goal, goals, onDone }: { goal?: Goal; goals: readonly Goal[]; onDone?: () => void }) {
  const { company, agents, base } = useCompany();
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [draft, setDraft] = useState(() => draftOf(goal));
  const save = useMutation({
    mutationFn: async (d: GoalDraft) => {
      const body = {
        title: d.title,
        description: d.description.trim() || null,
        level: d.level as Goal["level"],
        status: d.status as Goal["status"],
        parentId: d.parentId || null,
        ownerAgentId: d.ownerAgentId || null,
      };
      return goal
        ? unwrap(api.PATCH("/api/goals/{id}", { params: { path: { id: goal.id } }, body }))
        : unwrap(api.POST("/api/companies/{companyId}/goals", { params: { path: { companyId: company.id } }, body }));
    },
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: goalsKey(company.id) });
      onDone?.();
      if (!goal) navigate(`${base}/goals/${saved.id}`);
    },
  });
  const errors = fieldErrors(save.error);
  const field = (k: keyof GoalDraft) => ({
    value: draft[k],
    onChange: (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value })),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(draft);
  };
  return (
    <form className="entity-form" onSubmit={submit} noValidate aria-label={goal ? "Edit goal" : "New goal"}>
      <Field label="Title" error={errorFor(errors, "title")}>
        {(id, describedBy) => (
          <input id={id} aria-describedby={describedBy} aria-invalid={!!errorFor(errors, "title")} {...field("title")} />
        )}
      </Field>
      <Field label="Description" error={errorFor(errors, "description")}>
        {(id, describedBy) => <textarea id={id} aria-describedby={describedBy} rows={3} {...field("description")} />}
      </Field>
      <Field label="Level" error={errorFor(errors, "level")}>
        {(id, describedBy) => (
          <select id={id} aria-describedby={describedBy} {...field("level")}>
            {GOAL_LEVELS.map((l) => (
              <option key={l} value={l}>
                {humanize(l)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Status" error={errorFor(errors, "status")}>
        {(id, describedBy) => (
          <select id={id} aria-describedby={describedBy} {...field("status")}>
            {GOAL_STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Owner" error={errorFor(errors, "ownerAgentId")}>
        {(id, describedBy) => (
          <select id={id} aria-describedby={describedBy} {...field("ownerAgentId")}>
            <option value="">No owner</option>
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Parent goal" error={errorFor(errors, "parentId")}>
        {(id, describedBy) => (
          <select id={id} aria-describedby={describedBy} {...field("parentId")}>
            <option value="">None</option>
            {goals
              .filter((g) => g.id !== goal?.id)
              .map((g) => (
                <option key={g.id} value={g.id}>
                  {g.title}
                </option>
              ))}
          </select>
        )}
      </Field>
      {Object.keys(errors).length ? null : <ErrorNote error={save.error} />}
      <div className="row">
        <button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : goal ? "Save goal" : "Create goal"}
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

export function GoalRoute() {
  const { goalId = "" } = useParams();
  return <GoalPage key={goalId} goalId={goalId} />;
}

function GoalPage({ goalId }: { goalId: string }) {
  const api = useApi();
  const { base, agentName, company } = useCompany();
  const goals = useGoals();
  const [editing, setEditing] = useState(false);
  const goal = useQuery({
    queryKey: [...goalsKey(company.id), goalId],
    queryFn: () => unwrap(api.GET("/api/goals/{id}", { params: { path: { id: goalId } } })),
  });
  return (
    <QueryState query={goal}>
      {(g) => {
        const children = (goals.data ?? []).filter((c) => c.parentId === g.id);
        const parent = g.parentId ? goals.data?.find((p) => p.id === g.parentId) : undefined;
        return (
          <>
            <PageTitle
              title={g.title}
              actions={
                <button type="button" className="secondary" onClick={() => setEditing((v) => !v)} aria-expanded={editing}>
                  Edit
                </button>
              }
            >
              {g.title}
            </PageTitle>
            <div className="entity-meta">
              <Badge status={g.status} />
              <span>{humanize(g.level)} goal</span>
              <span>
                Owner: {g.ownerAgentId ? <Link to={`${base}/agents/${g.ownerAgentId}`}>{agentName(g.ownerAgentId)}</Link> : "none"}
              </span>
              {parent ? (
                <span>
                  Under <Link to={`${base}/goals/${parent.id}`}>{parent.title}</Link>
                </span>
              ) : null}
              <Link to={`${base}/goals`}>All goals</Link>
            </div>
            {g.description ? <p>{g.description}</p> : null}
            {editing ? (
              <Section title="Edit goal">
                <GoalForm goal={g} goals={goals.data ?? []} onDone={() => setEditing(false)} />
              </Section>
            ) : null}
            {children.length ? (
              <Section title="Sub-goals">
                <ul className="plain list-rows">
                  {children.map((c) => (
                    <li key={c.id}>
                      <Link to={`${base}/goals/${c.id}`}>{c.title}</Link> <Badge status={c.status} />
                    </li>
                  ))}
                </ul>
              </Section>
            ) : null}
            <Section title="Issues">
              <ScopedIssues scope="goalId" id={g.id} />
            </Section>
          </>
        );
      }}
    </QueryState>
  );
}
