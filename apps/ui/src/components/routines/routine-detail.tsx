import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import type { Schemas } from "@staple/api-client";
import { unwrap } from "../../api/client.js";
import { useApi } from "../../api/context.js";
import { useCompany } from "../../lib/company-context.js";
import { humanize } from "../../lib/status.js";
import { QueryState } from "../query-state.js";
import { Badge, ErrorNote, Section } from "../ui.js";
import { RoutineForm } from "./routine-form.js";
import { formatFireTime } from "./schedule.js";
import { emptySchedule, ScheduleFields, scheduleIsValid, type ScheduleValues } from "./schedule-fields.js";

type Routine = Schemas["Routine"];
type Trigger = Schemas["RoutineTrigger"];

export const routineRunsKey = (companyId: string, routineId: string) => ["company", companyId, "routines", routineId, "runs"] as const;

/** One routine opened from the list: its fields, its triggers and its fires. */
export function RoutineDetail({
  routine,
  onChanged,
  onClose,
}: {
  routine: Routine;
  onChanged: () => Promise<unknown>;
  onClose: () => void;
}) {
  return (
    <>
      <Section title={`Edit ${routine.title}`}>
        <RoutineForm key={routine.updatedAt} routine={routine} onSaved={onChanged} onCancel={onClose} />
      </Section>
      <TriggersSection routine={routine} onChanged={onChanged} />
      <FiresSection routine={routine} />
    </>
  );
}

export function describeTrigger(t: Trigger): string {
  if (t.kind === "schedule") return `${t.cronExpression ?? "?"} (${t.timezone ?? "UTC"})`;
  return t.label ? `${humanize(t.kind)}: ${t.label}` : humanize(t.kind);
}

function TriggersSection({ routine, onChanged }: { routine: Routine; onChanged: () => Promise<unknown> }) {
  const api = useApi();
  const [schedule, setSchedule] = useState<ScheduleValues>(emptySchedule);
  const act = useMutation({ mutationFn: (fn: () => Promise<unknown>) => fn(), onSuccess: () => onChanged() });
  const add = (e: FormEvent) => {
    e.preventDefault();
    if (!scheduleIsValid(schedule, false)) return;
    const body = { kind: "schedule" as const, cronExpression: schedule.cronExpression.trim(), timezone: schedule.timezone.trim() || "UTC" };
    act.mutate(async () => {
      await unwrap(api.POST("/api/routines/{routineId}/triggers", { params: { path: { routineId: routine.id } }, body }));
      setSchedule(emptySchedule());
    });
  };
  const toggle = (t: Trigger) =>
    act.mutate(() =>
      unwrap(api.PATCH("/api/routine-triggers/{triggerId}", { params: { path: { triggerId: t.id } }, body: { enabled: !t.enabled } })),
    );
  const remove = (t: Trigger) =>
    act.mutate(() => unwrap(api.DELETE("/api/routine-triggers/{triggerId}", { params: { path: { triggerId: t.id } } })));
  return (
    <Section title="Triggers">
      {routine.triggers.length ? (
        <ul className="plain stack" aria-label={`Triggers of ${routine.title}`}>
          {routine.triggers.map((t) => (
            <li key={t.id}>
              <code>{describeTrigger(t)}</code> {t.enabled ? null : <Badge status="paused" label="Disabled" />}{" "}
              <span className="muted small">{t.nextRunAt ? `next ${formatFireTime(t.nextRunAt)}` : "no next fire"}</span>{" "}
              <button type="button" className="secondary small" disabled={act.isPending} onClick={() => toggle(t)}>
                {t.enabled ? "Disable" : "Enable"}
              </button>{" "}
              <button type="button" className="danger small" disabled={act.isPending} onClick={() => remove(t)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No triggers: the routine fires only with Run now or the API.</p>
      )}
      <form onSubmit={add} className="stack" aria-label="Add schedule">
        <ScheduleFields value={schedule} onChange={setSchedule} />
        <div>
          <button type="submit" className="secondary" disabled={act.isPending || !scheduleIsValid(schedule, false)}>
            Add schedule
          </button>
        </div>
      </form>
      <ErrorNote error={act.error} />
    </Section>
  );
}

function FiresSection({ routine }: { routine: Routine }) {
  const api = useApi();
  const { company } = useCompany();
  const runs = useQuery({
    queryKey: routineRunsKey(company.id, routine.id),
    queryFn: () =>
      unwrap(api.GET("/api/routines/{routineId}/runs", { params: { path: { routineId: routine.id }, query: { limit: "50" } } })),
  });
  return (
    <Section title="History of fires">
      <QueryState query={runs} loadingLabel="Loading fires…" empty="No fires yet.">
        {(list) => (
          <table className="table" aria-label={`Fires of ${routine.title}`}>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Source</th>
                <th scope="col">Status</th>
                <th scope="col">Issue</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id}>
                  <td>
                    <time dateTime={r.triggeredAt}>{formatFireTime(r.triggeredAt)}</time>
                  </td>
                  <td>{humanize(r.source)}</td>
                  <td>
                    <Badge status={r.status} />
                    {r.failureReason ? <div className="muted small">{r.failureReason}</div> : null}
                  </td>
                  <td>
                    {r.linkedIssue ? (
                      <Link to={`/c/${company.id}/issues/${r.linkedIssue.identifier ?? r.linkedIssue.id}`}>
                        {r.linkedIssue.identifier ? `${r.linkedIssue.identifier} ` : ""}
                        {r.linkedIssue.title}
                      </Link>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
    </Section>
  );
}
