import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Schemas } from "@staple/api-client";
import { ISSUE_PRIORITIES, ROUTINE_CATCH_UP_POLICIES, ROUTINE_CONCURRENCY_POLICIES } from "@staple/contracts";
import { describeError, unwrap } from "../../api/client.js";
import { useApi } from "../../api/context.js";
import { catalogQueries } from "../../lib/catalog.js";
import { useCompany } from "../../lib/company-context.js";
import { humanize } from "../../lib/status.js";
import { ErrorNote, Field } from "../ui.js";
import { emptySchedule, ScheduleFields, scheduleIsValid, type ScheduleValues } from "./schedule-fields.js";

type Routine = Schemas["Routine"];

const POLICY_HINTS: Record<string, string> = {
  coalesce_if_active: "a fire while the last issue is open joins it",
  skip_if_active: "a fire while the last issue is open is skipped",
  always_enqueue: "every fire creates an issue",
  skip_missed: "after downtime, fire once for the newest missed tick",
  enqueue_missed_with_cap: "after downtime, fire once per missed tick (at most 25)",
};

/**
 * Creates a routine (with an optional schedule trigger, added right after it) or edits one. Every
 * field is sent on edit: the form shows the whole routine, so what is shown is what is saved.
 */
export function RoutineForm({
  routine,
  onSaved,
  onCancel,
}: {
  routine?: Routine;
  onSaved: (r: Routine, warning?: string) => Promise<unknown>;
  onCancel?: () => void;
}) {
  const api = useApi();
  const { company, agents } = useCompany();
  const projects = useQuery(catalogQueries.projects(api, company.id)).data ?? [];
  const [title, setTitle] = useState(routine?.title ?? "");
  const [description, setDescription] = useState(routine?.description ?? "");
  const [assignee, setAssignee] = useState(routine?.assigneeAgentId ?? "");
  const [projectId, setProjectId] = useState(routine?.projectId ?? "");
  const [priority, setPriority] = useState<string>(routine?.priority ?? "medium");
  const [concurrency, setConcurrency] = useState<string>(routine?.concurrencyPolicy ?? "coalesce_if_active");
  const [catchUp, setCatchUp] = useState<string>(routine?.catchUpPolicy ?? "skip_missed");
  const [schedule, setSchedule] = useState<ScheduleValues>(emptySchedule);
  const fields = () => ({
    title: title.trim(),
    description: description.trim() ? description : null,
    assigneeAgentId: assignee,
    projectId: projectId || null,
    priority: priority as Routine["priority"],
    concurrencyPolicy: concurrency as Routine["concurrencyPolicy"],
    catchUpPolicy: catchUp as Routine["catchUpPolicy"],
  });
  const save = useMutation({
    mutationFn: async () => {
      if (routine) {
        return {
          saved: await unwrap(api.PATCH("/api/routines/{routineId}", { params: { path: { routineId: routine.id } }, body: fields() })),
        };
      }
      const made = await unwrap(
        api.POST("/api/companies/{companyId}/routines", { params: { path: { companyId: company.id } }, body: fields() }),
      );
      if (!schedule.cronExpression.trim()) return { saved: made };
      // The routine exists once its POST answered: a refused schedule must not make a retry create it twice.
      try {
        await unwrap(
          api.POST("/api/routines/{routineId}/triggers", {
            params: { path: { routineId: made.id } },
            body: { kind: "schedule", cronExpression: schedule.cronExpression.trim(), timezone: schedule.timezone.trim() || "UTC" },
          }),
        );
        return { saved: made };
      } catch (error) {
        return { saved: made, warning: `${made.title} was created, but its schedule was refused: ${describeError(error)}` };
      }
    },
    onSuccess: ({ saved, warning }) => onSaved(saved, warning),
  });
  const valid = title.trim() && assignee && (routine || scheduleIsValid(schedule, true));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (valid) save.mutate();
  };
  const label = routine ? `Edit ${routine.title}` : "New routine";
  const selectable = agents.filter((a) => a.status !== "terminated" || a.id === assignee);
  return (
    <form onSubmit={submit} className="stack" aria-label={label}>
      <Field label="Title">
        {(id) => <input id={id} value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} />}
      </Field>
      <Field label="Description" hint="Copied to each execution issue">
        {(id, describedBy) => (
          <textarea id={id} aria-describedby={describedBy} rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
        )}
      </Field>
      <div className="grid-2">
        <Field label="Assignee">
          {(id) => (
            <select id={id} value={assignee} onChange={(e) => setAssignee(e.target.value)} required>
              <option value="">Choose an agent…</option>
              {selectable.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Project">
          {(id) => (
            <select id={id} value={projectId} onChange={(e) => setProjectId(e.target.value)}>
              <option value="">No project</option>
              {projectId && !projects.some((p) => p.id === projectId) ? <option value={projectId}>Loading…</option> : null}
              {projects.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Priority">
          {(id) => (
            <select id={id} value={priority} onChange={(e) => setPriority(e.target.value)}>
              {ISSUE_PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {humanize(p)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Concurrency" hint={POLICY_HINTS[concurrency]}>
          {(id, describedBy) => (
            <select id={id} aria-describedby={describedBy} value={concurrency} onChange={(e) => setConcurrency(e.target.value)}>
              {ROUTINE_CONCURRENCY_POLICIES.map((p) => (
                <option key={p} value={p}>
                  {humanize(p)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Catch-up" hint={POLICY_HINTS[catchUp]}>
          {(id, describedBy) => (
            <select id={id} aria-describedby={describedBy} value={catchUp} onChange={(e) => setCatchUp(e.target.value)}>
              {ROUTINE_CATCH_UP_POLICIES.map((p) => (
                <option key={p} value={p}>
                  {humanize(p)}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {routine ? null : <ScheduleFields value={schedule} onChange={setSchedule} optional />}
      <div>
        <button type="submit" disabled={save.isPending || !valid}>
          {save.isPending ? "Saving…" : routine ? "Save routine" : "Create routine"}
        </button>{" "}
        {onCancel ? (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
      <ErrorNote error={save.error} />
    </form>
  );
}
